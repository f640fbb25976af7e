/**
 * The WhatsApp Cloud API sandbox as the Graph API of a bench run, in its own process (so the load
 * generator, the system under test and the emulator do not share an event loop). Forked by the bench
 * with an IPC channel; see `SandboxRequest` for what the bench asks of it.
 *
 * Bench settings: Meta's per-number throughput limit is lifted (Passerelle paces itself at
 * `WHATSAPP_MESSAGES_PER_SECOND`; the whatsapp-api-js bot has no pacing at all), the pair limit stays
 * Meta's (burst 45, then 1 per 6 s), no webhook URL (status notifications are built and logged, not
 * posted, so the systems under test receive only the bench's load), no `delivered`/`read` statuses.
 */
import Fastify from 'fastify';
import { sandboxPlugin } from '../src/sandbox/plugin.ts';
import { contextOf, createSandbox } from '../src/sandbox/sandbox.ts';
import type { InboundMessage, SandboxEvent } from '../src/sandbox/state.ts';
import type { TrafficSpec } from './bodies.ts';
import { identity, senderNumber } from './bodies.ts';
import { BENCH_SECRETS, nowMs } from './constants.ts';

/** What the bench asks; each request gets one answer with the same `id`. */
export type SandboxRequest =
  | { id: number; type: 'prepare'; spec: TrafficSpec }
  | { id: number; type: 'stats' }
  | { id: number; type: 'replies'; spec: TrafficSpec };

/** Answers: `prepare` → `{}`; `stats` → counts; `replies` → the first reply time per sender of the spec. */
export type SandboxAnswer =
  | { id: number; type: 'prepared' }
  | { id: number; type: 'stats'; replies: number; graph: Record<string, number> }
  | { id: number; type: 'replies'; times: (number | null)[] };

const sandbox = createSandbox({
  appSecret: BENCH_SECRETS.appSecret,
  verifyToken: BENCH_SECRETS.verifyToken,
  accessToken: BENCH_SECRETS.accessToken,
  phoneNumberId: BENCH_SECRETS.phoneNumberId,
  wabaId: BENCH_SECRETS.wabaId,
  displayPhoneNumber: BENCH_SECRETS.displayPhoneNumber,
  throughputPerSecond: 1_000_000,
  statusDelaysMs: { sent: 10, delivered: null, read: null },
});
const ctx = contextOf(sandbox);

/** First business message to each user, stamped on the shared monotonic clock. */
const firstReply = new Map<string, number>();
let replies = 0;
/** Graph answers by `<status>` ("200", "400"…), to show failed sends. */
const graph: Record<string, number> = {};

sandbox.subscribe((e: SandboxEvent) => {
  if (e.type !== 'item' || e.item.direction !== 'out') return;
  if (e.item.statuses.length > 0) return; // a status change of a message already counted
  replies++;
  if (!firstReply.has(e.item.userKey)) firstReply.set(e.item.userKey, nowMs());
});

/**
 * Makes the sandbox know the phase's users and the messages they "sent" (as if typed on the phone),
 * without posting webhooks: the 24-hour window is open and mark-as-read finds the message.
 */
function prepare(spec: TrafficSpec): void {
  const at = ctx.clock.now();
  const ts = ctx.clock.unixSeconds(at);
  for (let k = 0; k < Math.min(spec.senderPool, spec.count); k++) {
    const who = identity(spec, k);
    ctx.state.addUser({ key: who.from, waId: who.from, name: who.name });
    ctx.state.noteInbound(ctx.business.phoneNumberId, who.from, at);
  }
  for (let i = 0; i < spec.count; i++) {
    const who = identity(spec, i);
    const message = { from: who.from, id: who.id, timestamp: ts, type: 'text', text: { body: 'bench' } };
    const item: InboundMessage = {
      direction: 'in',
      id: who.id,
      userKey: who.from,
      at,
      type: 'text',
      message,
      readByBusiness: false,
    };
    ctx.state.add(item);
  }
}

function answer(req: SandboxRequest): SandboxAnswer {
  switch (req.type) {
    case 'prepare':
      prepare(req.spec);
      return { id: req.id, type: 'prepared' };
    case 'stats':
      return { id: req.id, type: 'stats', replies, graph: { ...graph } };
    case 'replies': {
      const n = Math.min(req.spec.senderPool, req.spec.count);
      const times = Array.from({ length: n }, (_, k) => firstReply.get(senderNumber(req.spec, k)) ?? null);
      return { id: req.id, type: 'replies', times };
    }
  }
}

const app = Fastify({ logger: false, forceCloseConnections: true, keepAliveTimeout: 30_000 });
app.addHook('onResponse', async (req, reply) => {
  if (req.method === 'POST' && req.url.endsWith('/messages')) {
    const k = String(reply.statusCode);
    graph[k] = (graph[k] ?? 0) + 1;
  }
});
await app.register(sandboxPlugin, { sandbox });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
sandbox.setPublicUrl(address);

process.on('message', (msg: SandboxRequest) => process.send!(answer(msg)));
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', url: address, graphUrl: `${address}/graph` });
