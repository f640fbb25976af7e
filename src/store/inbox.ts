import type { InboundEvent } from '../core/events.ts';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { InboxTable } from './schema.ts';

/** An inbox row handed to the work queue: enough to schedule it, not to process it. */
export interface InboxRef {
  id: string;
  orderingKey: string;
}

export interface InboxItem extends InboxRef {
  event: InboundEvent;
  attempts: number;
}

export type CommitResult = { accepted: InboxRef[]; duplicates: number };

/**
 * Commits parsed events to the inbox in one transaction. A repeated dedupe key is ignored (the
 * provider retried or duplicated a webhook): it is counted as a duplicate and has no further effect.
 */
export async function commitToInbox(db: Db, events: InboundEvent[], now = Date.now()): Promise<CommitResult> {
  if (events.length === 0) return { accepted: [], duplicates: 0 };
  const rows: InboxTable[] = events.map((e) => ({
    id: newId(),
    channel: e.channel,
    dedupe_key: e.dedupeKey,
    kind: e.kind,
    ordering_key: e.orderingKey,
    account: e.account,
    payload: JSON.stringify(e),
    // Notifications that are not messages or statuses are kept for the record; nothing processes them.
    state: e.kind === 'other' || e.kind === 'error' ? 'done' : 'pending',
    attempts: 0,
    lease_until: null,
    lease_owner: null,
    received_at: now,
    processed_at: e.kind === 'other' || e.kind === 'error' ? now : null,
    last_error: null,
  }));
  const inserted = await db
    .insertInto('inbox')
    .values(rows)
    .onConflict((oc) => oc.columns(['channel', 'dedupe_key']).doNothing())
    .returning(['id', 'ordering_key', 'state'])
    .execute();
  return {
    accepted: inserted
      .filter((r) => r.state === 'pending')
      .map((r) => ({ id: r.id, orderingKey: r.ordering_key })),
    duplicates: rows.length - inserted.length,
  };
}

/**
 * Takes a lease on inbox items so no other worker processes them. Items already done, or leased by a
 * live worker, are skipped: the caller processes only what it gets back, in id (arrival) order.
 */
export async function claimInbox(
  db: Db,
  ids: string[],
  owner: string,
  leaseMs: number,
  now = Date.now(),
): Promise<InboxItem[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('inbox')
    .set((eb) => ({
      state: 'processing',
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', ids)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', now)]),
      ]),
    )
    .returning(['id', 'ordering_key', 'payload', 'attempts'])
    .execute();
  return rows
    .map((r) => ({
      id: r.id,
      orderingKey: r.ordering_key,
      attempts: r.attempts,
      event: JSON.parse(r.payload) as InboundEvent,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Marks items processed. Call inside the transaction that commits their effects. */
export async function markInboxDone(db: Db, ids: string[], now = Date.now()): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('inbox')
    .set({ state: 'done', processed_at: now, lease_until: null, lease_owner: null, last_error: null })
    .where('id', 'in', ids)
    .execute();
}

/**
 * Gives items back after a failed attempt: pending again, or `failed` (kept, with the error) when they
 * have used their attempts, so one poison event cannot block its conversation forever.
 */
export async function releaseInbox(db: Db, ids: string[], error: string, maxAttempts: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('inbox')
    .set((eb) => ({
      state: eb
        .case()
        .when('attempts', '>=', maxAttempts)
        .then('failed' as const)
        .else('pending' as const)
        .end(),
      lease_until: null,
      lease_owner: null,
      last_error: error.slice(0, 2000),
    }))
    .where('id', 'in', ids)
    .where('state', '=', 'processing')
    .execute();
}

/** Releases leases held by a stopping worker so another (or the next start) picks the items up. */
export async function releaseOwnedInbox(db: Db, owner: string): Promise<void> {
  await db
    .updateTable('inbox')
    .set({ state: 'pending', lease_until: null, lease_owner: null })
    .where('state', '=', 'processing')
    .where('lease_owner', '=', owner)
    .execute();
}

/** Items waiting to be processed (pending, or processing with an expired lease), oldest first. */
export async function pendingInbox(db: Db, limit: number, now = Date.now()): Promise<InboxRef[]> {
  const rows = await db
    .selectFrom('inbox')
    .select(['id', 'ordering_key'])
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', now)]),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, orderingKey: r.ordering_key }));
}

/** Number of items waiting, for the queue-depth gauge. */
export async function inboxDepth(db: Db): Promise<number> {
  const r = await db
    .selectFrom('inbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['pending', 'processing'])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
