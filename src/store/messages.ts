import type { MessageContent } from '../core/content.ts';
import type { StatusEvent } from '../core/events.ts';
import { newId, type MessageId } from '../core/ids.ts';
import { foldStatuses, type OutboundState, type StatusFact } from '../core/status.ts';
import type { Db } from './db.ts';
import type { MessagesTable } from './schema.ts';

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
  const ins = await db
    .insertInto('messages')
    .values(row)
    .onConflict((oc) => oc.columns(['channel', 'provider_message_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (ins) return { id: ins.id as MessageId, inserted: true };
  const found = await db
    .selectFrom('messages')
    .select('id')
    .where('channel', '=', m.channel)
    .where('provider_message_id', '=', m.providerMessageId ?? '')
    .executeTakeFirstOrThrow();
  return { id: found.id as MessageId, inserted: false };
}

/**
 * Stores one status event (a repeated (id, status, participant) is ignored) and refreshes the state of
 * the message it concerns, if we know it yet: a status may arrive before the send call returned.
 * Returns whether the event was new.
 */
export async function recordStatus(db: Db, e: StatusEvent, now = Date.now()): Promise<boolean> {
  const ins = await db
    .insertInto('message_statuses')
    .values({
      id: newId(),
      channel: e.channel,
      provider_message_id: e.providerMessageId,
      status: e.status,
      participant: e.recipient.participant ?? '',
      timestamp: e.timestamp,
      detail: JSON.stringify({
        errors: e.errors,
        pricing: e.pricing,
        conversation: e.conversation,
        recipient: e.recipient,
      }),
      received_at: now,
    })
    .onConflict((oc) => oc.columns(['channel', 'provider_message_id', 'status', 'participant']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!ins) return false;
  await refreshMessageStatus(db, e.channel, e.providerMessageId);
  return true;
}

/** Recomputes a sent message's state from all status events stored for its provider id. */
export async function refreshMessageStatus(
  db: Db,
  channel: string,
  providerMessageId: string,
): Promise<void> {
  const msg = await db
    .selectFrom('messages')
    .select(['id', 'status', 'status_at', 'created_at', 'meta'])
    .where('channel', '=', channel)
    .where('provider_message_id', '=', providerMessageId)
    .where('direction', '=', 'out')
    .executeTakeFirst();
  if (!msg) return;
  const rows = await db
    .selectFrom('message_statuses')
    .select(['status', 'timestamp', 'detail'])
    .where('channel', '=', channel)
    .where('provider_message_id', '=', providerMessageId)
    .execute();
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
  await db
    .updateTable('messages')
    .set({
      status: folded.status,
      status_at: folded.at,
      error_code: folded.errorCode ?? null,
      error_details: folded.errorDetails ?? null,
      meta: JSON.stringify(meta),
    })
    .where('id', '=', msg.id)
    .execute();
}

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
