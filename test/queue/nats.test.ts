import { textEvent } from '../helpers/events.ts';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessageEvent } from '../../src/core/events.ts';
import type { Db, Store } from '../../src/store/db.ts';
import { claimForKey, commitToInbox, markInboxDone, releaseInbox } from '../../src/store/inbox.ts';
import { NatsQueue, type NatsQueueOptions } from '../../src/queue/nats.ts';
import type { BatchHandler } from '../../src/queue/port.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import {
  deleteStream,
  NATS_URL,
  natsTests,
  startNatsProxy,
  streamCounts,
  uniqueStream,
  type NatsProxy,
} from '../helpers/nats.ts';
import { waitFor } from '../helpers/stack.ts';

/**
 * The NATS JetStream work queue against a real server, on real inbox rows: what is published is
 * delivered once per item, acknowledged only after its effects committed, delivered again when a
 * handler fails or a process dies, and conversations stay in order across two processes.
 */

const silent = pino({ level: 'silent' });
const LEASE_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stream = '';
let store: Store | undefined;
let proxy: NatsProxy | undefined;
const queues: NatsQueue[] = [];

afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop(500);
  await proxy?.close();
  proxy = undefined;
  if (stream && natsTests) await deleteStream(stream);
  stream = '';
  await store?.close();
  store = undefined;
});

function queue(db: Db, opts: Partial<NatsQueueOptions> = {}): NatsQueue {
  const q = new NatsQueue({
    url: NATS_URL,
    stream,
    db,
    logger: silent,
    concurrency: 4,
    leaseMs: LEASE_MS,
    delays: { busyMs: 20, busyMaxMs: 200, failureMs: 50, failureMaxMs: 200 },
    sweepMs: 200,
    sweepAgeMs: 300,
    reconnectWaitMs: 100,
    ...opts,
  });
  queues.push(q);
  return q;
}

let seq = 0;
function msg(from: string): InboundMessageEvent {
  return textEvent(`wamid.nats-${++seq}`, from, { timestamp: Date.now() });
}

/** Commits one message per sender, in this order, and returns the inbox refs. */
async function commit(db: Db, senders: string[]) {
  const refs = [];
  for (const from of senders) refs.push(...(await commitToInbox(db, [msg(from)])).accepted);
  return refs;
}

/** `claimForKey` in a transaction, as the pipeline calls it (one transaction per claim on Postgres). */
async function claimKey(db: Db, key: string, upTo: string, owner: string) {
  return db.transaction().execute((trx) => claimForKey(trx, key, upTo, owner, LEASE_MS * 10));
}

/**
 * A batch handler that does what the pipeline does to the inbox: claim the key's items (nothing when
 * another worker holds an older one), work, then mark them done in a transaction that checks the
 * lease. `processed` records each item after its commit.
 */
function worker(db: Db, owner: string, processed: { key: string; id: string; owner: string }[], workMs = 0) {
  const calls = { batches: 0, empty: 0 };
  const handle: BatchHandler = async (key, ids) => {
    calls.batches++;
    const upTo = ids.reduce((a, b) => (a > b ? a : b));
    const items = await claimKey(db, key, upTo, owner);
    if (items.length === 0) {
      calls.empty++;
      return;
    }
    if (workMs > 0) await sleep(Math.random() * workMs);
    await db.transaction().execute((trx) =>
      markInboxDone(
        trx,
        items.map((i) => i.id),
        owner,
      ),
    );
    for (const i of items) processed.push({ key, id: i.id, owner });
  };
  return { handle, calls };
}

async function states(db: Db) {
  return db.selectFrom('inbox').select(['id', 'state', 'attempts']).orderBy('id').execute();
}

const allDone = async (db: Db) => (await states(db)).every((r) => r.state === 'done');

describe('NatsQueue start-up', () => {
  it('fails with a message naming QUEUE_URL when the NATS server does not answer', async () => {
    store = await openTestStore('sqlite');
    const q = new NatsQueue({
      url: 'nats://127.0.0.1:1',
      stream: 'UNUSED',
      db: store.db,
      logger: silent,
      concurrency: 1,
      leaseMs: LEASE_MS,
    });
    await expect(q.start(async () => undefined)).rejects.toThrow(
      /^QUEUE_URL: cannot connect to the NATS server at nats:\/\/127\.0\.0\.1:1/,
    );
    expect(q.depth()).toBe(0);
    await q.stop(100);
  });
});

describe.skipIf(!natsTests)(`NatsQueue (JetStream at ${NATS_URL})`, () => {
  it('publishes one message per inbox item and the server drops a repeat of the same id', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const q = queue(store.db);
    await q.connect();
    const refs = await commit(store.db, ['33600000001', '33600000002', '33600000001']);
    await q.publish(refs);
    await q.publish(refs);
    await q.publish([refs[1]!]);
    expect(q.stats).toMatchObject({ published: 3, duplicates: 4 });
    expect(await streamCounts(stream)).toEqual({ messages: 3, ackPending: 0 });
  });

  it('acknowledges a message only after the handler committed its effects', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let claimed = false;
    const q = queue(db);
    await q.start(async (key, ids) => {
      const items = await claimForKey(db, key, ids[0]!, 'w1', 60_000);
      claimed = true;
      await gate;
      await markInboxDone(
        db,
        items.map((i) => i.id),
        'w1',
      );
    });
    await q.publish(await commit(db, ['33600000001']));
    await waitFor(() => claimed, 5000, 'the batch to start');
    await sleep(100);
    // Delivered, not acknowledged: still in the stream, pending ack.
    expect(await streamCounts(stream)).toEqual({ messages: 1, ackPending: 1 });
    expect(q.depth()).toBe(1);
    release();
    await waitFor(async () => (await streamCounts(stream)).messages === 0, 5000, 'the ack');
    expect(await states(db)).toMatchObject([{ state: 'done', attempts: 1 }]);
    expect(q.stats).toMatchObject({ acked: 1, nakked: 0 });
    expect(q.depth()).toBe(0);
  });

  it('delivers again, after a back-off, a message whose handler threw', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    const processed: { key: string; id: string; owner: string }[] = [];
    const { handle } = worker(db, 'w1', processed);
    const calls: number[] = [];
    const q = queue(db);
    await q.start(async (key, ids) => {
      calls.push(Date.now());
      if (calls.length === 1) throw new Error('database unavailable');
      await handle(key, ids);
    });
    const [ref] = await commit(db, ['33600000001']);
    await q.publish([ref!]);
    await waitFor(() => processed.length === 1, 5000, 'the retry');
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(45); // failureMs: 50
    expect(q.stats).toMatchObject({ nakked: 1 });
    await waitFor(async () => (await streamCounts(stream)).messages === 0, 5000, 'the ack');
  });

  it('keeps the message of an item released for a retry, and delivers it when the retry is due', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    const calls: number[] = [];
    const q = queue(db);
    await q.start(async (key, ids) => {
      calls.push(Date.now());
      const items = await claimForKey(db, key, ids[0]!, 'w1', 60_000);
      if (calls.length === 1) {
        // What the pipeline does with a failing item: pending again in 300 ms.
        await releaseInbox(db, ids, 'assistant timed out', 5, 300);
        return;
      }
      await markInboxDone(
        db,
        items.map((i) => i.id),
        'w1',
      );
    });
    await q.publish(await commit(db, ['33600000001']));
    await waitFor(async () => allDone(db), 5000, 'the retry');
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(290);
    expect(await states(db)).toMatchObject([{ state: 'done', attempts: 2 }]);
  });

  it('delays, never acknowledges, a message whose key another worker holds, until its turn comes', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    const [older, newer] = await commit(db, ['33600000001', '33600000001']);
    // Another process holds the older item of the conversation.
    await claimForKey(db, older!.orderingKey, older!.id, 'elsewhere', 60_000);
    const processed: { key: string; id: string; owner: string }[] = [];
    const w = worker(db, 'here', processed);
    const q = queue(db);
    await q.start(w.handle);
    await q.publish([newer!]);
    await waitFor(() => w.calls.empty >= 3, 5000, 'a few busy deliveries');
    expect(processed).toEqual([]);
    expect(await streamCounts(stream)).toMatchObject({ messages: 1 });
    expect(q.stats.acked).toBe(0);
    await markInboxDone(db, [older!.id], 'elsewhere');
    await waitFor(() => processed.length === 1, 5000, 'the newer item');
    expect(processed[0]).toMatchObject({ id: newer!.id, owner: 'here' });
    await waitFor(async () => (await streamCounts(stream)).messages === 0, 5000, 'the ack');
  });

  it('delivers again to another process the batch of a process that died without acknowledging', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    let holding = false;
    let unblock!: () => void;
    const dying = queue(db);
    await dying.start(async (key, ids) => {
      await claimForKey(db, key, ids[0]!, 'dying', LEASE_MS);
      holding = true;
      await new Promise<void>((r) => (unblock = r));
    });
    await dying.publish(await commit(db, ['33600000001']));
    await waitFor(() => holding, 5000, 'the first delivery');
    const diedAt = Date.now();
    // The process is gone: its connection closes mid-batch, nothing was acknowledged.
    await dying.connection()!.close();

    const processed: { key: string; id: string; owner: string }[] = [];
    const survivor = queue(db);
    await survivor.start(worker(db, 'survivor', processed).handle);
    await waitFor(() => processed.length === 1, 10_000, 'the redelivery');
    // Not before ack_wait (one lease and a second) ran out.
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(LEASE_MS);
    expect(processed[0]!.owner).toBe('survivor');
    expect(await states(db)).toMatchObject([{ state: 'done', attempts: 2 }]);
    await waitFor(async () => (await streamCounts(stream)).messages === 0, 5000, 'the ack');
    unblock();
  });

  it('announces items committed but never published (the sweep), at start and later', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    // Committed by a process that died before publishing.
    await commit(db, ['33600000001', '33600000002', '33600000001']);
    const processed: { key: string; id: string; owner: string }[] = [];
    const q = queue(db);
    await q.start(worker(db, 'w1', processed).handle);
    await waitFor(() => processed.length === 3, 5000, 'the items found at start');
    // Committed while running, its publish lost.
    await commit(db, ['33600000003']);
    await waitFor(() => processed.length === 4, 5000, 'the periodic sweep');
    expect(q.stats.swept).toBe(4);
    expect(await allDone(db)).toBe(true);
  });

  it('reconnects after the connection is cut, and loses nothing', async () => {
    stream = uniqueStream();
    store = await openTestStore('sqlite');
    const db = store.db;
    proxy = await startNatsProxy();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }) as Logger;
    const processed: { key: string; id: string; owner: string }[] = [];
    const q = queue(db, { url: proxy.url, logger });
    await q.start(worker(db, 'w1', processed).handle);
    await q.publish(await commit(db, ['33600000001']));
    await waitFor(() => processed.length === 1, 5000, 'the first item');
    proxy.cut();
    // Committed while the connection is down: its publish waits, or fails and the sweep announces it.
    const refs = await commit(db, ['33600000001', '33600000002']);
    // As the webhook does: not awaited (a publish lost with the connection times out after 5 s).
    q.publish(refs).catch(() => undefined);
    await waitFor(() => processed.length === 3, 10_000, 'the items after the reconnection');
    expect(lines.some((l) => l.includes('NATS connection lost'))).toBe(true);
    expect(lines.some((l) => l.includes('NATS connection restored'))).toBe(true);
    expect(await allDone(db)).toBe(true);
  });
});

describe.skipIf(!natsTests || !DIALECTS.includes('postgres'))(
  'NatsQueue, two processes, one Postgres',
  () => {
    it('keeps each conversation in order while both compete for the same keys', async () => {
      stream = uniqueStream();
      store = await openTestStore('postgres');
      const db = store.db;
      const processed: { key: string; id: string; owner: string }[] = [];
      const a = worker(db, 'A', processed, 30);
      const b = worker(db, 'B', processed, 30);
      const qa = queue(db, { concurrency: 3 });
      const qb = queue(db, { concurrency: 3 });
      await qa.start(a.handle);
      await qb.start(b.handle);

      const senders = ['33600000001', '33600000002', '33600000003', '33600000004'];
      const expected = new Map<string, string[]>();
      for (let round = 0; round < 12; round++) {
        const refs = await commit(db, senders);
        for (const r of refs) expected.set(r.orderingKey, [...(expected.get(r.orderingKey) ?? []), r.id]);
        // Each item announced by one process, alternately; processes pull whatever comes.
        await Promise.all(refs.map((r, i) => ((round + i) % 2 === 0 ? qa : qb).publish([r])));
        await sleep(Math.random() * 5);
      }
      const total = senders.length * 12;
      await waitFor(() => processed.length >= total, 20_000, 'every item');
      await sleep(200);

      expect(processed).toHaveLength(total); // each item processed once
      for (const [key, ids] of expected) {
        expect(processed.filter((p) => p.key === key).map((p) => p.id)).toEqual(ids);
      }
      expect(new Set(processed.map((p) => p.owner))).toEqual(new Set(['A', 'B']));
      expect(await allDone(db)).toBe(true);
      await waitFor(async () => (await streamCounts(stream)).messages === 0, 5000, 'every ack');
    });
  },
);
