import type { MessageContent } from '../core/content.ts';
import type { StatusEvent } from '../core/events.ts';
import { newId, type MessageId } from '../core/ids.ts';
import { foldStatuses, type OutboundState, type StatusFact } from '../core/status.ts';
import type { Db } from './db.ts';
import type { MessagesTable } from './schema.ts';
import { arg, Prepared } from './sql.ts';

export interface NewMessage {
  conversationId: string;
  personId: string;
  contactId: string;
  channel: string;
  direction: 'in' | 'out';
  providerMessageId?: string;
  content: MessageContent;
  replyTo?: string;
  status: string;
  sentAt: number;
  meta?: Record<string, unknown>;
}

/**
 * Records a message. An inbound message whose provider id is already stored is not stored again:
 * the existing id is returned with `inserted: false`.
 */
export async function insertMessage(
  db: Db,
  m: NewMessage,
  now = Date.now(),
): Promise<{ id: MessageId; inserted: boolean }> {
  const row: MessagesTable = {
    id: newId<MessageId>(),
    conversation_id: m.conversationId,
    person_id: m.personId,
    contact_id: m.contactId,
    channel: m.channel,
    direction: m.direction,
    provider_message_id: m.providerMessageId ?? null,
    content_type: m.content.type,
    content: JSON.stringify(m.content),
    reply_to: m.replyTo ?? null,
    status: m.status,
    status_at: now,
    error_code: null,
    error_details: null,
    sent_at: m.sentAt,
    created_at: now,
    meta: m.meta ? JSON.stringify(m.meta) : null,
  };
  const ins = await insertQuery.first(db, row);
  if (ins) return { id: ins.id as MessageId, inserted: true };
  const found = await byProviderIdQuery.first(db, {
    channel: m.channel,
    providerMessageId: m.providerMessageId ?? '',
  });
  if (!found) throw new Error('message not inserted and not found');
  return { id: found.id as MessageId, inserted: false };
}

const insertQuery = new Prepared<Record<keyof MessagesTable, unknown>, { id: string }>((db) =>
  db
    .insertInto('messages')
    .values({
      id: arg('id'),
      conversation_id: arg('conversation_id'),
      person_id: arg('person_id'),
      contact_id: arg('contact_id'),
      channel: arg('channel'),
      direction: arg('direction'),
      provider_message_id: arg('provider_message_id'),
      content_type: arg('content_type'),
      content: arg('content'),
      reply_to: arg('reply_to'),
      status: arg('status'),
      status_at: arg('status_at'),
      error_code: arg('error_code'),
      error_details: arg('error_details'),
      sent_at: arg('sent_at'),
      created_at: arg('created_at'),
      meta: arg('meta'),
    })
    .onConflict((oc) => oc.columns(['channel', 'provider_message_id']).doNothing())
    .returning('id'),
);

const byProviderIdQuery = new Prepared<{ channel: string; providerMessageId: string }, { id: string }>((db) =>
  db
    .selectFrom('messages')
    .select('id')
    .where('channel', '=', arg('channel'))
    .where('provider_message_id', '=', arg('providerMessageId')),
);

/**
 * Stores one status event (a repeated (id, status, participant) is ignored) and refreshes the state of
 * the message it concerns, if we know it yet: a status may arrive before the send call returned.
 * Returns whether the event was new.
 */
export async function recordStatus(db: Db, e: StatusEvent, now = Date.now()): Promise<boolean> {
  const ins = await insertStatusQuery.first(db, {
    id: newId(),
    channel: e.channel,
    providerMessageId: e.providerMessageId,
    status: e.status,
    participant: e.recipient.participant ?? '',
    timestamp: e.timestamp,
    detail: JSON.stringify({
      errors: e.errors,
      pricing: e.pricing,
      conversation: e.conversation,
      recipient: e.recipient,
    }),
    now,
  });
  if (!ins) return false;
  await refreshMessageStatus(db, e.channel, e.providerMessageId);
  return true;
}

const insertStatusQuery = new Prepared<
  {
    id: string;
    channel: string;
    providerMessageId: string;
    status: string;
    participant: string;
    timestamp: number;
    detail: string;
    now: number;
  },
  { id: string }
>((db) =>
  db
    .insertInto('message_statuses')
    .values({
      id: arg('id'),
      channel: arg('channel'),
      provider_message_id: arg('providerMessageId'),
      status: arg('status'),
      participant: arg('participant'),
      timestamp: arg('timestamp'),
      detail: arg('detail'),
      received_at: arg('now'),
    })
    .onConflict((oc) => oc.columns(['channel', 'provider_message_id', 'status', 'participant']).doNothing())
    .returning('id'),
);

/** A status event as stored: what `foldStatuses` needs, and the provider's error details. */
export interface StoredStatus {
  status: string;
  timestamp: number;
  detail: string | null;
}

const statusesQuery = new Prepared<{ channel: string; providerMessageId: string }, StoredStatus>((db) =>
  db
    .selectFrom('message_statuses')
    .select(['status', 'timestamp', 'detail'])
    .where('channel', '=', arg('channel'))
    .where('provider_message_id', '=', arg('providerMessageId')),
);

/**
 * The status events stored for a provider message id. Usually none when a send is settled (they
 * come later, by webhook); then there is nothing to fold and no failure to act on.
 */
export async function statusesOf(
  db: Db,
  channel: string,
  providerMessageId: string,
): Promise<StoredStatus[]> {
  return statusesQuery.all(db, { channel, providerMessageId });
}

/** Recomputes a sent message's state from all status events stored for its provider id. */
export async function refreshMessageStatus(
  db: Db,
  channel: string,
  providerMessageId: string,
  /** The stored status events, when the caller has just read them. */
  known?: StoredStatus[],
): Promise<void> {
  const msg = await outMessageQuery.first(db, { channel, providerMessageId });
  if (!msg) return;
  const rows = known ?? (await statusesOf(db, channel, providerMessageId));
  const facts: StatusFact[] = rows.map((r) => {
    const d = r.detail ? (JSON.parse(r.detail) as { errors?: { code: number; details?: string }[] }) : {};
    const err = d.errors?.[0];
    return {
      status: r.status,
      timestamp: r.timestamp,
      ...(err ? { errorCode: err.code, ...(err.details ? { errorDetails: err.details } : {}) } : {}),
    };
  });
  const folded = foldStatuses({ status: 'accepted', at: msg.created_at }, facts);
  const meta = {
    ...(msg.meta ? (JSON.parse(msg.meta) as Record<string, unknown>) : {}),
    deliveredAt: folded.deliveredAt,
    readAt: folded.readAt,
  };
  await foldedQuery.run(db, {
    id: msg.id,
    status: folded.status,
    at: folded.at,
    errorCode: folded.errorCode ?? null,
    errorDetails: folded.errorDetails ?? null,
    meta: JSON.stringify(meta),
  });
}

const outMessageQuery = new Prepared<
  { channel: string; providerMessageId: string },
  Pick<MessagesTable, 'id' | 'status' | 'status_at' | 'created_at' | 'meta'>
>((db) =>
  db
    .selectFrom('messages')
    .select(['id', 'status', 'status_at', 'created_at', 'meta'])
    .where('channel', '=', arg('channel'))
    .where('provider_message_id', '=', arg('providerMessageId'))
    .where('direction', '=', 'out'),
);

const foldedQuery = new Prepared<{
  id: string;
  status: string;
  at: number;
  errorCode: string | null;
  errorDetails: string | null;
  meta: string;
}>((db) =>
  db
    .updateTable('messages')
    .set({
      status: arg('status'),
      status_at: arg('at'),
      error_code: arg('errorCode'),
      error_details: arg('errorDetails'),
      meta: arg('meta'),
    })
    .where('id', '=', arg('id')),
);

const stateQuery = new Prepared<{ id: string; status: string; now: number }>((db) =>
  db
    .updateTable('messages')
    .set({ status: arg('status'), status_at: arg('now') })
    .where('id', '=', arg('id')),
);

const acceptedQuery = new Prepared<{ id: string; now: number; providerMessageId: string }>((db) =>
  db
    .updateTable('messages')
    .set({ status: 'accepted', status_at: arg('now'), provider_message_id: arg('providerMessageId') })
    .where('id', '=', arg('id')),
);

/** Sets the state of an outbound message from the outbox's point of view (queued, accepted, dead…). */
export async function setMessageState(
  db: Db,
  id: string,
  status: OutboundState,
  extra: {
    providerMessageId?: string;
    errorCode?: string;
    errorDetails?: string;
    content?: MessageContent;
  } = {},
  now = Date.now(),
): Promise<void> {
  const { providerMessageId, errorCode, errorDetails, content } = extra;
  // The two common cases, prepared: a plain state change, and a send accepted by the provider.
  if (errorCode === undefined && errorDetails === undefined && content === undefined) {
    if (providerMessageId === undefined) return void (await stateQuery.run(db, { id, status, now }));
    if (status === 'accepted') return void (await acceptedQuery.run(db, { id, now, providerMessageId }));
  }
  await db
    .updateTable('messages')
    .set({
      status,
      status_at: now,
      ...(extra.providerMessageId !== undefined ? { provider_message_id: extra.providerMessageId } : {}),
      ...(extra.errorCode !== undefined ? { error_code: extra.errorCode } : {}),
      ...(extra.errorDetails !== undefined ? { error_details: extra.errorDetails } : {}),
      ...(extra.content !== undefined
        ? { content: JSON.stringify(extra.content), content_type: extra.content.type }
        : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Arrival times of a person's inbound messages on a channel since `since` (the per-sender rate guard). */
export async function inboundTimesSince(
  db: Db,
  personId: string,
  channel: string,
  since: number,
): Promise<number[]> {
  const rows = await inboundSinceQuery.all(db, { personId, channel, since });
  return rows.map((r) => Number(r.created_at));
}

const inboundSinceQuery = new Prepared<
  { personId: string; channel: string; since: number },
  { created_at: number }
>((db) =>
  db
    .selectFrom('messages')
    .select('created_at')
    .where('person_id', '=', arg('personId'))
    .where('created_at', '>=', arg('since'))
    .where('channel', '=', arg('channel'))
    .where('direction', '=', 'in'),
);
