import { sql } from 'kysely';

/**
 * The conditions of the partial indexes on the work tables (migration `0004_live_indexes`). SQLite
 * uses a partial index only for a query whose WHERE clause contains the index's condition as written,
 * with literal values: queries on these tables add the matching term (`.where(LIVE_INBOX)`), which
 * changes nothing else, since it holds for every row they look for.
 */

/** Inbox items not processed yet. */
export const LIVE_INBOX_SQL = `state in ('pending', 'processing')`;
/** Outbox items not finished yet, or parked (held, needing a template). */
export const LIVE_OUTBOX_SQL = `state in ('pending', 'sending', 'unknown', 'held', 'needs_template')`;
/** Outbox messages that hold their recipient's line: the oldest of them is the head of line. */
export const LINE_OUTBOX_SQL = `kind = 'message' and state in ('pending', 'sending', 'unknown')`;

export const LIVE_INBOX = sql<boolean>`${sql.raw(LIVE_INBOX_SQL)}`;
export const LIVE_OUTBOX = sql<boolean>`${sql.raw(LIVE_OUTBOX_SQL)}`;
export const LINE_OUTBOX = sql<boolean>`${sql.raw(LINE_OUTBOX_SQL)}`;
