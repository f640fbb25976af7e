import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerExport } from '../../src/cli/export.ts';
import type { PersonId } from '../../src/core/ids.ts';
import { PersonExportSchema } from '../../src/identity/export-format.ts';
import type { Db } from '../../src/store/db.ts';
import { insertMessage } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';
import { runCli } from '../helpers/cli.ts';

// `passerelle export <person>` against a migrated store, as `passerelle --config FILE export …` runs it.

const NOW = Date.parse('2026-06-01T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'passerelle-export-cli-'));
const configFile = join(dir, 'config.json');

async function seed(db: Db): Promise<PersonId> {
  const c = await resolveContact(
    db,
    { channel: 'whatsapp', address: '33612345678', waId: '33612345678', displayName: 'Alice' },
    NOW,
  );
  const conv = await conversationFor(
    db,
    { personId: c.personId, contactId: c.contactId, channel: 'whatsapp', account: '1', isNewContact: true },
    NOW,
  );
  for (const [i, text] of ['Bonjour', 'Ça va ?'].entries()) {
    await insertMessage(db, {
      conversationId: conv.id,
      personId: c.personId,
      contactId: c.contactId,
      channel: 'whatsapp',
      direction: 'in',
      providerMessageId: `wamid.${i}`,
      content: { type: 'text', text },
      status: 'received',
      sentAt: NOW + i * 60_000,
    });
  }
  return c.personId;
}

const run = (...args: string[]) => runCli(registerExport, configFile, ['export', ...args]);

afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(DIALECTS)('%s: passerelle export', (dialect) => {
  let store: TestStore;
  let personId: PersonId;

  beforeEach(async () => {
    store = await openTestStore(dialect, { file: true });
    personId = await seed(store.db);
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: store.database.url }));
  });
  afterEach(() => store.close());

  it('prints the JSON document to standard output by default', async () => {
    const r = await run(personId);
    expect(r.code).toBeUndefined();
    expect(r.err).toBe('');
    const doc = PersonExportSchema.parse(JSON.parse(r.out));
    expect(doc.person).toMatchObject({ id: personId, displayName: 'Alice' });
    expect(doc.messages.map((m) => m.content)).toEqual([
      { type: 'text', text: 'Bonjour' },
      { type: 'text', text: 'Ça va ?' },
    ]);
  });

  it('finds the person by one of their contacts, as channel:address', async () => {
    const r = await run('whatsapp:+33 6 12 34 56 78', '--format', 'md');
    expect(r.code).toBeUndefined();
    expect(r.out).toContain('# Conversation history of Alice');
    expect(r.out).toContain('- 12:01 · whatsapp · Alice · Ça va ?');
  });

  it('writes to a file with --out, and says so on standard error', async () => {
    const file = join(dir, `alice-${dialect}.html`);
    const r = await run(personId, '--format', 'html', '--out', file);
    expect(r.code).toBeUndefined();
    expect(r.out).toBe('');
    expect(r.err).toBe(`Exported 2 message(s) of person ${personId} to ${file}.`);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<h1>Conversation history of Alice</h1>');
  });

  it('an unknown person says so and exits with code 2', async () => {
    const r = await run('whatsapp:33699999999');
    expect(r.code).toBe(2);
    expect(r.err).toBe('No such person: no whatsapp contact 33699999999.');
    expect(r.out).toBe('');
    expect((await run('no-such-person')).code).toBe(2);
  });

  it('a malformed reference says what is wrong and exits with code 2', async () => {
    const r = await run('fax:123');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown channel "fax"');
  });

  it('refuses a format it does not know, naming the choices', async () => {
    const r = await run(personId, '--format', 'pdf');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('Allowed choices are json, md, html');
    expect(r.out).toBe('');
  });
});

describe('passerelle export without a database', () => {
  it('says so, exits with code 2, and creates nothing', async () => {
    const missing = join(dir, 'none', 'missing.db');
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${missing}` }));
    const r = await run('whatsapp:33612345678');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`No database at ${missing} (DATABASE_URL).`);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });
});
