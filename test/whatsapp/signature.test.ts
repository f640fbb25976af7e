import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeNonAscii, signBody, verifySignature } from '../../src/channels/whatsapp/signature.ts';
import { fixtureBytes } from './fixtures.ts';

const SECRET = 'app-secret-0123456789abcdef';
const BODY = Buffer.from('{"object":"whatsapp_business_account","entry":[]}', 'utf8');
const NON_ASCII = Buffer.from('{"text":{"body":"äöå 👍 ça coûte 5 €"}}', 'utf8');

function hmacHex(body: Buffer | string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

describe('verifySignature (spec §1.2)', () => {
  it('accepts a valid sha256 signature', () => {
    expect(verifySignature(BODY, signBody(BODY, SECRET), SECRET)).toEqual({ ok: true });
  });

  it('reports a missing header', () => {
    expect(verifySignature(BODY, undefined, SECRET)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature(BODY, '', SECRET)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['a legacy sha1 header', `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`],
    ['no prefix', hmacHex(BODY)],
    ['a digest one character short', `sha256=${hmacHex(BODY).slice(1)}`],
    ['a digest one character long', `sha256=${hmacHex(BODY)}0`],
    ['non-hex characters', `sha256=${'z'.repeat(64)}`],
  ])('reports %s as malformed', (_name, header) => {
    expect(verifySignature(BODY, header, SECRET)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifySignature(BODY, signBody(BODY, 'another-secret'), SECRET)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a body altered by one byte', () => {
    const header = signBody(BODY, SECRET);
    const altered = Buffer.from(BODY);
    altered[altered.length - 2] = altered[altered.length - 2]! ^ 0x01;
    expect(verifySignature(altered, header, SECRET)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts a non-ASCII body signed over its raw UTF-8 bytes', () => {
    expect(verifySignature(NON_ASCII, signBody(NON_ASCII, SECRET), SECRET)).toEqual({ ok: true });
  });

  it("accepts a non-ASCII body signed over Meta's escaped-unicode form", () => {
    const escaped = escapeNonAscii(NON_ASCII.toString('utf8'));
    expect(escaped).toContain('\\u00e4\\u00f6\\u00e5 \\ud83d\\udc4d');
    expect(verifySignature(NON_ASCII, `sha256=${hmacHex(escaped)}`, SECRET)).toEqual({ ok: true });
  });

  it('accepts a fixture sent with escapes, signed over the exact bytes', () => {
    const raw = fixtureBytes('12-reaction.json');
    expect(raw.toString('utf8')).toContain('\\ud83d\\udc4d');
    expect(verifySignature(raw, signBody(raw, SECRET), SECRET)).toEqual({ ok: true });
  });

  it('tolerates an uppercase hex digest', () => {
    expect(verifySignature(BODY, `sha256=${hmacHex(BODY).toUpperCase()}`, SECRET)).toEqual({ ok: true });
  });

  it('reads the first value of a repeated header', () => {
    expect(verifySignature(BODY, [signBody(BODY, SECRET), 'sha256=00'], SECRET)).toEqual({ ok: true });
  });
});
