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
    next_attempt_at: 0,
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
 * The items of one ordering key that may be processed now, oldest first, up to `upTo` (an id): the
 * prefix before the first item that must go first but cannot yet (waiting for a retry, or leased by
 * another live worker). Newer items of a conversation never overtake older ones.
 */
export async function claimableForKey(
  db: Db,
  orderingKey: string,
  upTo: string,
  now = Date.now(),
): Promise<string[]> {
  const rows = await db
    .selectFrom('inbox')
    .select(['id', 'state', 'lease_until', 'next_attempt_at'])
    .where('ordering_key', '=', orderingKey)
    .where('state', 'in', ['pending', 'processing'])
    .where('id', '<=', upTo)
    .orderBy('id')
    .execute();
  const out: string[] = [];
  for (const r of rows) {
    const leased = r.state === 'processing' && (r.lease_until ?? 0) >= now;
    if (leased || r.next_attempt_at > now) break;
    out.push(r.id);
  }
  return out;
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

/** The worker no longer holds the lease on an item it was processing: its work must not commit. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Marks items processed. Call inside the transaction that commits their effects; with `owner`, it
 * throws `LeaseLostError` (rolling the transaction back) unless this worker still holds every lease.
 */
export async function markInboxDone(db: Db, ids: string[], owner?: string, now = Date.now()): Promise<void> {
  if (ids.length === 0) return;
  let q = db
    .updateTable('inbox')
    .set({ state: 'done', processed_at: now, lease_until: null, lease_owner: null, last_error: null })
    .where('id', 'in', ids);
  if (owner !== undefined) q = q.where('state', '=', 'processing').where('lease_owner', '=', owner);
  const r = await q.executeTakeFirst();
  if (owner !== undefined && Number(r.numUpdatedRows) !== ids.length) {
    throw new LeaseLostError(`lost the lease on ${ids.length - Number(r.numUpdatedRows)} inbox item(s)`);
  }
}

/**
 * Gives items back after a failed attempt: pending again after `backoffMs`, or `failed` (kept, with
 * the error) when they have used their attempts, so one poison event cannot block its conversation
 * forever.
 */
export async function releaseInbox(
  db: Db,
  ids: string[],
  error: string,
  maxAttempts: number,
  backoffMs = 0,
  now = Date.now(),
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('inbox')
    .set((eb) => ({
      next_attempt_at: now + backoffMs,
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

/** Gives back items claimed but not attempted (their attempt does not count). */
export async function unclaimInbox(db: Db, ids: string[], owner: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('inbox')
    .set((eb) => ({
      state: 'pending',
      lease_until: null,
      lease_owner: null,
      attempts: eb('attempts', '-', 1),
    }))
    .where('id', 'in', ids)
    .where('state', '=', 'processing')
    .where('lease_owner', '=', owner)
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
