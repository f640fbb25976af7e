import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { OutboxTable } from './schema.ts';

export type OutboxRow = OutboxTable;

export interface NewOutboxItem {
  idempotencyKey: string;
  kind: OutboxTable['kind'];
  channel: string;
  account: string;
  recipient: string;
  messageId?: string;
  payload: unknown;
  state?: 'pending' | 'held';
  notBefore?: number;
}

/**
 * Queues external effects. The idempotency key makes enqueueing safe to repeat: a key already queued
 * is not queued again (returns `false` for it).
 */
export async function enqueueOutbox(db: Db, items: NewOutboxItem[], now = Date.now()): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const it of items) {
    const ins = await db
      .insertInto('outbox')
      .values({
        id: newId(),
        idempotency_key: it.idempotencyKey,
        kind: it.kind,
        channel: it.channel,
        account: it.account,
        recipient: it.recipient,
        message_id: it.messageId ?? null,
        payload: JSON.stringify(it.payload),
        state: it.state ?? 'pending',
        attempts: 0,
        next_attempt_at: it.notBefore ?? now,
        lease_until: null,
        lease_owner: null,
        provider_message_id: null,
        coalesced_into: null,
        last_error_code: null,
        last_error: null,
        last_trace_id: null,
        created_at: now,
        updated_at: now,
        sent_at: null,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    out.push(ins !== undefined);
  }
  return out;
}

/** Pending items whose time has come, oldest first. */
export async function dueOutbox(db: Db, limit: number, now = Date.now()): Promise<OutboxRow[]> {
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** When the next pending item falls due, to sleep until then. */
export async function nextDueAt(db: Db): Promise<number | undefined> {
  const r = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', 'in', ['pending', 'unknown'])
    .executeTakeFirst();
  return r?.at == null ? undefined : Number(r.at);
}

/** Leases items for sending (compare-and-set on `pending`): only what comes back may be sent. */
export async function claimOutbox(
  db: Db,
  ids: string[],
  owner: string,
  leaseMs: number,
  now = Date.now(),
): Promise<OutboxRow[]> {
  if (ids.length === 0) return [];
  return db
    .updateTable('outbox')
    .set((eb) => ({
      state: 'sending',
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', ids)
    .where('state', '=', 'pending')
    .returning([
      'id',
      'idempotency_key',
      'kind',
      'channel',
      'account',
      'recipient',
      'message_id',
      'payload',
      'state',
      'attempts',
      'next_attempt_at',
      'lease_until',
      'lease_owner',
      'provider_message_id',
      'coalesced_into',
      'last_error_code',
      'last_error',
      'last_trace_id',
      'created_at',
      'updated_at',
      'sent_at',
    ])
    .execute();
}

/** Updates one item, but only while this worker still holds its lease. Returns whether it did. */
export async function settleOutbox(
  db: Db,
  id: string,
  owner: string,
  patch: Partial<Omit<OutboxTable, 'id'>>,
  now = Date.now(),
): Promise<boolean> {
  const r = await db
    .updateTable('outbox')
    .set({ ...patch, lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'sending')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Crash recovery. A `sending` item whose lease expired may or may not have reached the provider. A
 * message is parked as `unknown` for a grace period: if a status notification carrying its
 * idempotency key arrives meanwhile, it is reconciled as sent; otherwise it is sent again. Mark-as-read
 * is idempotent at the provider and simply goes back to pending.
 */
export async function recoverExpiredLeases(db: Db, graceMs: number, now = Date.now()): Promise<number> {
  const reads = await db
    .updateTable('outbox')
    .set({ state: 'pending', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
    .where('state', '=', 'sending')
    .where('kind', '=', 'mark_read')
    .where('lease_until', '<', now)
    .executeTakeFirst();
  const msgs = await db
    .updateTable('outbox')
    .set({
      state: 'unknown',
      lease_owner: null,
      lease_until: null,
      next_attempt_at: now + graceMs,
      updated_at: now,
    })
    .where('state', '=', 'sending')
    .where('kind', '=', 'message')
    .where('lease_until', '<', now)
    .executeTakeFirst();
  const resend = await db
    .updateTable('outbox')
    .set({ state: 'pending', updated_at: now })
    .where('state', '=', 'unknown')
    .where('next_attempt_at', '<=', now)
    .executeTakeFirst();
  return Number(reads.numUpdatedRows) + Number(msgs.numUpdatedRows) + Number(resend.numUpdatedRows);
}

/** Releases this worker's leases at shutdown: nothing was sent for them yet. */
export async function releaseOwnedOutbox(
  db: Db,
  owner: string,
  ids: string[],
  now = Date.now(),
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox')
    .set((eb) => ({
      state: 'pending',
      lease_owner: null,
      lease_until: null,
      attempts: eb('attempts', '-', 1),
      updated_at: now,
    }))
    .where('id', 'in', ids)
    .where('state', '=', 'sending')
    .where('lease_owner', '=', owner)
    .execute();
}

/**
 * A status notification echoed our idempotency key (`biz_opaque_callback_data`): the send reached the
 * provider. If the item is still in doubt (in flight or parked after a crash), settle it as sent.
 * Returns the item's message id when it reconciled one.
 */
export async function reconcileByCallback(
  db: Db,
  idempotencyKey: string,
  providerMessageId: string,
  now = Date.now(),
): Promise<{ outboxId: string; messageId: string | null } | undefined> {
  const row = await db
    .updateTable('outbox')
    .set({
      state: 'sent',
      provider_message_id: providerMessageId,
      lease_owner: null,
      lease_until: null,
      sent_at: now,
      updated_at: now,
    })
    .where('idempotency_key', '=', idempotencyKey)
    .where('state', 'in', ['unknown', 'pending', 'sending'])
    .where('provider_message_id', 'is', null)
    .returning(['id', 'message_id'])
    .executeTakeFirst();
  return row ? { outboxId: row.id, messageId: row.message_id } : undefined;
}

/** Items by state, for the queue-depth gauge. */
export async function outboxDepth(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', ['pending', 'sending', 'unknown', 'held', 'needs_template'])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
