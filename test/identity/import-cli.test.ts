import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerErase } from '../../src/cli/erase.ts';
import { chatFromZip, registerImport } from '../../src/cli/import.ts';
import { collectExport } from '../../src/identity/export.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';
import { dumpAll, seedPerson } from './seed-person.ts';
import { runCli } from '../helpers/cli.ts';

// `passerelle import` and `passerelle erase` through commander, against a store on each dialect.

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'whatsapp-chat');
let store: TestStore;
let dir: string;
let configFile: string;

const run = (...args: string[]) =>
  runCli((p, io) => (registerImport(p, io), registerErase(p, io)), configFile, [...args]);

/** A zip as a phone writes one: deflated entries, a central directory. CRCs are left at 0. */
function zipOf(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(text, 'utf8'));
    const n = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(Buffer.byteLength(text), 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(Buffer.byteLength(text), 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('chatFromZip', () => {
  it('finds _chat.txt among the media of an iPhone export', () => {
    const text = readFileSync(join(FIXTURES, 'ios-fr.txt'), 'utf8');
    const zip = zipOf({ '00000003-PHOTO.jpg': 'jpeg bytes', '_chat.txt': text });
    expect(chatFromZip(zip)).toBe(text);
  });

  it('says what it found when there is no chat, and refuses a damaged zip', () => {
    expect(() => chatFromZip(zipOf({ 'a.jpg': 'x', 'b.jpg': 'y' }))).toThrow(
      'no chat in this zip: expected _chat.txt (found: "a.jpg", "b.jpg")',
    );
    expect(() => chatFromZip(zipOf({ '_chat.txt': 'x' }).subarray(0, 40))).toThrow('damaged zip file');
  });
});

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect, { file: true });
    dir = mkdtempSync(join(tmpdir(), 'passerelle-import-cli-'));
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: store.database.url }));
  });
  afterEach(() => store.close());

  describe('passerelle erase', () => {
    it('without --yes shows what would go, exits 1 and changes nothing', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const before = await dumpAll(store.db);
      const r = await run('erase', 'whatsapp:+33611111111');
      expect(r.code).toBe(1);
      expect(r.out).toContain(`Would erase person ${p.personId} (telegram:1001, whatsapp:33611111111)`);
      expect(r.out).toContain('4 messages');
      expect(r.out).toContain('Run again with --yes');
      expect(await dumpAll(store.db)).toEqual(before);
    });

    it('with --yes erases the person', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const r = await run('erase', p.personId, '--yes');
      expect(r.code).toBeUndefined();
      expect(r.out).toMatch(
        /^Erased person a-person .*: 1 person, 2 contacts, 2 conversations, 4 messages, 2 delivery statuses/,
      );
      expect(await store.db.selectFrom('people').select('id').execute()).toEqual([]);
      const again = await run('erase', p.personId, '--yes');
      expect(again.code).toBe(2);
      expect(again.err).toBe('no person a-person');
    });

    it('rejects a malformed reference with exit code 2', async () => {
      const r = await run('erase', 'fax:123');
      expect(r.code).toBe(2);
      expect(r.err).toContain('unknown channel "fax"');
    });
  });

  describe('passerelle import', () => {
    it('imports a Passerelle export back after an erasure, and a second time changes nothing', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const before = await collectExport(store.db, p.personId, 1);
      const file = join(dir, 'export.json');
      writeFileSync(file, JSON.stringify(before));
      expect((await run('erase', p.personId, '--yes')).code).toBeUndefined();

      const r = await run('import', file);
      expect(r.code).toBeUndefined();
      expect(r.out).toBe(
        `Imported into new person a-person: 2 contacts, 2 conversations, 4 messages, 2 statuses, 1 consents, ` +
          `${before.decisions.length} decisions, 1 LLM usage records; 0 already there.`,
      );
      expect(await collectExport(store.db, p.personId, 1)).toEqual(before);
      const again = await run('import', file, '--format', 'passerelle');
      expect(again.out).toContain(': 0 contacts, 0 conversations, 0 messages');
    });

    it('imports a WhatsApp chat for a person, naming the author who is them', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const r = await run(
        'import',
        join(FIXTURES, 'android-fr.txt'),
        '--person',
        'whatsapp:33611111111',
        '--me',
        'Camille Martin',
        '--timezone',
        'Europe/Paris',
      );
      expect(r.code).toBeUndefined();
      expect(r.out).toMatch(
        new RegExp(
          `^Imported 9 of 9 messages \\(android export, dates dmy\\) into person ${p.personId}, conversation \\S+ \\(import:Acme Assistant\\); 0 already there\\.$`,
        ),
      );
      const again = await run(
        'import',
        join(FIXTURES, 'android-fr.txt'),
        '--person',
        p.personId,
        '--me',
        'Camille Martin',
        '--timezone',
        'Europe/Paris',
      );
      expect(again.out).toContain('Imported 0 of 9 messages');
      expect(again.out).toContain('9 already there');
    });

    it('imports the zip an iPhone shares', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const file = join(dir, 'WhatsApp Chat - Acme.zip');
      writeFileSync(file, zipOf({ '_chat.txt': readFileSync(join(FIXTURES, 'ios-pt-br.txt'), 'utf8') }));
      const r = await run('import', file, '--person', p.personId, '--me', 'Rafael Souza');
      expect(r.code).toBeUndefined();
      expect(r.out).toContain('Imported 11 of 11 messages (ios export, dates dmy)');
    });

    it('asks for --person and --me for a WhatsApp chat, listing the authors', async () => {
      const r = await run('import', join(FIXTURES, 'ios-pt-br.txt'));
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        '--person <ref> and --me <name> required for a WhatsApp chat: whose chat it is, and which author is ' +
          'that person (authors found: "Rafael Souza", "Acme Assistente")',
      );
      const noMe = await run('import', join(FIXTURES, 'ios-pt-br.txt'), '--person', 'x');
      expect(noMe.err).toContain('--me <name> required');
    });

    it('says which authors there are when --me names nobody', async () => {
      const p = await seedPerson(store.db, 'a', '33611111111', '1001');
      const r = await run('import', join(FIXTURES, 'ios-pt-br.txt'), '--person', p.personId, '--me', 'Rafa');
      expect(r.code).toBe(2);
      expect(r.err).toContain('"Rafa" is not an author of this chat');
      expect(r.err).toContain('authors found: "Rafael Souza", "Acme Assistente"');
    });

    it('reports an invalid export with the problems and their paths', async () => {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ format: 'passerelle.person-export', version: 1, person: {} }));
      const r = await run('import', file);
      expect(r.code).toBe(2);
      expect(r.err).toContain('invalid person export');
      expect(r.err).toContain('person.id:');
      writeFileSync(file, JSON.stringify({ format: 'passerelle.person-export', version: 3 }));
      expect((await run('import', file)).err).toBe(
        'export version 3 is newer than this Passerelle understands (1)',
      );
      writeFileSync(file, '{ not json');
      expect((await run('import', file)).err).toContain('not valid JSON');
    });

    it('refuses WhatsApp options for a Passerelle export', async () => {
      const file = join(dir, 'x.json');
      writeFileSync(file, '{}');
      const r = await run('import', file, '--me', 'Ann');
      expect(r.code).toBe(2);
      expect(r.err).toContain('--me: for WhatsApp chats only');
    });

    it('rejects an unknown format and a bad time zone', async () => {
      const f = join(FIXTURES, 'android-fr.txt');
      expect((await run('import', f, '--format', 'csv')).err).toContain(
        'Allowed choices are auto, passerelle, whatsapp',
      );
      const tz = await run('import', f, '--person', 'x', '--me', 'y', '--timezone', 'Mars/Olympus');
      expect(tz.code).toBe(2);
      expect(tz.err).toContain('Mars/Olympus');
    });

    it('reports a missing file', async () => {
      const r = await run('import', join(dir, 'nope.txt'));
      expect(r.code).toBe(2);
      expect(r.err).toContain('Cannot read');
    });
  });
});

describe('no database', () => {
  it('never creates an empty SQLite file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-import-cli-'));
    configFile = join(dir, 'config.json');
    const db = join(dir, 'missing.db');
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${db}` }));
    const file = join(dir, 'x.json');
    writeFileSync(file, readFileSync(join(FIXTURES, 'android-fr.txt'), 'utf8'));
    const erase = await run('erase', 'someone', '--yes');
    expect(erase.code).toBe(2);
    expect(erase.err).toBe(`No database at ${db} (DATABASE_URL).`);
    const imp = await run('import', file, '--person', 'x', '--me', 'Camille Martin');
    expect(imp.code).toBe(2);
    expect(existsSync(db)).toBe(false);
  });
});
