import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs webhooks over "an escaped unicode version of the payload, with lowercase hex digits"
 * (spec §1.2). Every UTF-16 code unit outside printable ASCII-and-below (`[\0-~]`) becomes `\uxxxx`.
 */
export function escapeNonAscii(json: string): string {
  return json.replace(/[^\0-~]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** `sha256=<lowercase hex HMAC-SHA256(secret, body)>`, the `X-Hub-Signature-256` header value. */
export function signBody(body: string | Buffer, appSecret: string): string {
  return 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
}

/** Outcome of `verifySignature`; the reason lets the webhook route log why a POST was refused. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

const HEADER_RE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Verifies `X-Hub-Signature-256` over the raw request bytes, in constant time. When the raw body holds
 * non-ASCII bytes, the escaped-unicode form Meta signs is tried too, so both signing styles pass.
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  appSecret: string,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const value = Array.isArray(header) ? header[0] : header;
  const m = value === undefined ? null : HEADER_RE.exec(value.trim());
  if (!m) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(m[1]!.toLowerCase(), 'hex');
  if (matches(rawBody, expected, appSecret)) return { ok: true };
  if (hasNonAscii(rawBody)) {
    const escaped = Buffer.from(escapeNonAscii(rawBody.toString('utf8')), 'utf8');
    if (matches(escaped, expected, appSecret)) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}

function matches(body: Buffer, expected: Buffer, secret: string): boolean {
  const actual = createHmac('sha256', secret).update(body).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function hasNonAscii(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 0x7e) return true;
  return false;
}
