import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectExport } from '../../src/identity/export.ts';
import { ChatImportError, hashId, importWhatsAppChat } from '../../src/identity/import-whatsapp.ts';
import { PersonRefError } from '../../src/identity/lookup.ts';
import { parseWhatsAppChat, type ParsedChat } from '../../src/identity/whatsapp-chat.ts';
import type { Store } from '../../src/store/db.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import { dumpAll, seedPerson, SEED_NOW } from './seed-person.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'whatsapp-chat');

/** Each fixture, the person's name in it, and the phone's time zone. */
const LOCALES: { file: string; me: string; timeZone: string }[] = [
  { file: 'android-de.txt', me: 'Lukas Schneider', timeZone: 'Europe/Berlin' },
  { file: 'android-en-gb.txt', me: 'Amelia Clarke', timeZone: 'Europe/London' },
  { file: 'android-en-us.txt', me: 'Jordan Miller', timeZone: 'America/New_York' },
  { file: 'android-es.txt', me: 'Lucía Fernández', timeZone: 'Europe/Madrid' },
  { file: 'android-fr.txt', me: 'Camille Martin', timeZone: 'Europe/Paris' },
  { file: 'ios-en-gb-with-media.txt', me: 'Oliver Bennett', timeZone: 'Europe/London' },
  { file: 'ios-en-us.txt', me: 'Sam Patel', timeZone: 'America/Chicago' },
  { file: 'ios-fr.txt', me: 'Élodie Garnier', timeZone: 'Europe/Paris' },
  { file: 'ios-pt-br.txt', me: 'Rafael Souza', timeZone: 'America/Sao_Paulo' },
];

function fixture(file: string, timeZone = 'UTC'): ParsedChat {
  return parseWhatsAppChat(readFileSync(join(FIXTURES, file), 'utf8'), { timeZone });
}

let store: Store;

type Row = { id: string; direction: string; content: string; meta: string | null; sent_at: number };

async function messagesOf(conversationId: string): Promise<Row[]> {
  return store.db
    .selectFrom('messages')
    .select(['id', 'direction', 'content', 'meta', 'sent_at'])
    .where('conversation_id', '=', conversationId)
    .orderBy('sent_at')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it.each(LOCALES)('imports $file once, whatever the locale', async ({ file, me, timeZone }) => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const parsed = fixture(file, timeZone);
    const first = await importWhatsAppChat(store.db, parsed, { person: p.personId, me, source: file });
    expect(first.inserted).toBe(parsed.messages.length);
    expect(first.skipped).toBe(0);
    const rows = await messagesOf(first.conversationId);
    expect(rows).toHaveLength(parsed.messages.length);
    const mine = parsed.messages.filter((l) => l.author === me || l.author === null).length;
    expect(rows.filter((r) => r.direction === 'in')).toHaveLength(mine);

    const before = await dumpAll(store.db);
    const again = await importWhatsAppChat(store.db, fixture(file, timeZone), { person: p.personId, me });
    expect(again).toMatchObject({ inserted: 0, skipped: parsed.messages.length });
    expect(await dumpAll(store.db)).toEqual(before);
  });

  it('stores lines as inbound, outbound, system and media placeholders, in file order', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const parsed = fixture('android-en-us.txt', 'America/New_York');
    const r = await importWhatsAppChat(store.db, parsed, {
      person: 'whatsapp:+33 6 11 11 11 11',
      me: 'Jordan Miller',
      source: 'WhatsApp Chat with Acme.txt',
    });
    expect(r.personId).toBe(p.personId);
    expect(r.contactId).toBe(p.whatsapp.contactId);
    const rows = await messagesOf(r.conversationId);
    const contents = rows.map((m) => JSON.parse(m.content) as Record<string, unknown>);
    const metas = rows.map((m) => (JSON.parse(m.meta!) as { imported: Record<string, unknown> }).imported);
    expect(contents[0]).toEqual({
      type: 'system',
      systemType: 'whatsapp_export',
      body: expect.stringContaining('end-to-end encrypted') as string,
    });
    expect(rows[2]).toMatchObject({ direction: 'in', sent_at: Date.parse('2023-12-31T02:15:00Z') });
    expect(contents[2]).toEqual({
      type: 'text',
      text: 'Hi! Can you help me plan a long weekend in Lisbon? 🇵🇹',
    });
    expect(rows[3]!.direction).toBe('out');
    expect(contents[4]).toEqual({ type: 'media', kind: 'document', media: {} });
    expect(metas[4]).toMatchObject({
      placeholder: true,
      mediaKind: 'media',
      author: 'Jordan Miller',
      line: 9,
    });
    expect(metas[4]!.file).toBe('WhatsApp Chat with Acme.txt');
    // Same minute as the placeholder, after it.
    expect(contents[5]).toEqual({ type: 'text', text: "That's my hotel. Is it close to Alfama?" });
    expect(metas[7]).toMatchObject({ edited: true });
    expect(metas[8]).toMatchObject({ deleted: true });
    expect(contents[12]).toEqual({
      type: 'location',
      latitude: 38.7139,
      longitude: -9.1334,
      url: 'https://maps.google.com/?q=38.7139,-9.1334',
    });
  });

  it('keeps media file names and kinds from an export with media', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const r = await importWhatsAppChat(store.db, fixture('ios-en-gb-with-media.txt'), {
      person: p.personId,
      me: 'Oliver Bennett',
    });
    const contents = (await messagesOf(r.conversationId)).map((m) => JSON.parse(m.content) as unknown);
    expect(contents).toContainEqual({
      type: 'media',
      kind: 'document',
      media: { filename: '00000014-Boarding pass.pdf' },
    });
    expect(contents).toContainEqual({
      type: 'media',
      kind: 'video',
      media: { filename: '00000020-GIF-2025-01-02-10-19-40.mp4', animated: true },
    });
    expect(contents).toContainEqual({
      type: 'media',
      kind: 'sticker',
      media: { filename: '00000018-STICKER-2025-01-02-10-18-30.webp' },
    });
  });

  it('never touches the live conversation or its 24-hour window clock', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const live = await store.db.selectFrom('conversations').selectAll().orderBy('id').execute();
    const r = await importWhatsAppChat(store.db, fixture('android-fr.txt', 'Europe/Paris'), {
      person: p.personId,
      me: 'Camille Martin',
    });
    const others = await store.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '!=', r.conversationId)
      .orderBy('id')
      .execute();
    expect(others).toEqual(live);
    const conv = await store.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', r.conversationId)
      .executeTakeFirstOrThrow();
    expect(conv).toMatchObject({
      contact_id: p.whatsapp.contactId,
      account: 'import:Acme Assistant',
      last_inbound_at: null,
      last_outbound_at: null,
    });
  });

  it('gives a person without WhatsApp a contact of its own for the chat', async () => {
    await store.db
      .insertInto('people')
      .values({ id: 'solo', display_name: null, language: null, created_at: SEED_NOW, updated_at: SEED_NOW })
      .execute();
    const r = await importWhatsAppChat(store.db, fixture('ios-pt-br.txt'), {
      person: 'solo',
      me: 'Rafael Souza',
    });
    const contact = await store.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', r.contactId)
      .executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ person_id: 'solo', channel: 'whatsapp', address: 'import:solo' });
    const again = await importWhatsAppChat(store.db, fixture('ios-pt-br.txt'), {
      person: 'solo',
      me: 'Rafael Souza',
    });
    expect(again).toMatchObject({ contactId: r.contactId, conversationId: r.conversationId, inserted: 0 });
  });

  it('keeps identical lines apart, and adds only the new lines of a later export', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const head = ['1/2/24, 9:00 AM - Ann: ok', '1/2/24, 9:00 AM - Ann: ok', '1/2/24, 9:01 AM - Bot: fine'];
    const first = await importWhatsAppChat(store.db, parseWhatsAppChat(head.join('\n')), {
      person: p.personId,
      me: 'Ann',
    });
    expect(first.inserted).toBe(3);
    const longer = [...head, '1/2/24, 9:02 AM - Ann: ok', '1/2/24, 9:02 AM - Ann: ok'];
    const second = await importWhatsAppChat(store.db, parseWhatsAppChat(longer.join('\n')), {
      person: p.personId,
      me: 'Ann',
    });
    expect(second).toMatchObject({ inserted: 2, skipped: 3 });
    const rows = await messagesOf(first.conversationId);
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.id)).size).toBe(5);
    expect(rows[0]!.id).toBe(hashId([p.personId, 'Bot', Date.parse('2024-01-02T09:00:00Z'), 'Ann', 'ok', 0]));
  });

  it('reads the author names as people type them', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const r = await importWhatsAppChat(store.db, fixture('ios-fr.txt', 'Europe/Paris'), {
      person: p.personId,
      me: 'élodie  garnier',
    });
    const conv = await store.db
      .selectFrom('conversations')
      .select('account')
      .where('id', '=', r.conversationId)
      .executeTakeFirstOrThrow();
    expect(conv.account).toBe('import:+33 6 12 34 56 78');
    expect(r.inserted).toBe(10);
  });

  it('refuses a name that is not an author, listing the authors found', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const err = await importWhatsAppChat(store.db, fixture('android-de.txt'), {
      person: p.personId,
      me: 'Lukas',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatImportError);
    expect((err as ChatImportError).authors).toEqual(['Lukas Schneider', 'Acme Assistant']);
    expect((err as Error).message).toContain('"Lukas" is not an author of this chat');
    expect((err as Error).message).toContain('authors found: "Lukas Schneider", "Acme Assistant"');
    expect(
      await store.db.selectFrom('messages').select('id').where('channel', '=', 'whatsapp').execute(),
    ).toHaveLength(2);
  });

  it('refuses a group chat', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const text = ['1/2/24, 9:00 AM - Ann: hi all', '1/2/24, 9:01 AM - Bob: hi', '1/2/24, 9:02 AM - Cy: yo'];
    const err = await importWhatsAppChat(store.db, parseWhatsAppChat(text.join('\n')), {
      person: p.personId,
      me: 'Ann',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatImportError);
    expect((err as Error).message).toContain('this chat has 3 authors: a group chat cannot be imported');
  });

  it('refuses an unknown person', async () => {
    await expect(
      importWhatsAppChat(store.db, fixture('android-fr.txt'), {
        person: 'whatsapp:33600000000',
        me: 'Camille Martin',
      }),
    ).rejects.toBeInstanceOf(PersonRefError);
  });

  it('puts the chat in the person’s export, in time order', async () => {
    const p = await seedPerson(store.db, 'p', '33611111111', '1001');
    const parsed = fixture('ios-en-us.txt', 'America/Chicago');
    await importWhatsAppChat(store.db, parsed, { person: p.personId, me: 'Sam Patel' });
    const x = await collectExport(store.db, p.personId);
    const imported = x.messages.filter((m) => m.meta && 'imported' in m.meta);
    expect(imported.map((m) => m.sentAt)).toEqual(parsed.messages.map((l) => l.at));
    expect(imported.map((m) => (m.meta!.imported as { line: number }).line)).toEqual(
      parsed.messages.map((l) => l.line),
    );
  });
});
