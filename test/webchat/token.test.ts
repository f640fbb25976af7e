import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { originAllowed, originPolicy } from '../../src/channels/webchat/origin.ts';
import {
  newVisitorId,
  resolveWebchatSecret,
  signVisitor,
  verifyVisitor,
} from '../../src/channels/webchat/token.ts';

const SECRET = 'a'.repeat(40);

describe('web chat visitor tokens', () => {
  it('verifies its own tokens and names the visitor', () => {
    const v = newVisitorId();
    const t = signVisitor(SECRET, v);
    expect(t).toMatch(/^wc1\.v_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(verifyVisitor(SECRET, t)).toBe(v);
  });

  it('refuses tampered, foreign and malformed tokens', () => {
    const v = newVisitorId();
    const t = signVisitor(SECRET, v);
    const other = newVisitorId();
    // Another visitor's id with this signature.
    expect(verifyVisitor(SECRET, t.replace(v, other))).toBeUndefined();
    // One character of the signature changed.
    const last = t.at(-2) === 'A' ? 'B' : 'A';
    expect(verifyVisitor(SECRET, t.slice(0, -2) + last + t.at(-1))).toBeUndefined();
    // Signed with another key.
    expect(verifyVisitor('b'.repeat(40), t)).toBeUndefined();
    for (const bad of [undefined, '', 'wc1', 'wc1..', `wc2.${v}.x`, t + '.x', 42, 'x'.repeat(500)])
      expect(verifyVisitor(SECRET, bad)).toBeUndefined();
  });

  it('generates the key once next to the SQLite database and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-wc-'));
    const url = `sqlite:${join(dir, 'db', 'p.db')}`;
    const a = resolveWebchatSecret(undefined, url);
    const b = resolveWebchatSecret(undefined, url);
    expect(a.origin).toBe('file');
    expect(b.secret).toBe(a.secret);
    expect(readFileSync(a.file!, 'utf8').trim()).toBe(a.secret);
    expect(statSync(a.file!).mode & 0o077).toBe(0);
    expect(resolveWebchatSecret(SECRET, url)).toEqual({ secret: SECRET, origin: 'config' });
    expect(resolveWebchatSecret(undefined, 'postgres://x@y/z').origin).toBe('ephemeral');
  });
});

describe('web chat origin check', () => {
  const policy = originPolicy('https://shop.example, http://localhost:3000', 'https://chat.example/base');

  it('allows the same host, PUBLIC_URL, the configured origins, and non-browser clients', () => {
    expect(originAllowed(policy, 'http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(originAllowed(policy, 'https://chat.example', 'internal:8080')).toBe(true);
    expect(originAllowed(policy, 'https://shop.example', 'gw:8080')).toBe(true);
    expect(originAllowed(policy, 'http://localhost:3000', 'gw:8080')).toBe(true);
    expect(originAllowed(policy, undefined, 'gw:8080')).toBe(true);
  });

  it('refuses other origins, other schemes and ports, and "null"', () => {
    expect(originAllowed(policy, 'https://evil.example', 'gw:8080')).toBe(false);
    expect(originAllowed(policy, 'http://shop.example', 'gw:8080')).toBe(false);
    expect(originAllowed(policy, 'https://shop.example:8443', 'gw:8080')).toBe(false);
    expect(originAllowed(policy, 'null', 'gw:8080')).toBe(false);
    expect(originAllowed(policy, 'https://shop.example.evil.example', 'gw:8080')).toBe(false);
  });
});
