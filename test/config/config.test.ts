import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const noFile = join(tmpdir(), 'passerelle-no-such-dir');

function load(env: Record<string, string>, file?: string) {
  return loadConfig({ env: { PASSERELLE_CONFIG: file ?? '', ...env }, ...(file ? {} : { file: '' }) });
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('starts on embedded defaults with the sandbox when nothing is set', () => {
    const c = load({});
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_URL).toBe('sqlite:./data/passerelle.db');
    expect(c.QUEUE_URL).toBe('local');
    expect(c.WHATSAPP_API_VERSION).toBe('v25.0');
    expect(c.whatsappMode).toBe('sandbox');
    // The sandbox's control API has no authentication: loopback only unless asked otherwise.
    expect(c.HOST).toBe('127.0.0.1');
  });

  it('names the key and what is expected for a bad value', () => {
    expect(problems(() => load({ PORT: 'eighty' }))).toEqual([
      'PORT: expected a TCP port number, got "eighty"',
    ]);
    expect(problems(() => load({ WHATSAPP_API_VERSION: '25' }))[0]).toMatch(
      /^WHATSAPP_API_VERSION: expected a Graph API version like v25.0/,
    );
    expect(problems(() => load({ DATABASE_URL: 'mysql://x' }))[0]).toMatch(
      /^DATABASE_URL: expected sqlite:<path> or postgres/,
    );
  });

  it('reports every bad key at once', () => {
    expect(problems(() => load({ PORT: '70000', LOG_LEVEL: 'loud' }))).toHaveLength(2);
  });

  it('masks the password of a URL it prints in an error', () => {
    const p = problems(() => load({ QUEUE_URL: 'nats://worker:hunter2@nats.internal:99999999' }));
    expect(p.join()).toContain('nats://worker:***@nats.internal');
    expect(p.join()).not.toContain('hunter2');
  });

  it('never prints a secret value in an error', () => {
    const p = problems(() => load({ PASSERELLE_ADMIN_TOKEN: 'short-secret' }));
    expect(p[0]).toMatch(/^PASSERELLE_ADMIN_TOKEN: expected a token of at least 16 characters$/);
    expect(p.join()).not.toContain('short-secret');
  });

  it('uses the Cloud API when all four WhatsApp credentials are set', () => {
    const c = load({
      WHATSAPP_VERIFY_TOKEN: 'v',
      WHATSAPP_APP_SECRET: 's',
      WHATSAPP_ACCESS_TOKEN: 't',
      WHATSAPP_PHONE_NUMBER_ID: '123',
    });
    expect(c.whatsappMode).toBe('cloud');
    expect(c.HOST).toBe('0.0.0.0');
  });

  it('refuses a partial set of WhatsApp credentials, naming the missing ones', () => {
    const p = problems(() => load({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1' }));
    expect(p.map((x) => x.split(':')[0])).toEqual(['WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET']);
  });

  it('reads a JSON file whose keys are the environment names, the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-cfg-'));
    const file = join(dir, 'passerelle.config.json');
    writeFileSync(file, JSON.stringify({ PORT: 9000, LOG_LEVEL: 'warn' }));
    const c = load({ LOG_LEVEL: 'debug' }, file);
    expect(c.PORT).toBe(9000);
    expect(c.LOG_LEVEL).toBe('debug');
    expect(c.sources.PORT).toBe('file');
    expect(c.sources.LOG_LEVEL).toBe('env');
  });

  it('rejects unknown keys and invalid JSON in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-cfg-'));
    const bad = join(dir, 'a.json');
    writeFileSync(bad, JSON.stringify({ PROT: 1 }));
    expect(problems(() => load({}, bad))).toEqual(['PROT (config file): unknown key']);
    writeFileSync(bad, '{ nope');
    expect(problems(() => load({}, bad))[0]).toContain('not valid JSON');
  });

  it('fails when an explicit config file is missing', () => {
    expect(problems(() => load({}, join(noFile, 'x.json')))[0]).toMatch(/^PASSERELLE_CONFIG: file not found/);
  });
});
