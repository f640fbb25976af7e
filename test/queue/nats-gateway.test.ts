import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.ts';
import { NatsQueue } from '../../src/queue/nats.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/db.ts';
import { deleteStream, NATS_URL, natsTests, uniqueStream } from '../helpers/nats.ts';
import { CREDS, testGatewayConfig, waitFor } from '../helpers/stack.ts';

/**
 * Two gateway processes (two `Gateway` instances, each with its own pool, queue and dispatcher) on one
 * Postgres database, sharing the work through one NATS JetStream stream, behind a round-robin load
 * balancer: Meta's signed webhooks land alternately on each, and every message is answered once.
 */

let sandbox: RunningSandbox | undefined;
let balancer: Balancer | undefined;
const gateways: Gateway[] = [];
let database: TestDatabase | undefined;
let stream = '';

afterEach(async () => {
  await sandbox?.close();
  await balancer?.close();
  for (const g of gateways.splice(0)) await g.stop();
  if (stream) await deleteStream(stream);
  await database?.drop();
  sandbox = balancer = database = undefined;
  stream = '';
});

interface Balancer {
  url: string;
  /** Requests forwarded to each target, by index. */
  forwarded: number[];
  close(): Promise<void>;
}

/** Forwards each request, body and signature untouched, to the next target in turn. */
async function roundRobin(targets: string[]): Promise<Balancer> {
  const forwarded = targets.map(() => 0);
  let next = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = next++ % targets.length;
      forwarded[i]!++;
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'x-hub-signature-256'])
        if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      fetch(targets[i] + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers,
        body: new Uint8Array(Buffer.concat(chunks)),
      })
        .then(async (r) => res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const QUESTIONS = ['When are you open?', 'Do you repair bikes?', 'Is there a warranty?'];
const USERS = ['33611110001', '33611110002', '33611110003', '33611110004', '33611110005'];

describe.skipIf(!natsTests || !DIALECTS.includes('postgres'))(
  'two gateways on one Postgres database, QUEUE_URL=nats://',
  () => {
    it('answers every message exactly once, whichever gateway received its webhook', async () => {
      stream = uniqueStream();
      database = await createTestDatabase('postgres');
      sandbox = await startSandbox({
        ...CREDS,
        host: '127.0.0.1',
        port: 0,
        webhookRetry: { baseDelayMs: 20, maxAttempts: 6 },
      });
      const config = testGatewayConfig(sandbox.graphUrl, database.url, {
        QUEUE_URL: NATS_URL,
        QUEUE_STREAM: stream,
      });
      // One after the other: the first runs the migrations.
      for (let i = 0; i < 2; i++) {
        const gw = await Gateway.create({ config });
        gateways.push(gw);
        await gw.start();
      }
      balancer = await roundRobin(gateways.map((g) => g.localUrl));
      sandbox.configure({ webhookUrl: `${balancer.url}/webhooks/whatsapp` });
      const sb = sandbox;
      for (const u of USERS) sb.users.create({ waId: u, name: `User ${u.slice(-1)}` });

      // Conversations in parallel; in each, the next question once the previous one is answered.
      await Promise.all(
        USERS.map(async (u) => {
          for (const [n, q] of QUESTIONS.entries()) {
            sb.userSends(u, q);
            await waitFor(() => sb.sentTo(u).length >= n + 1, 15_000, `answer ${n + 1} to ${u}`);
          }
        }),
      );
      await sb.idle();
      await new Promise((r) => setTimeout(r, 500));

      for (const u of USERS) expect(sb.sentTo(u)).toHaveLength(QUESTIONS.length);
      expect(balancer.forwarded.every((n) => n > 0)).toBe(true);
      // Both processes took work from the stream.
      for (const g of gateways) {
        expect(g.queue).toBeInstanceOf(NatsQueue);
        expect((g.queue as NatsQueue).stats.acked).toBeGreaterThan(0);
      }
      const db = gateways[0]!.store.db;
      const inbox = await db.selectFrom('inbox').select(['state']).where('kind', '=', 'message').execute();
      expect(inbox).toHaveLength(USERS.length * QUESTIONS.length);
      expect(inbox.every((r) => r.state === 'done')).toBe(true);
      const replies = await db.selectFrom('outbox').select(['state']).where('kind', '=', 'message').execute();
      expect(replies).toHaveLength(USERS.length * QUESTIONS.length);
      expect(replies.every((r) => r.state === 'sent')).toBe(true);
    });
  },
);
