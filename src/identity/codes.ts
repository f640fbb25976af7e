import { PostgresAdapter } from 'kysely';
import { createHash, randomInt } from 'node:crypto';
import { newId } from '../core/ids.ts';
import type { Db } from '../store/db.ts';
import type { LinkCodesTable } from '../store/schema.ts';

/**
 * One-time link codes. A person asks on one channel and gets a code; redeeming it from a contact on
 * another channel joins that contact to the person who asked (`redeemLinkCode`, then `mergePeople`).
 *
 * A code is 8 characters of Crockford's base32 (no I, L, O, U: nothing to misread), 40 bits, shown as
 * `K7M4-QX2P`. Typed back, case, spaces and dashes do not matter, and O/I/L read as 0/1/1. Only its
 * SHA-256 is stored. Codes expire (15 minutes by default), are single-use, and are bound to the
 * person and the contact that asked: redeemed from that same contact, or from another contact on the
 * channel it was asked on, they are refused.
 *
 * Brute force: each redeeming contact has 5 failures per 15 minutes, then is locked out for 15
 * minutes, twice as long at each lockout after (up to a day); across all contacts of a channel, more
 * than 50 failures in a minute closes redemption on that channel for the rest of that minute. Per
 * channel, because web chat visitors cost nothing to make: a stream of throwaway visitors guessing
 * must not close linking for the channel's people on WhatsApp or Telegram. With 2^40 codes and at
 * most a handful live, guessing one is hopeless within those limits.
 */

export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 8;
export const DEFAULT_CODE_TTL_MS = 15 * 60_000;

export const LOCKOUT = {
  /** Failures per contact before a lockout. */
  maxFailures: 5,
  /** The window failures are counted in, and the first lockout's length. */
  windowMs: 15 * 60_000,
  maxLockMs: 24 * 60 * 60_000,
  /** Failures across a channel's contacts per `globalWindowMs` before redemption closes on it. */
  globalMaxFailures: 50,
  globalWindowMs: 60_000,
} as const;

/** A fresh random code, as stored (no dash). */
export function generateCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

/** `K7M4QX2P` → `K7M4-QX2P`. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The code as stored, from what a person typed; undefined when it cannot be a code. */
export function normaliseCode(typed: string): string | undefined {
  const s = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== CODE_LENGTH) return undefined;
  for (const ch of s) if (!CODE_ALPHABET.includes(ch)) return undefined;
  return s;
}

export function hashCode(code: string): string {
  return createHash('sha256').update(`passerelle-link:${code}`).digest('hex');
}

export interface IssuedCode {
  id: string;
  /** The code as stored; show it with `formatCode`. */
  code: string;
  expiresAt: number;
}

/** Ends the unused, unexpired codes `contactId` asked for (of one purpose, or all). */
export async function endLiveCodes(
  db: Db,
  contactId: string,
  now: number,
  purpose?: 'link' | 'sunset',
): Promise<void> {
  await db
    .updateTable('link_codes')
    .set({ expires_at: now })
    .where('contact_id', '=', contactId)
    .$if(purpose !== undefined, (q) => q.where('purpose', '=', purpose!))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
}

/**
 * Issues a code for the person behind `contactId`. Earlier unused codes of the same purpose from the
 * same contact stop working: only the latest one sent is valid.
 */
export async function issueLinkCode(
  db: Db,
  c: { personId: string; contactId: string; channel: string; purpose?: 'link' | 'sunset'; ttlMs?: number },
  now = Date.now(),
): Promise<IssuedCode> {
  const purpose = c.purpose ?? 'link';
  await endLiveCodes(db, c.contactId, now, purpose);
  // 2^40 codes: a collision with a stored hash is vanishingly rare, but the unique index would turn
  // it into a failed transaction, so draw again instead.
  for (;;) {
    const code = generateCode();
    const codeHash = hashCode(code);
    const taken = await db
      .selectFrom('link_codes')
      .select('id')
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    if (taken) continue;
    const id = newId();
    const expiresAt = now + (c.ttlMs ?? DEFAULT_CODE_TTL_MS);
    await db
      .insertInto('link_codes')
      .values({
        id,
        code_hash: codeHash,
        person_id: c.personId,
        contact_id: c.contactId,
        channel: c.channel,
        purpose,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
        used_by_contact_id: null,
      })
      .execute();
    return { id, code, expiresAt };
  }
}

/** Why a redemption was refused. */
export type RedeemRefusal =
  /** Not a code, or no such code here (never issued, or its person was erased). */
  | 'unknown'
  | 'expired'
  | 'used'
  /** Sent back from the contact that asked for it. */
  | 'own_code'
  /** Redeemed on the channel it was asked on, by another contact: codes join different channels. */
  | 'same_channel'
  /** The redeeming person already has another contact on the code's channel: unlink that one first. */
  | 'conflict'
  /** Too many failures: `retryAt` says when to try again. */
  | 'locked';

export type Redeemed =
  | { ok: true; code: LinkCodesTable; alreadyLinked: boolean }
  | { ok: false; reason: RedeemRefusal; retryAt?: number; channel?: string };

interface Redeemer {
  personId: string;
  contactId: string;
  channel: string;
}

/**
 * Checks a typed code for the contact redeeming it and, when it is good, marks it used. Every refusal
 * but `own_code` counts as a failure towards the lockout. The caller merges the people on success.
 */
export async function redeemLinkCode(
  db: Db,
  typed: string,
  who: Redeemer,
  now = Date.now(),
): Promise<Redeemed> {
  const subject = `contact:${who.contactId}`;
  const channelWide = `global:${who.channel}`;
  const lockedUntil = await lockedUntilOf(db, [subject, channelWide], now);
  if (lockedUntil !== undefined) return { ok: false, reason: 'locked', retryAt: lockedUntil };

  const fail = async (reason: RedeemRefusal, channel?: string): Promise<Redeemed> => {
    const retryAt = await recordFailure(db, subject, channelWide, now);
    return {
      ok: false,
      reason: retryAt !== undefined ? 'locked' : reason,
      ...(retryAt !== undefined ? { retryAt } : {}),
      ...(channel ? { channel } : {}),
    };
  };

  const code = normaliseCode(typed);
  if (!code) return fail('unknown');
  const row = await db
    .selectFrom('link_codes')
    .selectAll()
    .where('code_hash', '=', hashCode(code))
    .executeTakeFirst();
  if (!row) return fail('unknown');
  if (row.contact_id === who.contactId) return { ok: false, reason: 'own_code' };
  if (row.person_id === who.personId && row.used_at === null)
    return { ok: true, code: row, alreadyLinked: true };
  // This very contact redeemed it already: the message is being processed again (a retry after a
  // later step failed). Linked, as the first time; not a failure.
  if (row.used_at !== null && row.used_by_contact_id === who.contactId)
    return { ok: true, code: row, alreadyLinked: true };
  if (row.used_at !== null) return fail('used');
  if (row.expires_at <= now) return fail('expired');
  // Postgres (READ COMMITTED): two redemptions into one person at once would each check for a clash
  // without seeing the other's merge; locking the person's row makes the second wait and see it.
  // SQLite serialises writers already.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const ownerQuery = db.selectFrom('people').select('id').where('id', '=', row.person_id);
  const owner = await (postgres ? ownerQuery.forUpdate() : ownerQuery).executeTakeFirst();
  if (!owner) return fail('unknown');
  if (row.channel === who.channel) return fail('same_channel', row.channel);
  // The redeeming person must not bring a second contact on a channel the asker already uses.
  const clash = await db
    .selectFrom('contacts as mine')
    .innerJoin('contacts as theirs', 'theirs.channel', 'mine.channel')
    .select('mine.channel')
    .where('mine.person_id', '=', who.personId)
    .where('theirs.person_id', '=', row.person_id)
    .executeTakeFirst();
  if (clash) return fail('conflict', clash.channel);

  const taken = await db
    .updateTable('link_codes')
    .set({ used_at: now, used_by_contact_id: who.contactId })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return fail('used');
  await db.deleteFrom('link_attempts').where('subject', '=', subject).execute();
  return {
    ok: true,
    code: { ...row, used_at: now, used_by_contact_id: who.contactId },
    alreadyLinked: false,
  };
}

async function lockedUntilOf(db: Db, subjects: string[], now: number): Promise<number | undefined> {
  const rows = await db
    .selectFrom('link_attempts')
    .select(['subject', 'locked_until'])
    .where('subject', 'in', subjects)
    .where('locked_until', '>', now)
    .execute();
  if (rows.length === 0) return undefined;
  return Math.max(...rows.map((r) => Number(r.locked_until)));
}

/**
 * Counts a failure for the contact and for its channel. Returns when the contact may try again if
 * this failure locked it (or redemption on its channel) out.
 */
async function recordFailure(
  db: Db,
  subject: string,
  channelWide: string,
  now: number,
): Promise<number | undefined> {
  const mine = await bump(db, subject, now, LOCKOUT.windowMs, LOCKOUT.maxFailures, (lockouts) =>
    Math.min(LOCKOUT.windowMs * 2 ** lockouts, LOCKOUT.maxLockMs),
  );
  const all = await bump(
    db,
    channelWide,
    now,
    LOCKOUT.globalWindowMs,
    LOCKOUT.globalMaxFailures,
    () => LOCKOUT.globalWindowMs,
  );
  const until = [mine, all].filter((x): x is number => x !== undefined);
  return until.length ? Math.max(...until) : undefined;
}

/**
 * Counts one failure for `subject` and locks it when the window holds `max`. The count is one upsert,
 * so failures counted at the same time by several requests or processes are all counted; the lock
 * is taken once (only over no lock, or an expired one).
 */
async function bump(
  db: Db,
  subject: string,
  now: number,
  windowMs: number,
  max: number,
  lockFor: (lockouts: number) => number,
): Promise<number | undefined> {
  const windowFrom = now - windowMs;
  const row = await db
    .insertInto('link_attempts')
    .values({ subject, failures: 1, window_start: now, locked_until: null, lockouts: 0 })
    .onConflict((oc) =>
      oc.column('subject').doUpdateSet((eb) => ({
        failures: eb
          .case()
          .when('link_attempts.window_start', '<=', windowFrom)
          .then(1)
          .else(eb('link_attempts.failures', '+', 1))
          .end(),
        window_start: eb
          .case()
          .when('link_attempts.window_start', '<=', windowFrom)
          .then(now)
          .else(eb.ref('link_attempts.window_start'))
          .end(),
      })),
    )
    .returning(['failures', 'lockouts'])
    .executeTakeFirstOrThrow();
  if (Number(row.failures) < max) return undefined;
  const lockouts = Number(row.lockouts);
  const until = now + lockFor(lockouts);
  await db
    .updateTable('link_attempts')
    .set({ failures: 0, window_start: now, locked_until: until, lockouts: lockouts + 1 })
    .where('subject', '=', subject)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
  return until;
}
