import type { Db } from '../store/db.ts';
import { waitingAt, type InboxRef } from '../store/inbox.ts';
import { LIVE_INBOX } from '../store/live.ts';
import type { InboxState } from './nats-settings.ts';

/**
 * The two inbox reads of the NATS queue: the state of the items a batch carried (to decide ack or
 * nak), and the pending items old enough that a message should long have announced them (the sweep).
 */

/** The rows of `ids` that still exist, by id. */
export async function inboxStates(db: Db, ids: string[]): Promise<Map<string, InboxState>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('inbox')
    .select(['id', 'state', 'next_attempt_at'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Items waiting to be processed (pending, or processing under an expired lease) received before
 * `receivedBefore`, oldest first, after the id `after` (for paging), at most `limit`.
 */
export async function sweepCandidates(
  db: Db,
  receivedBefore: number,
  after: string,
  limit: number,
  now = Date.now(),
): Promise<InboxRef[]> {
  const rows = await db
    .selectFrom('inbox')
    .select(['id', 'ordering_key'])
    .where(LIVE_INBOX)
    .where(waitingAt(now))
    .where('received_at', '<', receivedBefore)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, orderingKey: r.ordering_key }));
}
