import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

/**
 * Token buckets in the database, so that several gateway processes sending from one business number
 * share its limits (Meta's 80 messages per second per number, the pair limit per recipient) instead of
 * each allowing them in full. A take refills the bucket for the time elapsed and takes one token in a
 * single upsert: the row is locked for the statement, so concurrent takes from other processes queue
 * on it and none is counted twice. A pause (the provider said "slow down") empties the bucket below
 * zero, for every process.
 */

/** One token from bucket `key` (capacity, refill per second): the tokens left, or undefined when empty. */
export async function takeSharedToken(
  db: Db,
  key: string,
  capacity: number,
  ratePerSec: number,
  now: number,
): Promise<{ ok: true } | { ok: false; waitMs: number }> {
  // tokens after refill, capped: the same expression on both dialects (no least()/min() differences).
  const refilled = sql<number>`case when rate_buckets.tokens + (${now} - rate_buckets.updated_at) / 1000.0 * ${ratePerSec} > ${capacity} then ${capacity} else rate_buckets.tokens + (${now} - rate_buckets.updated_at) / 1000.0 * ${ratePerSec} end`;
  const taken = await db
    .insertInto('rate_buckets')
    .values({ key, tokens: capacity - 1, updated_at: now })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ tokens: sql<number>`${refilled} - 1`, updated_at: now })
        .where(sql<boolean>`${refilled} >= 0.999999999`),
    )
    .returning('tokens')
    .executeTakeFirst();
  if (taken) return { ok: true };
  const row = await db
    .selectFrom('rate_buckets')
    .select(['tokens', 'updated_at'])
    .where('key', '=', key)
    .executeTakeFirst();
  const tokens = row
    ? Math.min(capacity, Number(row.tokens) + ((now - Number(row.updated_at)) / 1000) * ratePerSec)
    : capacity;
  return { ok: false, waitMs: Math.max(1, Math.ceil(((1 - tokens) / ratePerSec) * 1000)) };
}

/** Gives back a token taken when the send could not go after all (another limit refused it). */
export async function refundSharedToken(db: Db, key: string): Promise<void> {
  await db
    .updateTable('rate_buckets')
    .set({ tokens: sql<number>`tokens + 1` })
    .where('key', '=', key)
    .execute();
}

/** Holds bucket `key` empty for `ms` (every process). */
export async function pauseSharedBucket(
  db: Db,
  key: string,
  ratePerSec: number,
  ms: number,
  now: number,
): Promise<void> {
  const tokens = -(ms / 1000) * ratePerSec;
  await db
    .insertInto('rate_buckets')
    .values({ key, tokens, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ tokens, updated_at: now }))
    .execute();
}

/** Forgets buckets untouched for `idleMs` (they would be full again anyway). */
export async function sweepSharedBuckets(db: Db, idleMs: number, now: number): Promise<void> {
  await db
    .deleteFrom('rate_buckets')
    .where('updated_at', '<', now - idleMs)
    .execute();
}
