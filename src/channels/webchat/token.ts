import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Web chat visitor identity: `wc1.<visitorId>.<signature>`, kept by the widget in the browser's local
 * storage. The visitor id is random (128 bits); the signature is HMAC-SHA256 over it with the server's
 * `WEBCHAT_SECRET`, so a visitor cannot claim another visitor's id (and their history). Nothing else is
 * in the token: it identifies, it does not authorise anything beyond speaking as that visitor.
 */

const PREFIX = 'wc1';
const VISITOR_RE = /^v_[A-Za-z0-9_-]{22}$/;

function mac(secret: string, visitorId: string): Buffer {
  return createHmac('sha256', secret).update(`passerelle-webchat-visitor:${visitorId}`).digest();
}

/** A new visitor id (`v_` + 22 base64url characters). */
export function newVisitorId(): string {
  return 'v_' + randomBytes(16).toString('base64url');
}

export function signVisitor(secret: string, visitorId: string): string {
  if (!VISITOR_RE.test(visitorId)) throw new Error('invalid visitor id');
  return `${PREFIX}.${visitorId}.${mac(secret, visitorId).toString('base64url')}`;
}

/** The visitor id a token names, or `undefined` when the token is malformed or its signature wrong. */
export function verifyVisitor(secret: string, token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length > 200) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const [, visitorId, sig] = parts as [string, string, string];
  if (!VISITOR_RE.test(visitorId) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return undefined;
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, visitorId);
  return given.length === want.length && timingSafeEqual(given, want) ? visitorId : undefined;
}

export interface SecretSource {
  secret: string;
  /** Where it came from, for the start-up log (never the secret itself). */
  origin: 'config' | 'file' | 'ephemeral';
  file?: string;
}

/**
 * The signing key: `WEBCHAT_SECRET` when set; else a random key generated on first start and kept in
 * `webchat-secret` (mode 0600) next to the SQLite database, so tokens survive restarts; else (Postgres
 * or an in-memory database without `WEBCHAT_SECRET`) a key for this process only: visitors get new
 * identities after a restart, and several processes would not accept each other's tokens.
 */
export function resolveWebchatSecret(configured: string | undefined, databaseUrl: string): SecretSource {
  if (configured) return { secret: configured, origin: 'config' };
  const path = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
  if (path && path !== ':memory:') {
    const file = join(dirname(resolve(path)), 'webchat-secret');
    if (existsSync(file)) {
      const s = readFileSync(file, 'utf8').trim();
      if (s.length >= 32) return { secret: s, origin: 'file', file };
    }
    mkdirSync(dirname(file), { recursive: true });
    const s = randomBytes(32).toString('hex');
    writeFileSync(file, s + '\n', { mode: 0o600 });
    return { secret: s, origin: 'file', file };
  }
  return { secret: randomBytes(32).toString('hex'), origin: 'ephemeral' };
}
