import { PostgresAdapter, sql } from 'kysely';
import type { InboundEvent } from '../core/events.ts';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import { args, PreparedList } from './sql.ts';

/**
 * The intake log: where webhook requests go in a flood, instead of the inbox. A row is one request's
 * parsed events, stored as they came, with no index but its time-ordered id: storing it appends to
 * two B-trees, where an inbox row also lands at random places in the dedupe index and in the live
 * items' index of its conversation, which in a flood is most of what an acknowledgement costs.
 * `IntakeDrain` turns the rows into inbox items (dedupe, ordering) in the background, in id order.
 */

/** Rows of one multi-row insert, at most. */
const MAX_ROWS = 64;

const insertRows = new PreparedList<{ id: string[]; events: string[]; received_at: number[] }>((db, n) => {
  const id = args('id', n);
  const events = args('events', n);
  const at = args('received_at', n);
  return db.insertInto('intake').values(
    Array.from({ length: n }, (_, i) => ({
      id: id[i]!,
      events: events[i]!,
      received_at: at[i]!,
      last_error: null,
    })),
  );
});

/**
 * Appends one row per request (`batches`: each request's events, in arrival order), in chunks whose
 * sizes are powers of two so a handful of compiled statements serve every batch size. Call inside a
 * transaction when there is more than one chunk.
 */
export async function insertIntake(
  db: Db,
  batches: readonly (readonly InboundEvent[])[],
  now = Date.now(),
): Promise<void> {
  for (let at = 0; at < batches.length;) {
    const left = batches.length - at;
    const n = left >= MAX_ROWS ? MAX_ROWS : 2 ** Math.floor(Math.log2(left));
    const chunk = batches.slice(at, at + n);
    await insertRows.run(db, n, {
      id: chunk.map(() => newId()),
      events: chunk.map((events) => JSON.stringify(events)),
      received_at: chunk.map(() => now),
    });
    at += n;
  }
}

export interface IntakeRow {
  id: string;
  events: InboundEvent[];
  receivedAt: number;
}

/**
 * The Postgres advisory lock that makes one process at a time take rows. Keyed by schema: deployments
 * sharing a database in separate schemas never wait on each other.
 */
const LOCK_KEY = sql`hashtext('passerelle:intake:' || current_schema())`;

/**
 * Takes (deletes and returns) the oldest `limit` rows, oldest first. Inside the caller's transaction,
 * so a failure puts them back. On Postgres, one process at a time drains the log (a transaction-scoped
 * advisory lock): two processes taking alternate slices would insert a conversation's messages into
 * the inbox out of order. Undefined: another process holds it; try again shortly.
 */
export async function takeIntake(db: Db, limit: number): Promise<IntakeRow[] | undefined> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${LOCK_KEY}) as ok`.execute(
      db,
    );
    if (!rows[0]?.ok) return undefined;
  }
  const rows = await db
    .deleteFrom('intake')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('intake')
        .select('id')
        .where('last_error', 'is', null)
        .orderBy('id')
        .limit(sql.lit(limit)),
    )
    .returning(['id', 'events', 'received_at'])
    .execute();
  return rows
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({
      id: r.id,
      events: JSON.parse(r.events) as InboundEvent[],
      receivedAt: Number(r.received_at),
    }));
}

/**
 * Keeps every process from taking rows until the caller's transaction ends (Postgres: waits for a
 * step in progress to finish). SQLite needs nothing: its one connection runs one transaction at a time.
 */
export async function holdIntake(db: Db): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(db);
}

/**
 * Puts back a row the inbox refuses, out of the drain's way, with the reason: it is not lost, and the
 * rows behind it go on. (`update intake set last_error = null` gives it back to the drain.)
 */
export async function parkIntake(db: Db, row: IntakeRow, error: string): Promise<void> {
  await db
    .insertInto('intake')
    .values({
      id: row.id,
      events: JSON.stringify(row.events),
      received_at: row.receivedAt,
      last_error: error,
    })
    .execute();
}

/** Requests waiting in the intake log (not counting rows the inbox refused). */
export async function intakeDepth(db: Db): Promise<number> {
  const r = await db
    .selectFrom('intake')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('last_error', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Whether any request waits in the intake log: one index probe. */
export async function intakeWaiting(db: Db): Promise<boolean> {
  const r = await db
    .selectFrom('intake')
    .select('id')
    .where('last_error', 'is', null)
    .limit(sql.lit(1))
    .executeTakeFirst();
  return r !== undefined;
}
