import { sql } from 'kysely';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import { LINE_OUTBOX, LIVE_OUTBOX } from './live.ts';
import type { OutboxTable } from './schema.ts';
import { arg, args, Prepared, PreparedList } from './sql.ts';

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
  /** Why an item starts `held` (a policy reason code, kept in `last_error_code`). */
  heldReason?: string;
  notBefore?: number;
}

/**
 * Queues external effects. The idempotency key makes enqueueing safe to repeat: a key already queued
 * is not queued again (returns `false` for it).
 */
export async function enqueueOutbox(db: Db, items: NewOutboxItem[], now = Date.now()): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const it of items) out.push((await enqueueOne(db, it, now)) !== undefined);
  return out;
}

/** Queues one item; its id, or `undefined` when its idempotency key was already queued. */
export async function enqueueOne(db: Db, it: NewOutboxItem, now = Date.now()): Promise<string | undefined> {
  const ins = await enqueueQuery.first(db, {
    id: newId(),
    key: it.idempotencyKey,
    kind: it.kind,
    channel: it.channel,
    account: it.account,
    recipient: it.recipient,
    messageId: it.messageId ?? null,
    payload: JSON.stringify(it.payload),
    state: it.state ?? 'pending',
    reason: it.heldReason ?? null,
    notBefore: it.notBefore ?? now,
    now,
  });
  return ins?.id;
}

const enqueueQuery = new Prepared<
  {
    id: string;
    key: string;
    kind: string;
    channel: string;
    account: string;
    recipient: string;
    messageId: string | null;
    payload: string;
    state: string;
    reason: string | null;
    notBefore: number;
    now: number;
  },
  { id: string }
>((db) =>
  db
    .insertInto('outbox')
    .values({
      id: arg('id'),
      idempotency_key: arg('key'),
      kind: arg('kind'),
      channel: arg('channel'),
      account: arg('account'),
      recipient: arg('recipient'),
      message_id: arg('messageId'),
      payload: arg('payload'),
      state: arg('state'),
      attempts: 0,
      next_attempt_at: arg('notBefore'),
      lease_until: null,
      lease_owner: null,
      provider_message_id: null,
      coalesced_into: null,
      last_error_code: arg('reason'),
      last_error: null,
      last_trace_id: null,
      created_at: arg('now'),
      updated_at: arg('now'),
      sent_at: null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id'),
);

/** Pending items whose time has come, oldest first. */
export async function dueOutbox(db: Db, limit: number, now = Date.now()): Promise<OutboxRow[]> {
  return dueQuery.all(db, limit, { now });
}

// The limit is compiled in as a literal (one compiled form per value): with `limit ?`, SQLite plans
// the statement again on every run.
const dueQuery = new PreparedList<{ now: number }, OutboxRow>((db, limit) =>
  db
    .selectFrom('outbox')
    .selectAll()
    .where(LIVE_OUTBOX)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', arg('now'))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(sql.lit(limit)),
);

/**
 * When the next pending item that is not due yet falls due, to sleep until then. Items already due but
 * held back (recipient busy, rate limit) are woken by their own events, not by this.
 */
export async function nextDueAt(db: Db, now = Date.now()): Promise<number | undefined> {
  const r = await nextDueQuery.first(db, { now });
  return r?.at == null ? undefined : Number(r.at);
}

const nextDueQuery = new Prepared<{ now: number }, { at: number | null }>((db) =>
  db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where(LIVE_OUTBOX)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '>', arg('now')),
);

/** Leases items for sending (compare-and-set on `pending`): only what comes back may be sent. */
export async function claimOutbox(
  db: Db,
  ids: string[],
  owner: string,
  leaseMs: number,
  now = Date.now(),
): Promise<OutboxRow[]> {
  if (ids.length === 0) return [];
  return claimQuery.all(db, ids.length, { ids, owner, leaseUntil: now + leaseMs, now });
}

const claimQuery = new PreparedList<
  { ids: string[]; owner: string; leaseUntil: number; now: number },
  OutboxRow
>((db, n) =>
  db
    .updateTable('outbox')
    .set((eb) => ({
      state: 'sending',
      lease_owner: arg('owner'),
      lease_until: arg('leaseUntil'),
      attempts: eb('attempts', '+', 1),
      coalesced_into: null,
      updated_at: arg('now'),
    }))
    .where('id', 'in', args('ids', n))
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
    ]),
);

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

const settleSentQuery = new Prepared<{
  id: string;
  owner: string;
  providerMessageId: string | null;
  now: number;
}>((db) =>
  db
    .updateTable('outbox')
    .set({
      state: 'sent',
      provider_message_id: arg('providerMessageId'),
      sent_at: arg('now'),
      lease_owner: null,
      lease_until: null,
      updated_at: arg('now'),
    })
    .where('id', '=', arg('id'))
    .where('state', '=', 'sending')
    .where('lease_owner', '=', arg('owner')),
);

/**
 * `settleOutbox(…, { state: 'sent', provider_message_id, sent_at })`, prepared: the common outcome.
 * Mark-as-read has no provider message id (null).
 */
export async function settleOutboxSent(
  db: Db,
  id: string,
  owner: string,
  providerMessageId: string | null,
  now = Date.now(),
): Promise<boolean> {
  return (await settleSentQuery.run(db, { id, owner, providerMessageId, now })) > 0;
}

const settleCoalescedQuery = new Prepared<{ id: string; owner: string; leaderId: string; now: number }>(
  (db) =>
    db
      .updateTable('outbox')
      .set({
        state: 'coalesced',
        coalesced_into: arg('leaderId'),
        sent_at: arg('now'),
        lease_owner: null,
        lease_until: null,
        updated_at: arg('now'),
      })
      .where('id', '=', arg('id'))
      .where('state', '=', 'sending')
      .where('lease_owner', '=', arg('owner')),
);

/** A reply that travelled inside its leader's send: `coalesced`, pointing at the leader. */
export async function settleOutboxCoalesced(
  db: Db,
  id: string,
  owner: string,
  leaderId: string,
  now = Date.now(),
): Promise<boolean> {
  return (await settleCoalescedQuery.run(db, { id, owner, leaderId, now })) > 0;
}

/**
 * Crash recovery. A `sending` item whose lease expired may or may not have reached the provider. A
 * message is parked as `unknown` for a grace period: if a status notification carrying its
 * idempotency key arrives meanwhile, it is reconciled as sent; otherwise it is sent again. Mark-as-read
 * is idempotent at the provider and simply goes back to pending.
 */
export async function recoverExpiredLeases(db: Db, graceMs: number, now = Date.now()): Promise<number> {
  const reads = await recoverReadsQuery.run(db, { now });
  const msgs = await recoverMessagesQuery.run(db, { now, until: now + graceMs });
  const resend = await resendQuery.run(db, { now });
  return reads + msgs + resend;
}

const recoverReadsQuery = new Prepared<{ now: number }>((db) =>
  db
    .updateTable('outbox')
    .set({
      state: 'pending',
      lease_owner: null,
      lease_until: null,
      next_attempt_at: arg('now'),
      updated_at: arg('now'),
    })
    .where(LIVE_OUTBOX)
    .where('state', '=', 'sending')
    .where('kind', '=', 'mark_read')
    .where('lease_until', '<', arg('now')),
);

const recoverMessagesQuery = new Prepared<{ now: number; until: number }>((db) =>
  db
    .updateTable('outbox')
    .set({
      state: 'unknown',
      lease_owner: null,
      lease_until: null,
      next_attempt_at: arg('until'),
      updated_at: arg('now'),
    })
    .where(LIVE_OUTBOX)
    .where('state', '=', 'sending')
    .where('kind', '=', 'message')
    .where('lease_until', '<', arg('now')),
);

const resendQuery = new Prepared<{ now: number }>((db) =>
  db
    .updateTable('outbox')
    .set({ state: 'pending', updated_at: arg('now') })
    .where(LIVE_OUTBOX)
    .where('state', '=', 'unknown')
    .where('next_attempt_at', '<=', arg('now')),
);

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

/** What a status callback settled: the send's own item and the replies coalesced into it. */
export interface Reconciled {
  outboxId: string;
  messageId: string | null;
  members: { outboxId: string; messageId: string | null }[];
}

/**
 * A status notification echoed our idempotency key (`biz_opaque_callback_data`): the send reached the
 * provider. If the item is not settled yet (in doubt after a crash or a timeout, or still in flight),
 * settle it as sent, with the replies that were coalesced into it. In flight under a live lease too:
 * the sender may have died just after the API accepted the send, and this status is then the only
 * proof there will ever be (waiting for the lease to expire would lose it and send the reply again).
 * A live sender that answers later finds the item settled and leaves it (`settleSentIn`).
 */
export async function reconcileByCallback(
  db: Db,
  idempotencyKey: string,
  providerMessageId: string,
  now = Date.now(),
): Promise<Reconciled | undefined> {
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
    .where('provider_message_id', 'is', null)
    .where('state', 'in', ['unknown', 'pending', 'sending'])
    .returning(['id', 'message_id'])
    .executeTakeFirst();
  if (!row) return undefined;
  const members = await db
    .updateTable('outbox')
    .set({ state: 'coalesced', lease_owner: null, lease_until: null, sent_at: now, updated_at: now })
    .where(LIVE_OUTBOX)
    .where('coalesced_into', '=', row.id)
    .where('state', 'in', ['unknown', 'pending', 'sending'])
    .returning(['id', 'message_id'])
    .execute();
  return {
    outboxId: row.id,
    messageId: row.message_id,
    members: members.map((m) => ({ outboxId: m.id, messageId: m.message_id })),
  };
}

/** Records that `memberIds` travel inside the leader's send (coalesced replies). */
export async function groupUnder(db: Db, leaderId: string, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await groupQuery.run(db, memberIds.length, { ids: memberIds, leaderId });
}

const groupQuery = new PreparedList<{ ids: string[]; leaderId: string }>((db, n) =>
  db
    .updateTable('outbox')
    .set({ coalesced_into: arg('leaderId') })
    .where('id', 'in', args('ids', n)),
);

/**
 * The oldest unfinished message to each recipient (`channel:account:recipient`). Only that one may be
 * sent: a newer reply never overtakes an older one waiting for a retry or for proof of delivery.
 */
export async function headsOfLine(db: Db, recipients: string[]): Promise<Map<string, string>> {
  const heads = new Map<string, string>();
  if (recipients.length === 0) return heads;
  const addresses = [...new Set(recipients.map((r) => r.split(':').slice(2).join(':')))];
  const rows = await headsQuery.all(db, addresses.length, { recipients: addresses });
  for (const r of rows) heads.set(`${r.channel}:${r.account}:${r.recipient}`, String(r.id));
  return heads;
}

const headsQuery = new PreparedList<
  { recipients: string[] },
  { channel: string; account: string; recipient: string; id: string }
>((db, n) =>
  db
    .selectFrom('outbox')
    .select(['channel', 'account', 'recipient', (eb) => eb.fn.min('id').as('id')])
    .where(LINE_OUTBOX)
    .where('recipient', 'in', args('recipients', n))
    .groupBy(['channel', 'account', 'recipient']),
);

/** One recipient's line: `channel`, business `account`, `recipient` address. */
export type Line = {
  channel: string;
  account: string;
  recipient: string;
};

/** Messages held for a recipient (the window was closed when they were written), oldest first. */
export async function heldFor(db: Db, line: Line): Promise<Pick<OutboxRow, 'id' | 'message_id'>[]> {
  // Sorted here: the few held rows of a line come from the live index in its order, and an ORDER BY
  // would build a temporary B-tree for each of the pipeline's calls (one per reply).
  return (await heldQuery.all(db, line)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const heldQuery = new Prepared<Line, Pick<OutboxRow, 'id' | 'message_id'>>((db) =>
  db
    .selectFrom('outbox')
    .select(['id', 'message_id'])
    .where(LIVE_OUTBOX)
    .where('state', '=', 'held')
    .where('kind', '=', 'message')
    .where('recipient', '=', arg('recipient'))
    .where('channel', '=', arg('channel'))
    .where('account', '=', arg('account')),
);

/** Moves held items to `state` (`pending`: back in their line; `dead`: never sent), with a reason. */
export async function settleHeld(
  db: Db,
  ids: string[],
  state: 'pending' | 'dead',
  reason: string,
  now = Date.now(),
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox')
    .set({
      state,
      next_attempt_at: now,
      ...(state === 'dead' ? { last_error_code: reason, last_error: reason } : {}),
      updated_at: now,
    })
    .where('id', 'in', ids)
    .where('state', '=', 'held')
    .execute();
}

/** Items by state, for the queue-depth gauge. */
export async function outboxDepth(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where(LIVE_OUTBOX)
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
