import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/assistant/kb/random.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { GatewayProcess, startBalancer, type Balancer } from '../helpers/cluster.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/db.ts';
import { deleteStream, NATS_URL, natsTests, uniqueStream } from '../helpers/nats.ts';
import { freePort } from '../helpers/process.ts';
import { CREDS, postWebhook, waitFor } from '../helpers/stack.ts';

/**
 * Two gateway processes on one Postgres database and one NATS JetStream stream, behind a round-robin
 * balancer, while one of them at a time is killed with SIGKILL and started again. Thirty people hold
 * conversations meanwhile (the next question once the previous one is answered, as people do), the
 * balancer duplicates some webhooks (to both processes at once, or twice to one), and the sandbox
 * delivers again whatever got no 200. When everything has settled, every message must be stored once,
 * answered once, in order, and nothing may be dead-lettered or failed.
 *
 * One of the kills is aimed: at a process whose reply is in flight at the Graph API (held there by a
 * `send_hang` fault), so the API accepts it after its sender died and the `sent` status, carrying the
 * idempotency key, reaches the other process. `CRASH_CLUSTER_SEED=<n>` (printed by every run) replays
 * its choices: who asks what and when, when a process is killed and which; process timing, and so
 * which request a kill interrupts, still varies.
 */

const USERS = 30;
const QUESTIONS_PER_USER = 8;
const KILLS = 4;
/** First kill, then one every `KILL_EVERY_MS` (each at a random moment inside its slot). */
const FIRST_KILL_MS = 2500;
const KILL_EVERY_MS = 4500;
/** The aimed kill (index into the kills). */
const AIMED_KILL = 1;
const REPLY_TIMEOUT_MS = 30_000;
const QUIET_TIMEOUT_MS = 30_000;

const QUESTIONS = [
  'Do you deliver?',
  'How far can an electric bike go?',
  'Where is the shop?',
  'When are you open?',
  'Where is my order?',
  'Which payment methods do you accept?',
  'Do you rent bikes?',
  'Do you repair bikes?',
  'What is your return policy?',
  'Is there a warranty?',
];

const seed = Number(process.env.CRASH_CLUSTER_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Random numbers in [lo, hi), one independent sequence per actor, so that a seed replays each one. */
type Dice = (lo?: number, hi?: number) => number;
function dice(actor: number): Dice {
  const random = new Random((seed + actor * 0x9e3779b9) >>> 0);
  return (lo = 0, hi = 1) => lo + random.next() * (hi - lo);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sandbox: RunningSandbox | undefined;
let balancer: Balancer | undefined;
let database: TestDatabase | undefined;
let pool: pg.Pool | undefined;
let stream = '';
const gateways: GatewayProcess[] = [];

function gatewayEnv(db: TestDatabase, graphUrl: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    QUEUE_URL: NATS_URL,
    QUEUE_STREAM: stream,
    LOG_LEVEL: 'warn',
    WHATSAPP_VERIFY_TOKEN: CREDS.verifyToken,
    WHATSAPP_APP_SECRET: CREDS.appSecret,
    WHATSAPP_ACCESS_TOKEN: CREDS.accessToken,
    WHATSAPP_PHONE_NUMBER_ID: CREDS.phoneNumberId,
    WHATSAPP_GRAPH_URL: graphUrl,
    // Eight replies per person: under the pair limit's burst, so pacing never delays an answer.
    WHATSAPP_PAIR_BURST: '45',
    OUTBOX_RETRY_UNIT_MS: '20',
    // Short leases, so a dead process's work is taken over within seconds; the send timeout stays
    // below the lease, as in production (10 s and 30 s).
    OUTBOX_LEASE_MS: '2000',
    WHATSAPP_TIMEOUT_MS: '1500',
    PIPELINE_LEASE_MS: '1500',
    // Far longer than a status takes to reach the surviving process (tens of ms).
    OUTBOX_UNKNOWN_GRACE_MS: '6000',
    SHUTDOWN_TIMEOUT_MS: '1000',
  };
}

async function rows<R>(sql: string): Promise<R[]> {
  return (await pool!.query(sql)).rows as R[];
}

beforeAll(async () => {
  if (!natsTests || !DIALECTS.includes('postgres')) return;
  console.log(`crash-cluster: CRASH_CLUSTER_SEED=${seed}`);
  stream = uniqueStream();
  database = await createTestDatabase('postgres');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined);
  sandbox = await startSandbox({
    ...CREDS,
    host: '127.0.0.1',
    port: 0,
    // Meta retries for days; here about 200 s of doubling gaps, far more than a restart takes.
    webhookRetry: { baseDelayMs: 100, maxAttempts: 12 },
  });
  const env = gatewayEnv(database, sandbox.graphUrl);
  for (const name of ['gw-a', 'gw-b']) gateways.push(new GatewayProcess(name, await freePort(), env));
  // One after the other: the first runs the migrations.
  for (const g of gateways) await g.start();
  balancer = await startBalancer(
    gateways.map((g) => g.url),
    { mirrorRate: 0.15, repeatRate: 0.1, random: dice(1) },
  );
  sandbox.configure({ webhookUrl: `${balancer.url}/webhooks/whatsapp` });
}, 90_000);

afterAll(async () => {
  for (const g of gateways) await g.kill();
  await sandbox?.close();
  await balancer?.close();
  await pool?.end();
  if (stream) await deleteStream(stream);
  await database?.drop();
}, 30_000);

/** One person's conversation: each question once the previous one is answered. */
async function converse(sb: RunningSandbox, user: string, asked: string[], roll: Dice): Promise<void> {
  await sleep(roll(0, 2000));
  for (let n = 0; n < QUESTIONS_PER_USER; n++) {
    await sleep(roll(1200, 3000));
    asked.push(sb.userSends(user, QUESTIONS[Math.floor(roll(0, QUESTIONS.length))]!).id);
    await waitFor(
      () => sb.sentTo(user).length >= n + 1,
      REPLY_TIMEOUT_MS,
      `the answer to question ${n + 1} of ${user} (${asked[n]})`,
    );
  }
}

/**
 * The process whose reply is held at the Graph API now: the owner (`host:pid:…`) of the reply that has
 * been `sending` longest (the others take milliseconds), with what it sends.
 */
async function senderOfHeldReply(): Promise<{ gateway: GatewayProcess; what: string } | undefined> {
  const [held] = await rows<{ lease_owner: string; recipient: string; idempotency_key: string }>(
    `select lease_owner, recipient, idempotency_key from outbox
      where kind = 'message' and state = 'sending' order by updated_at limit 1`,
  );
  if (!held) return undefined;
  const pid = Number(held.lease_owner.split(':')[1]);
  const gateway = gateways.find((g) => g.pid === pid);
  return gateway && { gateway, what: `${held.idempotency_key} to ${held.recipient}` };
}

/** Kills one process at a time at random moments, and starts it again. */
async function chaos(sb: RunningSandbox, log: string[], t0: number, loadDone: () => boolean): Promise<void> {
  const roll = dice(2);
  for (let k = 0; k < KILLS && !loadDone(); k++) {
    const at = FIRST_KILL_MS + k * KILL_EVERY_MS + roll(0, KILL_EVERY_MS - 2500);
    await sleep(Math.max(0, t0 + at - Date.now()));
    let victim = gateways[k % 2]!;
    let how = 'at random';
    if (k === AIMED_KILL) {
      sb.faults.inject({ kind: 'send_hang', ms: 600, times: 1 });
      const held = await waitFor(() => sb.faults.list().length === 0, 10_000, 'a reply held at the API')
        .then(() => sleep(100))
        .then(senderOfHeldReply)
        .catch(() => undefined);
      if (held) {
        victim = held.gateway;
        how = `while the Graph API holds its send of ${held.what}`;
      }
      sb.faults.clear();
    }
    await victim.kill();
    log.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: SIGKILL ${victim.name} ${how}`);
    await sleep(roll(0, 1000));
    await victim.start();
    log.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${victim.name} ready again`);
  }
}

/** What happened to one person's replies, at the API and in the outbox (times in s from `t0`). */
async function explain(sb: RunningSandbox, user: string, t0: number): Promise<string> {
  const t = (ms: number | string | null | undefined) =>
    ms == null ? '-' : ((Number(ms) - t0) / 1000).toFixed(2);
  const lines = sb
    .sentTo(user)
    .map(
      (m) =>
        `  API ${t(m.at)} s: ${m.bizOpaque} ${m.id} ${JSON.stringify(String((m.payload as { body?: unknown }).body).slice(0, 40))}`,
    );
  const outbox = await rows<Record<string, string | number | null>>(
    `select idempotency_key, state, attempts, lease_owner, provider_message_id, coalesced_into, id,
            created_at, updated_at, sent_at, last_error
       from outbox where kind = 'message' and recipient = '${user}' order by id`,
  );
  for (const r of outbox)
    lines.push(
      `  outbox ${r.id} ${r.idempotency_key}: ${r.state} after ${r.attempts} attempt(s), created ${t(r.created_at)} s, ` +
        `updated ${t(r.updated_at)} s, sent ${t(r.sent_at)} s, provider id ${r.provider_message_id}, ` +
        `coalesced into ${r.coalesced_into}, owner ${r.lease_owner}, error ${r.last_error}`,
    );
  const ids = sb.sentTo(user).map((m) => `'${m.id}'`);
  if (ids.length) {
    const statuses = await rows<{ provider_message_id: string; status: string; received_at: string }>(
      `select provider_message_id, status, received_at from message_statuses
        where provider_message_id in (${ids.join(', ')}) order by received_at`,
    );
    for (const r of statuses)
      lines.push(`  status ${r.status} of ${r.provider_message_id} stored at ${t(r.received_at)} s`);
  }
  return lines.join('\n');
}

/** Waits until no webhook, copy, inbox item or reply is in flight anywhere. */
async function quiescence(sb: RunningSandbox): Promise<void> {
  await waitFor(
    async () => {
      await sb.idle();
      await balancer!.settled();
      const [busy] = await rows<{ inbox: string; outbox: string }>(
        `select (select count(*) from inbox where state in ('pending', 'processing')) as inbox,
                (select count(*) from outbox where state in ('pending', 'sending', 'unknown')) as outbox`,
      );
      return Number(busy!.inbox) === 0 && Number(busy!.outbox) === 0;
    },
    QUIET_TIMEOUT_MS,
    'every inbox item processed and every reply settled',
  );
}

describe.skipIf(!natsTests || !DIALECTS.includes('postgres'))(
  'two gateway processes, one killed again and again (Postgres + NATS)',
  () => {
    it('stores and answers every message exactly once, in order, with nothing dead-lettered', async () => {
      const sb = sandbox!;
      const users = Array.from({ length: USERS }, (_, i) => `3361222${String(i).padStart(4, '0')}`);
      for (const u of users) sb.users.create({ waId: u, name: `Person ${u.slice(-2)}` });
      const asked = new Map(users.map((u) => [u, [] as string[]]));
      const log: string[] = [];
      const t0 = Date.now();

      let loadFinished = false;
      const load = Promise.all(users.map((u, i) => converse(sb, u, asked.get(u)!, dice(100 + i)))).finally(
        () => (loadFinished = true),
      );
      const kills = chaos(sb, log, t0, () => loadFinished);
      try {
        await Promise.all([load, kills]);
        await quiescence(sb);
        // Meta re-delivers old webhooks at times: a sample of the message webhooks, posted again to
        // both processes, must change nothing.
        const replay = dice(3);
        const old = sb.webhookLog.filter((a) => a.outcome === 'delivered' && a.body.includes('"messages"'));
        for (let i = 0; i < 20 && old.length > 0; i++) {
          const a = old[Math.floor(replay(0, old.length))]!;
          for (const g of gateways) expect((await postWebhook(g.url, a.body, a.signature)).status).toBe(200);
        }
        await quiescence(sb);
        await sleep(1000);
      } catch (err) {
        for (const g of gateways) console.error(`--- ${g.name} output ---\n${g.output().slice(-4000)}`);
        throw err;
      } finally {
        console.log(
          `crash-cluster (seed ${seed}):\n  ${log.join('\n  ')}\n  balancer ${JSON.stringify(balancer!.stats)}`,
        );
      }

      // The run did what it claims: kills, both processes served, duplicates sent.
      expect(gateways.reduce((n, g) => n + g.kills, 0)).toBeGreaterThanOrEqual(3);
      expect(gateways.flatMap((g) => g.unexpectedExits)).toEqual([]);
      expect(balancer!.stats.forwarded.every((n) => n > 0)).toBe(true);
      expect(balancer!.stats.mirrored + balancer!.stats.repeated).toBeGreaterThan(0);

      const wamids = [...asked.values()].flat();
      expect(wamids).toHaveLength(USERS * QUESTIONS_PER_USER);

      // Stored once: one inbox item and one message per wamid, nothing failed.
      const inbox = await rows<{ id: string; dedupe_key: string; state: string }>(
        "select id, dedupe_key, state from inbox where kind = 'message'",
      );
      expect(inbox.filter((r) => r.state !== 'done')).toEqual([]);
      expect(inbox.map((r) => r.dedupe_key).sort()).toEqual(wamids.map((w) => `msg:${w}`).sort());
      const stored = await rows<{ provider_message_id: string; n: string }>(
        "select provider_message_id, count(*) as n from messages where direction = 'in' group by provider_message_id",
      );
      expect(stored.filter((r) => Number(r.n) !== 1)).toEqual([]);
      expect(stored.map((r) => r.provider_message_id).sort()).toEqual([...wamids].sort());
      const [failed] = await rows<{ n: string }>("select count(*) as n from inbox where state = 'failed'");
      expect(Number(failed!.n)).toBe(0);

      // Answered once, at the API, and in the order asked: each send's idempotency key
      // (`reply:<inbox id>:0`, echoed as biz_opaque_callback_data) names the message it answers.
      const wamidOfInbox = new Map(inbox.map((r) => [r.id, r.dedupe_key.slice('msg:'.length)]));
      const problems: string[] = [];
      for (const u of users) {
        const questions = asked.get(u)!;
        // Each send as the number of the question it answers; `+` marks a send carrying joined replies.
        const answered = sb.sentTo(u).map((m) => {
          const inboxId = /^reply:(.+):0$/.exec(m.bizOpaque ?? '')?.[1];
          const n = questions.indexOf((inboxId && wamidOfInbox.get(inboxId)) || '');
          const joined = String((m.payload as { body?: unknown }).body ?? '').includes('\n\n');
          return `${n < 0 ? `?${m.bizOpaque}` : n + 1}${joined ? '+' : ''}`;
        });
        const expected = questions.map((_, n) => String(n + 1));
        if (answered.join() !== expected.join())
          problems.push(
            `${u}: asked 1..${questions.length}, answered ${answered.join(' ')}\n${await explain(sb, u, t0)}`,
          );
      }
      expect(problems).toEqual([]);
      // Answered once, in the DB: one reply per message, sent; nothing dead.
      const outbox = await rows<{ idempotency_key: string; state: string }>(
        "select idempotency_key, state from outbox where kind = 'message'",
      );
      expect(outbox.filter((r) => r.state !== 'sent')).toEqual([]);
      expect(outbox).toHaveLength(wamids.length);
      const [dead] = await rows<{ n: string }>("select count(*) as n from outbox where state = 'dead'");
      expect(Number(dead!.n)).toBe(0);

      // The database agrees with the API on what went out.
      const sentIds = await rows<{ provider_message_id: string }>(
        "select provider_message_id from messages where direction = 'out'",
      );
      expect(sentIds.map((r) => r.provider_message_id).sort()).toEqual(
        users.flatMap((u) => sb.sentTo(u).map((m) => m.id)).sort(),
      );
    }, 85_000);
  },
);
