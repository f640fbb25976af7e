import type { StatusEvent } from '../core/events.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { recordStatus, setMessageState } from '../store/messages.ts';
import { reconcileByCallback } from '../store/outbox.ts';
import { markNeedsTemplate } from './settle.ts';

/**
 * Applies one delivery status notification (spec §1.5): records it (a repeat has no effect), settles
 * a send left in doubt when the status carries our idempotency key, folds it into the message's state,
 * and handles an asynchronous failure. Call inside a transaction.
 */
export async function applyStatus(db: Db, e: StatusEvent): Promise<void> {
  if (e.callbackData) {
    const rec = await reconcileByCallback(db, e.callbackData, e.providerMessageId);
    if (rec) {
      if (rec.messageId) {
        await db
          .updateTable('messages')
          .set({ provider_message_id: e.providerMessageId })
          .where('id', '=', rec.messageId)
          .execute();
      }
      for (const m of rec.members) if (m.messageId) await setMessageState(db, m.messageId, 'coalesced');
      await audit(db, {
        action: 'outbox.reconciled',
        messageId: rec.messageId,
        outboxId: rec.outboxId,
        reasonCode: 'status_callback',
        detail: { members: rec.members.length },
      });
    }
  }
  const fresh = await recordStatus(db, e);
  if (fresh && e.status === 'failed') await onDeliveryFailed(db, e.channel, e.providerMessageId);
}

/**
 * A send the API accepted was later reported failed (spec §1.5). Called when the `failed` status is
 * applied, or — if it arrived before the API's answer — when the send is settled. 131047 means the
 * window had closed: the reply needs a template. Acts once per message.
 */
export async function onDeliveryFailed(db: Db, channel: string, providerMessageId: string): Promise<void> {
  const msg = await db
    .selectFrom('messages')
    .select(['id', 'person_id'])
    .where('channel', '=', channel)
    .where('provider_message_id', '=', providerMessageId)
    .where('direction', '=', 'out')
    .executeTakeFirst();
  if (!msg) return; // the send is not settled yet: settling it calls back here
  const failed = await db
    .selectFrom('message_statuses')
    .select('detail')
    .where('channel', '=', channel)
    .where('provider_message_id', '=', providerMessageId)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  if (!failed) return;
  const errors =
    (JSON.parse(failed.detail ?? '{}') as { errors?: { code: number; details?: string }[] }).errors ?? [];
  const err = errors[0];
  if (err?.code === 131047) {
    const row = await db
      .selectFrom('outbox')
      .select(['id', 'message_id', 'state'])
      .where('message_id', '=', msg.id)
      .executeTakeFirst();
    if (row && row.state !== 'needs_template') {
      await markNeedsTemplate(db, row, { code: err.code, ...(err.details ? { details: err.details } : {}) });
    }
    return;
  }
  const seen = await db
    .selectFrom('audit_log')
    .select('id')
    .where('message_id', '=', msg.id)
    .where('action', '=', 'message.failed')
    .executeTakeFirst();
  if (seen) return;
  await audit(db, {
    action: 'message.failed',
    personId: msg.person_id,
    messageId: msg.id,
    reasonCode: `provider_error_${err?.code ?? 'unknown'}`,
    detail: { errors },
  });
}
