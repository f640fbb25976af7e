import { PostgresAdapter, sql, type ExpressionBuilder } from 'kysely';
import type { InboundEvent } from '../core/events.ts';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import { LIVE_INBOX } from './live.ts';
import type { Database, InboxTable } from './schema.ts';
import { arg, args, Prepared, PreparedList } from './sql.ts';

/** An inbox row handed to the work queue: enough to schedule it, not to process it. */
export interface InboxRef {
  id: string;
  orderingKey: string;
}

export interface InboxItem extends InboxRef {
  event: InboundEvent;
  attempts: number;
}

export type CommitResult = {
  accepted: InboxRef[];
  duplicates: number;
  /** Stored in the intake log: scheduled (and counted as duplicates) once drained into the inbox. */
  deferred?: true;
};

/** Rows of one multi-row insert, at most: 64 × 15 parameters stays far below every dialect's limit. */
const MAX_ROWS = 64;

const COLUMNS = [
  'id',
  'channel',
  'dedupe_key',
  'kind',
  'ordering_key',
  'account',
  'payload',
  'state',
  'attempts',
  'lease_until',
  'lease_owner',
  'received_at',
  'processed_at',
  'last_error',
  'next_attempt_at',
] as const satisfies readonly (keyof InboxTable)[];

/**
 * `insert … values (…), (…), … on conflict do nothing returning id`: `n` rows in one statement, the
 * duplicates (same channel and dedupe key as a stored row, or as an earlier row of the statement)
 * left out. Compiled once per length; lengths are powers of two (see `insertRows`).
 */
const insertRows = new PreparedList<Record<keyof InboxTable, unknown[]>, { id: string; state: string }>(
  (db, n) => {
    const cols = Object.fromEntries(COLUMNS.map((c) => [c, args(c, n)])) as Record<keyof InboxTable, never[]>;
    const rows = Array.from(
      { length: n },
      (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, cols[c][i]])) as unknown as InboxTable,
    );
    return db
      .insertInto('inbox')
      .values(rows)
      .onConflict((oc) => oc.columns(['channel', 'dedupe_key']).doNothing())
      .returning(['id', 'state']);
  },
);

function inboxRow(e: InboundEvent, now: number): InboxTable {
  // Notifications that are not messages or statuses are kept for the record; nothing processes them.
  const recordOnly = e.kind === 'other' || e.kind === 'error';
  return {
    id: newId(),
    channel: e.channel,
    dedupe_key: e.dedupeKey,
    kind: e.kind,
    ordering_key: e.orderingKey,
    account: e.account,
    payload: JSON.stringify(e),
    state: recordOnly ? 'done' : 'pending',
    attempts: 0,
    lease_until: null,
    lease_owner: null,
    received_at: now,
    processed_at: recordOnly ? now : null,
    last_error: null,
    next_attempt_at: 0,
  };
}

/**
 * Inserts the events of several requests (`batches`, in arrival order) with as few statements as
 * possible: the rows in chunks whose sizes are powers of two (at most `MAX_ROWS`), so a handful of
 * compiled statements serve every batch size. Call inside a transaction when there is more than one
 * chunk. Returns, per batch, what was accepted and how many were duplicates.
 */
export async function insertInboxBatches(
  db: Db,
  batches: readonly (readonly InboundEvent[])[],
  /** When they were received: one time for all, or one per batch. */
  now: number | readonly number[] = Date.now(),
): Promise<CommitResult[]> {
  const rows: InboxTable[] = [];
  batches.forEach((events, b) => {
    const at = typeof now === 'number' ? now : now[b]!;
    for (const e of events) rows.push(inboxRow(e, at));
  });
  const inserted = new Map<string, string>();
  for (let at = 0; at < rows.length;) {
    const left = rows.length - at;
    const n = left >= MAX_ROWS ? MAX_ROWS : 2 ** Math.floor(Math.log2(left));
    const chunk = rows.slice(at, at + n);
    const values = Object.fromEntries(COLUMNS.map((c) => [c, chunk.map((r) => r[c])])) as Record<
      keyof InboxTable,
      unknown[]
    >;
    for (const r of await insertRows.all(db, n, values)) inserted.set(r.id, r.state);
    at += n;
  }
  let k = 0;
  return batches.map((events) => {
    const accepted: InboxRef[] = [];
    let duplicates = 0;
    for (let i = 0; i < events.length; i++) {
      const row = rows[k++]!;
      const state = inserted.get(row.id);
      if (state === undefined) duplicates++;
      else if (state === 'pending') accepted.push({ id: row.id, orderingKey: row.ordering_key });
    }
    return { accepted, duplicates };
  });
}

/**
 * Commits parsed events to the inbox in one transaction. A repeated dedupe key is ignored (the
 * provider retried or duplicated a webhook): it is counted as a duplicate and has no further effect.
 * Webhook routes go through `InboxIngest` (`inbox-ingest.ts`), which shares one statement and one
 * commit among the requests of a turn of the event loop.
 */
export async function commitToInbox(db: Db, events: InboundEvent[], now = Date.now()): Promise<CommitResult> {
  if (events.length === 0) return { accepted: [], duplicates: 0 };
  const one = (trx: Db) => insertInboxBatches(trx, [events], now).then((r) => r[0]!);
  if (events.length === 1 || db.isTransaction) return one(db);
  return db.transaction().execute(one);
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
    .where(LIVE_INBOX)
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

type ClaimedRow = { id: string; ordering_key: string; payload: string; attempts: number };

function toItems(rows: ClaimedRow[]): InboxItem[] {
  return rows
    .map((r) => ({
      id: r.id,
      orderingKey: r.ordering_key,
      attempts: r.attempts,
      event: JSON.parse(r.payload) as InboundEvent,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const claimForKeyQuery = new Prepared<
  { key: string; upTo: string; owner: string; leaseUntil: number; now: number },
  ClaimedRow
>((db) =>
  db
    .updateTable('inbox')
    .set((eb) => ({
      state: 'processing',
      lease_owner: arg('owner'),
      lease_until: arg('leaseUntil'),
      attempts: eb('attempts', '+', 1),
    }))
    .where('ordering_key', '=', arg('key'))
    .where(LIVE_INBOX)
    .where('id', '<=', arg('upTo'))
    .where('next_attempt_at', '<=', arg('now'))
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', arg('now'))]),
      ]),
    )
    // No older unfinished item of the key that must go first but cannot yet (retry back-off, or
    // leased by a live worker): a newer item never overtakes it.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('inbox as older')
            .select(sql.lit(1).as('one'))
            .whereRef('older.ordering_key', '=', 'inbox.ordering_key')
            .whereRef('older.id', '<', 'inbox.id')
            .where(LIVE_INBOX) // unqualified: the innermost table, `older`
            .where((eb) =>
              eb.or([
                eb('older.next_attempt_at', '>', arg('now')),
                eb.and([eb('older.state', '=', 'processing'), eb('older.lease_until', '>=', arg('now'))]),
              ]),
            ),
        ),
      ),
    )
    .returning(['id', 'ordering_key', 'payload', 'attempts']),
);

/**
 * `claimableForKey` then `claimInbox`, in one statement: leases the items of `orderingKey` up to
 * `upTo` that may be processed now (none past the first older item that must wait), oldest first.
 */
export async function claimForKey(
  db: Db,
  orderingKey: string,
  upTo: string,
  owner: string,
  leaseMs: number,
  now = Date.now(),
): Promise<InboxItem[]> {
  // Postgres, READ COMMITTED: two transactions claiming one key at once would each check "no older
  // item is leased" against a snapshot without the other's lease, and both win. Only one transaction
  // at a time may claim a key: the other claims nothing now (never waits, so no deadlock between
  // group commits) and its queue tries again. SQLite serialises writers already.
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{
      ok: boolean;
    }>`select pg_try_advisory_xact_lock(hashtext(${`inbox:${orderingKey}`})) as ok`.execute(db);
    if (!rows[0]?.ok) return [];
  }
  return toItems(
    await claimForKeyQuery.all(db, { key: orderingKey, upTo, owner, leaseUntil: now + leaseMs, now }),
  );
}

const claimQuery = new PreparedList<
  { ids: string[]; owner: string; leaseUntil: number; now: number },
  ClaimedRow
>((db, n) =>
  db
    .updateTable('inbox')
    .set((eb) => ({
      state: 'processing',
      lease_owner: arg('owner'),
      lease_until: arg('leaseUntil'),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', args('ids', n))
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', arg('now'))]),
      ]),
    )
    .returning(['id', 'ordering_key', 'payload', 'attempts']),
);

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
  return toItems(await claimQuery.all(db, ids.length, { ids, owner, leaseUntil: now + leaseMs, now }));
}

/** The worker no longer holds the lease on an item it was processing: its work must not commit. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

const doneQuery = new PreparedList<{ ids: string[]; now: number }>((db, n) =>
  db
    .updateTable('inbox')
    .set({
      state: 'done',
      processed_at: arg('now'),
      lease_until: null,
      lease_owner: null,
      last_error: null,
    })
    .where('id', 'in', args('ids', n)),
);

const doneOwnedQuery = new PreparedList<{ ids: string[]; now: number; owner: string }>((db, n) =>
  db
    .updateTable('inbox')
    .set({
      state: 'done',
      processed_at: arg('now'),
      lease_until: null,
      lease_owner: null,
      last_error: null,
    })
    .where('id', 'in', args('ids', n))
    .where('state', '=', 'processing')
    .where('lease_owner', '=', arg('owner')),
);

/**
 * Marks items processed. Call inside the transaction that commits their effects; with `owner`, it
 * throws `LeaseLostError` (rolling the transaction back) unless this worker still holds every lease.
 */
export async function markInboxDone(db: Db, ids: string[], owner?: string, now = Date.now()): Promise<void> {
  if (ids.length === 0) return;
  if (owner === undefined) {
    await doneQuery.run(db, ids.length, { ids, now });
    return;
  }
  const n = await doneOwnedQuery.run(db, ids.length, { ids, now, owner });
  if (n !== ids.length) {
    throw new LeaseLostError(`lost the lease on ${ids.length - n} inbox item(s)`);
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
    .where(LIVE_INBOX)
    .where('state', '=', 'processing')
    .where('lease_owner', '=', owner)
    .execute();
}

/** Items waiting to be processed (pending, or processing with an expired lease), oldest first. */
export async function pendingInbox(db: Db, limit: number, now = Date.now()): Promise<InboxRef[]> {
  const rows = await pendingQuery.all(db, limit, { now });
  return rows.map((r) => ({ id: r.id, orderingKey: r.ordering_key }));
}

/** An item waiting for a worker at `now`: pending, or processing under a lease that ran out. */
export const waitingAt = (now: number) => (eb: ExpressionBuilder<Database, 'inbox'>) =>
  eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'processing'), eb('lease_until', '<', now)])]);

// The limit is a literal (one compiled form per value): see `sql.ts`.
const pendingQuery = new PreparedList<{ now: number }, { id: string; ordering_key: string }>((db, limit) =>
  db
    .selectFrom('inbox')
    .select(['id', 'ordering_key'])
    .where(LIVE_INBOX)
    .where(waitingAt(arg<number>('now')))
    .orderBy('id')
    .limit(sql.lit(limit)),
);

/** Number of items waiting, for the queue-depth gauge. */
export async function inboxDepth(db: Db): Promise<number> {
  const r = await db
    .selectFrom('inbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(LIVE_INBOX)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
