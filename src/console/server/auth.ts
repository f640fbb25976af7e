import {
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { newId } from '../../core/ids.ts';
import type { Db } from '../../store/db.ts';
import type { OperatorsTable } from '../../store/schema.ts';

/**
 * Operator accounts and console sessions. Passwords are hashed with scrypt (memory-hard: N=2^15, r=8,
 * p=1, 32 MB per hash), sessions are random 256-bit tokens stored as their SHA-256, each with its
 * own CSRF token. Five wrong passwords for a username within 15 minutes lock it for 15 minutes.
 */

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;
export const SESSION_IDLE_MS = 12 * 3_600_000;
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;
const LOGIN = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

function scrypt(password: string, salt: Buffer, keyLength: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keyLength, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (n: number, r: number) => 128 * n * r * 2;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scrypt(password, salt, keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const N = Number(n);
  const R = Number(r);
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N,
    r: R,
    p: Number(p),
    maxmem: maxmem(N, R),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash nobody's password matches: checked for unknown usernames, so they take as long as known ones. */
let dummyHash: Promise<string> | undefined;

/**
 * Makes the hash unknown usernames are checked against, ahead of the first sign-in (made then, it
 * would make that one sign-in slower than any other: a tell that the name is unknown).
 */
export function prepareSignIn(): Promise<string> {
  // A failure is not kept: the next sign-in tries again.
  return (dummyHash ??= hashPassword(randomBytes(16).toString('hex')).catch((err: unknown) => {
    dummyHash = undefined;
    throw err;
  }));
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export type Operator = Pick<OperatorsTable, 'id' | 'username' | 'role'> & { displayName: string };

export function publicOperator(o: OperatorsTable): Operator {
  return { id: o.id, username: o.username, role: o.role, displayName: o.display_name };
}

export type SignIn =
  { ok: true; operator: OperatorsTable } | { ok: false; reason: 'invalid' | 'locked'; retryAt?: number };

/**
 * Checks a username and password, with the lockout. The attempt is counted **before** the password
 * is checked, in one statement (an upsert), so parallel attempts cannot all read the same count: in a
 * window, at most `maxFailures` attempts get a password check; the others are refused as locked. A
 * right password clears the count; the attempt that reaches the limit with a wrong one locks the name.
 */
export async function signIn(db: Db, username: string, password: string, now = Date.now()): Promise<SignIn> {
  const name = username.trim().toLowerCase();
  const subject = `user:${name}`;
  const windowFrom = now - LOGIN.windowMs;
  // Not while locked (the conflict update's WHERE leaves the row alone and returns nothing).
  const counted = await db
    .insertInto('login_attempts')
    .values({ subject, failures: 1, window_start: now, locked_until: null })
    .onConflict((oc) =>
      oc
        .column('subject')
        .doUpdateSet((eb) => ({
          failures: eb
            .case()
            .when('login_attempts.window_start', '<=', windowFrom)
            .then(1)
            .else(eb('login_attempts.failures', '+', 1))
            .end(),
          window_start: eb
            .case()
            .when('login_attempts.window_start', '<=', windowFrom)
            .then(now)
            .else(eb.ref('login_attempts.window_start'))
            .end(),
        }))
        .where((eb) =>
          eb.or([
            eb('login_attempts.locked_until', 'is', null),
            eb('login_attempts.locked_until', '<=', now),
          ]),
        ),
    )
    .returning(['failures'])
    .executeTakeFirst();
  if (!counted) {
    const row = await db
      .selectFrom('login_attempts')
      .select('locked_until')
      .where('subject', '=', subject)
      .executeTakeFirst();
    return { ok: false, reason: 'locked', retryAt: Number(row?.locked_until ?? now + LOGIN.lockMs) };
  }
  const attempt = Number(counted.failures);
  if (attempt > LOGIN.maxFailures) return lock(db, subject, now);
  const op = await db.selectFrom('operators').selectAll().where('username', '=', name).executeTakeFirst();
  const good = op
    ? await verifyPassword(password, op.password_hash)
    : await verifyPassword(password, await prepareSignIn());
  if (op && good && op.disabled_at === null) {
    await db.deleteFrom('login_attempts').where('subject', '=', subject).execute();
    return { ok: true, operator: op };
  }
  if (attempt >= LOGIN.maxFailures) return lock(db, subject, now);
  return { ok: false, reason: 'invalid' };
}

/** Locks a name for `lockMs` (its count starts again when the lock ends). */
async function lock(db: Db, subject: string, now: number): Promise<SignIn> {
  const lockedUntil = now + LOGIN.lockMs;
  await db
    .updateTable('login_attempts')
    .set({ failures: 0, window_start: now, locked_until: lockedUntil })
    .where('subject', '=', subject)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
  return { ok: false, reason: 'locked', retryAt: lockedUntil };
}

/** Whether a session (by id) is still valid: not ended, not expired, its operator not disabled. */
export async function sessionAlive(db: Db, sessionId: string, now = Date.now()): Promise<boolean> {
  const row = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .select(['s.expires_at', 'o.disabled_at'])
    .where('s.id', '=', sessionId)
    .executeTakeFirst();
  return !!row && Number(row.expires_at) > now && row.disabled_at === null;
}

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: number;
}

export async function createSession(db: Db, operatorId: string, now = Date.now()): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = now + SESSION_IDLE_MS;
  await db
    .insertInto('operator_sessions')
    .values({
      id: sha256(token),
      operator_id: operatorId,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: expiresAt,
      last_seen_at: now,
    })
    .execute();
  // Expired sessions of everyone go at each sign-in: the table stays small.
  await db.deleteFrom('operator_sessions').where('expires_at', '<=', now).execute();
  return { token, csrfToken, expiresAt };
}

export interface ActiveSession {
  id: string;
  operator: OperatorsTable;
  csrfToken: string;
}

/** The session behind a cookie token, extended while used (12 h idle, 7 days at most). */
export async function sessionFor(
  db: Db,
  token: string,
  now = Date.now(),
): Promise<ActiveSession | undefined> {
  const id = sha256(token);
  const row = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .selectAll('o')
    .select(['s.csrf_token', 's.expires_at', 's.created_at as session_created_at', 's.last_seen_at'])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row || Number(row.expires_at) <= now || row.disabled_at !== null) return undefined;
  if (now - Number(row.last_seen_at) > 60_000)
    await db
      .updateTable('operator_sessions')
      .set({
        last_seen_at: now,
        expires_at: Math.min(now + SESSION_IDLE_MS, Number(row.session_created_at) + SESSION_MAX_MS),
      })
      .where('id', '=', id)
      .execute();
  const { csrf_token, expires_at: _e, session_created_at: _c, last_seen_at: _l, ...operator } = row;
  return { id, operator, csrfToken: csrf_token };
}

export async function endSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('operator_sessions').where('id', '=', sessionId).execute();
}

export class OperatorError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'conflict' | 'not_found',
  ) {
    super(message);
    this.name = 'OperatorError';
  }
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,39}$/;
export const MIN_PASSWORD = 10;

export async function createOperator(
  db: Db,
  o: { username: string; password: string; role: 'admin' | 'agent'; displayName?: string | undefined },
  now = Date.now(),
): Promise<OperatorsTable> {
  const username = o.username.trim().toLowerCase();
  if (!USERNAME.test(username))
    throw new OperatorError(
      'username: expected 3 to 40 characters among a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
      'invalid',
    );
  if (o.password.length < MIN_PASSWORD)
    throw new OperatorError(`password: expected at least ${MIN_PASSWORD} characters`, 'invalid');
  const taken = await db
    .selectFrom('operators')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirst();
  if (taken) throw new OperatorError(`username: "${username}" is taken`, 'conflict');
  const row: OperatorsTable = {
    id: newId(),
    username,
    display_name: o.displayName?.trim() || username,
    role: o.role,
    password_hash: await hashPassword(o.password),
    created_at: now,
    updated_at: now,
    disabled_at: null,
  };
  await db.insertInto('operators').values(row).execute();
  return row;
}

export async function operatorCount(db: Db): Promise<number> {
  const r = await db
    .selectFrom('operators')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Disables an account and ends its sessions. */
export async function disableOperator(db: Db, username: string, now = Date.now()): Promise<void> {
  const op = await db
    .selectFrom('operators')
    .select('id')
    .where('username', '=', username.trim().toLowerCase())
    .executeTakeFirst();
  if (!op) throw new OperatorError(`no operator "${username}"`, 'not_found');
  await db
    .updateTable('operators')
    .set({ disabled_at: now, updated_at: now })
    .where('id', '=', op.id)
    .execute();
  await db.deleteFrom('operator_sessions').where('operator_id', '=', op.id).execute();
}
