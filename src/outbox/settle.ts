import type { MessageContent } from '../core/content.ts';
import type { DeliveryFailure } from '../core/delivery.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { arg, Prepared } from '../store/sql.ts';
import { refreshMessageStatus, setMessageState, statusesOf } from '../store/messages.ts';
import { settleOutbox, settleOutboxCoalesced, settleOutboxSent, type OutboxRow } from '../store/outbox.ts';
import type { RetryDecision } from './retry.ts';
import { onDeliveryFailed } from './statuses.ts';

/**
 * The outbox's bookkeeping after a send, each in one transaction: the outbox items, the messages they
 * carry and the audit log move together. Functions here do I/O only; the decisions come from
 * `retry.ts` and the dispatcher.
 */

/** The API accepted the send: the leader carries the provider id, coalesced members point at it. */
export async function settleSent(
  db: Db,
  owner: string,
  leader: OutboxRow,
  members: OutboxRow[],
  providerMessageId: string,
  content: MessageContent,
  now = Date.now(),
): Promise<boolean> {
  const settle = (trx: Db) => settleSentIn(trx, owner, leader, members, providerMessageId, content, now);
  return db.isTransaction ? settle(db) : db.transaction().execute(settle);
}

/** `settleSent` inside the caller's transaction (several settles can share one commit). */
export async function settleSentIn(
  trx: Db,
  owner: string,
  leader: OutboxRow,
  members: OutboxRow[],
  providerMessageId: string,
  content: MessageContent,
  now = Date.now(),
): Promise<boolean> {
  const ok = await settleOutboxSent(trx, leader.id, owner, providerMessageId, now);
  // Not ok: a status callback already reconciled this send while our lease had expired.
  if (!ok) return false;
  if (leader.message_id) {
    await setMessageState(
      trx,
      leader.message_id,
      'accepted',
      { providerMessageId, ...(members.length > 0 ? { content } : {}) },
      now,
    );
    // Statuses that arrived before the API's answer are folded in now, and a `failed` one acted on.
    // Usually there are none yet (they come later, by webhook): one read, nothing to do.
    const known = await statusesOf(trx, leader.channel, providerMessageId);
    if (known.length > 0) {
      await refreshMessageStatus(trx, leader.channel, providerMessageId, known);
      if (known.some((s) => s.status === 'failed'))
        await onDeliveryFailed(trx, leader.channel, providerMessageId);
    }
    await lastOutboundQuery.run(trx, { messageId: leader.message_id, now });
  }
  for (const m of members) {
    await settleOutboxCoalesced(trx, m.id, owner, leader.id, now);
    if (m.message_id) await setMessageState(trx, m.message_id, 'coalesced', {}, now);
  }
  return true;
}

const lastOutboundQuery = new Prepared<{ messageId: string; now: number }>((db) =>
  db
    .updateTable('conversations')
    .set({ last_outbound_at: arg('now') })
    .where('id', '=', db.selectFrom('messages').select('conversation_id').where('id', '=', arg('messageId'))),
);

/** Applies a retry decision to a failed send and the replies coalesced into it, in one transaction. */
export async function settleFailure(
  db: Db,
  owner: string,
  rows: OutboxRow[],
  f: DeliveryFailure,
  d: RetryDecision,
  unknownGraceMs: number,
  now = Date.now(),
): Promise<void> {
  const errorFields = {
    last_error_code: String(f.code),
    last_error: `${f.message}${f.details ? ` — ${f.details}` : ''}`.slice(0, 2000),
    last_trace_id: f.traceId ?? null,
  };
  const settle = async (trx: Db) => {
    for (const row of rows) {
      if (d.action === 'retry') {
        await settleOutbox(trx, row.id, owner, {
          state: 'pending',
          next_attempt_at: now + d.delayMs,
          coalesced_into: null,
          ...errorFields,
        });
      } else if (d.action === 'suspend') {
        // Not the message's fault: the attempt is given back, so fixing the credentials sends it.
        await settleOutbox(trx, row.id, owner, {
          state: 'pending',
          next_attempt_at: now + d.delayMs,
          attempts: Math.max(0, row.attempts - 1),
          coalesced_into: null,
          ...errorFields,
        });
      } else if (d.action === 'park') {
        // Keep the grouping: a status echoing the leader's key settles the whole group.
        await settleOutbox(trx, row.id, owner, {
          state: 'unknown',
          next_attempt_at: now + unknownGraceMs,
          ...errorFields,
        });
      } else if (d.action === 'needs_template') {
        if (await settleOutbox(trx, row.id, owner, { state: 'needs_template', ...errorFields })) {
          await markNeedsTemplate(trx, row, f);
        }
      } else if (await settleOutbox(trx, row.id, owner, { state: 'dead', ...errorFields })) {
        if (row.message_id) {
          await setMessageState(trx, row.message_id, 'dead', {
            errorCode: String(f.code),
            ...(f.details ? { errorDetails: f.details } : {}),
          });
        }
        await audit(trx, {
          action: 'outbox.dead_letter',
          personId: await personOf(trx, row.message_id),
          messageId: row.message_id,
          outboxId: row.id,
          reasonCode: `error_${f.code}`,
          detail: { reason: d.reason, attempts: row.attempts, traceId: f.traceId },
        });
      }
    }
  };
  await (db.isTransaction ? settle(db) : db.transaction().execute(settle));
}

/**
 * The customer-service window had closed (spec §3, error 131047, synchronous or in a `failed`
 * status): the reply is kept for a template or an operator, its message marked failed with 131047,
 * and the decision audited. The one place both paths go through.
 */
export async function markNeedsTemplate(
  db: Db,
  row: Pick<OutboxRow, 'id' | 'message_id'>,
  f: Pick<DeliveryFailure, 'code' | 'details'>,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ state: 'needs_template', last_error_code: String(f.code), updated_at: Date.now() })
    .where((eb) => eb.or([eb('id', '=', row.id), eb('coalesced_into', '=', row.id)]))
    .execute();
  const msgs = await db
    .selectFrom('outbox')
    .select('message_id')
    .where((eb) => eb.or([eb('id', '=', row.id), eb('coalesced_into', '=', row.id)]))
    .execute();
  for (const { message_id } of msgs) {
    if (!message_id) continue;
    await setMessageState(db, message_id, 'failed', {
      errorCode: String(f.code),
      ...(f.details ? { errorDetails: f.details } : {}),
    });
    await audit(db, {
      action: 'outbox.needs_template',
      personId: await personOf(db, message_id),
      messageId: message_id,
      outboxId: row.id,
      reasonCode: 'window_closed',
      detail: { code: f.code, details: f.details },
    });
  }
}

async function personOf(db: Db, messageId: string | null): Promise<string | null> {
  if (!messageId) return null;
  const r = await db
    .selectFrom('messages')
    .select('person_id')
    .where('id', '=', messageId)
    .executeTakeFirst();
  return r?.person_id ?? null;
}
