import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeCallbackData, resolveCallbackRef } from '../channels/telegram/callback-data.ts';
import { parseUpdate } from '../channels/telegram/inbound.ts';
import type { MessageContent } from '../core/content.ts';
import type { InboundEvent } from '../core/events.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { WorkQueue } from '../queue/port.ts';
import type { Db } from '../store/db.ts';
import type { CommitResult } from '../store/inbox.ts';
import { inboxIngest } from '../store/inbox-ingest.ts';

/** Telegram updates are small (a message, a button press); anything over 1 MB is refused with 413. */
export const MAX_TELEGRAM_UPDATE_BYTES = 1024 * 1024;

/** The header Telegram sets to the `secret_token` given to `setWebhook` (Bot API, setWebhook). */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramIngestOptions {
  db: Db;
  queue: WorkQueue;
  metrics: Metrics;
  logger: Logger;
  /** The bot's id: the `account` of every event. */
  botId: string;
}

/** Stores updates, however they came (webhook or long polling); resolves once they are committed. */
export type TelegramIngest = (updates: unknown[]) => Promise<CommitResult & { events: InboundEvent[] }>;

/**
 * The one way Telegram updates enter the gateway, shared by the webhook and the poller: parse, resolve
 * long button ids, commit to the inbox (duplicates absorbed by dedupe key), then hand the new items to
 * the work queue. Nothing is processed here. Unreadable updates (no `update_id`) are skipped and
 * counted.
 */
export function telegramIngest(opts: TelegramIngestOptions): TelegramIngest {
  const { db, queue, metrics, logger, botId } = opts;
  const inbox = inboxIngest(db);
  return async (updates) => {
    const receivedAt = Date.now();
    const events: InboundEvent[] = [];
    for (const u of updates) {
      const parsed = parseUpdate(u, { botId, receivedAt });
      if (parsed.ok) events.push(...parsed.events);
      else metrics.inbound.inc({ channel: 'telegram', kind: 'unknown', outcome: 'rejected' });
    }
    await resolveChoiceRefs(db, events);
    // Telegram delivers again what was not acknowledged: in a flood, the intake log may take it.
    const result = await inbox.commit(events, { deferrable: true });
    for (const e of events) metrics.inbound.inc({ channel: 'telegram', kind: e.kind, outcome: 'received' });
    if (result.duplicates > 0)
      metrics.inbound.inc({ channel: 'telegram', kind: 'any', outcome: 'duplicate' }, result.duplicates);
    // After the commit: a failure to schedule now is recovered by the queue's sweep.
    queue.publish(result.accepted).catch((err: unknown) => logger.error({ err }, 'queue publish failed'));
    return { ...result, events };
  };
}

/**
 * A button whose id did not fit Telegram's 64-byte `callback_data` came back as a reference
 * (`~<index>:<hash>`): find the full id in the message we sent with the keyboard. If that message is
 * unknown, the reference stays, and the button's label (the choice's title) is all the assistant has.
 */
async function resolveChoiceRefs(db: Db, events: InboundEvent[]): Promise<void> {
  for (const e of events) {
    if (e.kind !== 'message' || e.content.type !== 'choice' || !e.context?.messageId) continue;
    const data = decodeCallbackData(e.content.choiceId);
    if (data.kind !== 'ref') continue;
    const row = await db
      .selectFrom('messages')
      .select('content')
      .where('channel', '=', 'telegram')
      .where('provider_message_id', '=', e.context.messageId)
      .where('direction', '=', 'out')
      .executeTakeFirst();
    if (!row) continue;
    const id = resolveCallbackRef(JSON.parse(row.content) as MessageContent, data);
    if (id !== undefined) e.content = { ...e.content, choiceId: id };
  }
}

export interface TelegramWebhookOptions {
  ingest: TelegramIngest;
  metrics: Metrics;
  /**
   * `TELEGRAM_WEBHOOK_SECRET`. Without one the route refuses every request: an unauthenticated
   * webhook would let anyone post messages in any person's name.
   */
  secret: string | undefined;
}

/**
 * `POST /webhooks/telegram`: the secret header (constant-time) → parse → inbox commit → 200. A
 * request without the header gets 401, with a wrong one 403, and changes nothing; an update that is
 * not JSON or has no `update_id` gets 400; a store failure gets 503, so Telegram delivers it again.
 * The 200 has an empty body: a JSON body with a `method` would be executed by Telegram as a call.
 */
export async function telegramWebhookRoutes(
  app: FastifyInstance,
  opts: TelegramWebhookOptions,
): Promise<void> {
  const { metrics } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: MAX_TELEGRAM_UPDATE_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.post('/webhooks/telegram', async (req, reply) => {
    const started = performance.now();
    const respond = (code: number, body?: unknown) => {
      metrics.webhookRequests.inc({ channel: 'telegram', code: String(code) });
      return body === undefined ? reply.code(code).send() : reply.code(code).send(body);
    };
    const given = req.headers[SECRET_HEADER];
    if (opts.secret === undefined) return respond(403, { error: 'telegram webhook is not enabled' });
    if (typeof given !== 'string' || given === '') {
      metrics.inbound.inc({ channel: 'telegram', kind: 'unknown', outcome: 'rejected' });
      req.log.warn('telegram webhook without its secret token');
      return respond(401, { error: 'secret token missing' });
    }
    if (!safeEqual(given, opts.secret)) {
      metrics.inbound.inc({ channel: 'telegram', kind: 'unknown', outcome: 'rejected' });
      req.log.warn('telegram webhook secret token mismatch');
      return respond(403, { error: 'secret token mismatch' });
    }
    const raw = req.body as Buffer | undefined;
    if (!raw || raw.length === 0) return respond(400, { error: 'empty body' });
    let update: unknown;
    try {
      update = JSON.parse(raw.toString('utf8'));
    } catch {
      return respond(400, { error: 'malformed JSON' });
    }
    const check = parseUpdate(update, { botId: '0' });
    if (!check.ok) return respond(400, { error: check.error, message: check.message });
    try {
      await opts.ingest([update]);
    } catch (err) {
      req.log.error({ err }, 'inbox commit failed');
      return respond(503, { error: 'temporarily unavailable' });
    }
    metrics.ackSeconds.observe({ channel: 'telegram' }, (performance.now() - started) / 1000);
    return respond(200);
  });
}

/** Constant-time comparison of digests: not even the secret's length shows in the timing. */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
