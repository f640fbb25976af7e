import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../core/ids.ts';
import type { Db } from '../store/db.ts';
import { PersonRefError } from './lookup.ts';

/**
 * Short-lived download links to a person's export (`GET /export/<token>`). The token is the only
 * credential, so it is 32 random bytes, and only its SHA-256 is stored: a copy of the database does not
 * give working links. A link can be used any number of times until it expires (a phone may fetch
 * twice); each download is counted.
 */

/** One hour. */
export const DEFAULT_EXPORT_LINK_TTL_MS = 3_600_000;

export interface ExportLink {
  /** The secret: base64url of 32 random bytes. Shown once, never stored. */
  token: string;
  /** `/export/<token>`, to put after the gateway's public URL. */
  path: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

export type OpenedExportLink = { personId: string } | { error: 'unknown' | 'expired' };

/** SHA-256 (hex) of a token, as stored in `export_links.token_hash`. */
export function hashExportToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Creates a download link to the person's export, valid `ttlMs` from `now`. Throws
 * `PersonRefError('not_found')` when there is no such person.
 */
export async function createExportLink(
  db: Db,
  personId: string,
  opts: { ttlMs?: number; now?: number } = {},
): Promise<ExportLink> {
  const now = opts.now ?? Date.now();
  const ttlMs = opts.ttlMs ?? DEFAULT_EXPORT_LINK_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
  const person = await db.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
  if (!person) throw new PersonRefError(`no person ${personId}`, 'not_found');
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + ttlMs;
  await db
    .insertInto('export_links')
    .values({
      id: newId(),
      token_hash: hashExportToken(token),
      person_id: personId,
      created_at: now,
      expires_at: expiresAt,
      downloads: 0,
      last_download_at: null,
    })
    .execute();
  return { token, path: `/export/${token}`, expiresAt };
}

/** base64url of 32 bytes: 43 characters. Anything else cannot be a token: no query needed. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The person a download link is for, counting the download; `unknown` for a token never issued (or
 * already pruned), `expired` from `expiresAt` on. Call it once per download actually served.
 */
export async function openExportLink(
  db: Db,
  token: string,
  now: number = Date.now(),
): Promise<OpenedExportLink> {
  if (!TOKEN.test(token)) return { error: 'unknown' };
  const hash = hashExportToken(token);
  // One statement checks and counts, so two downloads at once are both counted.
  const row = await db
    .updateTable('export_links')
    .set((eb) => ({ downloads: eb('downloads', '+', 1), last_download_at: now }))
    .where('token_hash', '=', hash)
    .where('expires_at', '>', now)
    .returning('person_id')
    .executeTakeFirst();
  if (row) return { personId: row.person_id };
  const known = await db
    .selectFrom('export_links')
    .select('id')
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  return { error: known ? 'expired' : 'unknown' };
}

/**
 * Deletes the links that expired before `now`; returns how many. Until then an expired link answers
 * `expired` (410) rather than `unknown` (404), which tells its holder to ask for a new one.
 */
export async function pruneExportLinks(db: Db, now: number = Date.now()): Promise<number> {
  const r = await db.deleteFrom('export_links').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
