import type { FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { parseWebhook } from '../channels/whatsapp/inbound.ts';
import { verifySignature } from '../channels/whatsapp/signature.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { WorkQueue } from '../queue/port.ts';
import type { Db } from '../store/db.ts';
import type { CommitResult } from '../store/inbox.ts';
import { inboxIngest } from '../store/inbox-ingest.ts';

/** Meta caps webhook payloads at 3 MB (spec §1.6); anything larger is refused with 413. */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

export interface WhatsAppWebhookOptions {
  db: Db;
  queue: WorkQueue;
  metrics: Metrics;
  verifyToken: string;
  appSecret: string;
}

/**
 * `GET /webhooks/whatsapp`: the verification handshake (spec §1.1).
 * `POST /webhooks/whatsapp`: signature over the raw bytes (spec §1.2) → parse → inbox commit → 200.
 * Nothing is processed in the request: the work queue takes it from the inbox. A body we cannot
 * trust or read gets a 4xx and changes nothing; a store failure gets a 503 so Meta retries.
 *
 * The requests of one turn of the event loop are committed together (`InboxIngest`: one insert, one
 * commit, ahead of any background work); each is answered 200 only after the commit that holds its
 * events.
 */
export async function whatsappWebhookRoutes(
  app: FastifyInstance,
  opts: WhatsAppWebhookOptions,
): Promise<void> {
  const { db, queue, metrics } = opts;
  const inbox = inboxIngest(db);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.get('/webhooks/whatsapp', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const token = q['hub.verify_token'];
    const challenge = q['hub.challenge'];
    if (
      q['hub.mode'] === 'subscribe' &&
      token !== undefined &&
      challenge &&
      safeEqual(token, opts.verifyToken)
    ) {
      return reply.code(200).type('text/plain').send(challenge);
    }
    req.log.warn({ mode: q['hub.mode'] }, 'webhook verification refused');
    return reply.code(403).send({ error: 'verification failed' });
  });

  app.post('/webhooks/whatsapp', async (req, reply) => {
    const started = performance.now();
    const raw = req.body as Buffer | undefined;
    const respond = (code: number, body: unknown) => {
      metrics.webhookRequests.inc({ channel: 'whatsapp', code: String(code) });
      return reply.code(code).send(body);
    };
    if (!raw || raw.length === 0) return respond(400, { error: 'empty body' });

    const sig = verifySignature(raw, req.headers['x-hub-signature-256'], opts.appSecret);
    if (!sig.ok) {
      metrics.inbound.inc({ channel: 'whatsapp', kind: 'unknown', outcome: 'rejected' });
      req.log.warn({ reason: sig.reason }, 'webhook signature rejected');
      return respond(sig.reason === 'mismatch' ? 403 : 401, { error: `signature ${sig.reason}` });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return respond(400, { error: 'malformed JSON' });
    }
    const parsed = parseWebhook(body);
    if (!parsed.ok) return respond(400, { error: parsed.error, message: parsed.message });

    let result: CommitResult;
    try {
      // Meta delivers again what was not acknowledged: in a flood, the intake log may take it.
      result = await inbox.commit(parsed.events, { deferrable: true });
    } catch (err) {
      req.log.error({ err }, 'inbox commit failed');
      return respond(503, { error: 'temporarily unavailable' });
    }
    for (const e of parsed.events) {
      metrics.inbound.inc({ channel: 'whatsapp', kind: e.kind, outcome: 'received' });
    }
    if (result.duplicates > 0)
      metrics.inbound.inc({ channel: 'whatsapp', kind: 'any', outcome: 'duplicate' }, result.duplicates);
    metrics.ackSeconds.observe({ channel: 'whatsapp' }, (performance.now() - started) / 1000);
    respond(200, 'EVENT_RECEIVED');
    // After the commit: a failure to schedule now is recovered by the queue's sweep.
    queue.publish(result.accepted).catch((err: unknown) => req.log.error({ err }, 'queue publish failed'));
    return reply;
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
