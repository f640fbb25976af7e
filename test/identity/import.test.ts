import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { erasePerson } from '../../src/identity/erase.ts';
import { collectExport } from '../../src/identity/export.ts';
import type { PersonExport } from '../../src/identity/export-format.ts';
import { ImportError, importPersonExport } from '../../src/identity/import.ts';
import type { Store } from '../../src/store/db.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import { dumpAll, seedPerson, SEED_NOW } from './seed-person.ts';

let store: Store;

/** The export as it travels: through JSON text. */
async function exported(db: Store['db'], personId: string): Promise<PersonExport> {
  return JSON.parse(JSON.stringify(await collectExport(db, personId, SEED_NOW + 1000))) as PersonExport;
}

function withoutTime(x: PersonExport): Omit<PersonExport, 'exportedAt'> {
  const { exportedAt: _, ...rest } = x;
  return rest;
}

async function importError(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('restores the exact history after export, erasure and import', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    await seedPerson(store.db, 'b', '33622222222', '1002');
    const before = await exported(store.db, alice.personId);
    expect(before.messages).toHaveLength(4);
    await erasePerson(store.db, alice.personId, { actor: 'test' });

    const r = await importPersonExport(store.db, before, { now: SEED_NOW + 2000 });
    expect(r).toEqual({
      personId: alice.personId,
      createdPerson: true,
      inserted: {
        contacts: 2,
        conversations: 2,
        messages: 4,
        statuses: 2,
        consents: 1,
        decisions: before.decisions.length,
        llmUsage: 1,
      },
      skipped: 0,
    });
    const after = await collectExport(store.db, alice.personId, SEED_NOW + 3000);
    expect(withoutTime(after)).toEqual(withoutTime(before));
  });

  it('changes nothing when the same file is imported again', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = await exported(store.db, alice.personId);
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    await seedPerson(store.db, 'b', '33622222222', '1002');
    await importPersonExport(store.db, file);
    const once = await dumpAll(store.db);
    const again = await importPersonExport(store.db, file);
    expect(Object.values(again.inserted).every((n) => n === 0)).toBe(true);
    expect(again.skipped).toBe(2 + 2 + 4 + 2 + 1 + file.decisions.length + 1);
    expect(await dumpAll(store.db)).toEqual(once);
  });

  it('changes nothing when imported where it was exported from', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = await exported(store.db, alice.personId);
    const before = await dumpAll(store.db);
    const r = await importPersonExport(store.db, file);
    expect(r.createdPerson).toBe(false);
    expect(await dumpAll(store.db)).toEqual(before);
  });

  it('attaches to the person who already owns one of its contacts, mapping contact ids', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = await exported(store.db, alice.personId);
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    // Here, the same WhatsApp number is somebody already known, under other ids.
    const t = SEED_NOW;
    await store.db
      .insertInto('people')
      .values({ id: 'here', display_name: 'Known', language: null, created_at: t, updated_at: t })
      .execute();
    await store.db
      .insertInto('contacts')
      .values({
        id: 'here-wa',
        person_id: 'here',
        channel: 'whatsapp',
        address: '33611111111',
        wa_id: '33611111111',
        user_id: null,
        username: null,
        country_code: null,
        display_name: null,
        created_at: t,
        last_seen_at: t,
      }) // prettier-ignore
      .execute();
    const r = await importPersonExport(store.db, file);
    expect(r.personId).toBe('here');
    expect(r.createdPerson).toBe(false);
    expect(r.inserted.contacts).toBe(1);
    expect(r.inserted.messages).toBe(4);
    const people = await store.db.selectFrom('people').select(['id', 'display_name']).execute();
    expect(people).toEqual([{ id: 'here', display_name: 'Known' }]);
    const waMessages = await store.db
      .selectFrom('messages')
      .select(['person_id', 'contact_id'])
      .where('channel', '=', 'whatsapp')
      .execute();
    expect(waMessages).toEqual([
      { person_id: 'here', contact_id: 'here-wa' },
      { person_id: 'here', contact_id: 'here-wa' },
    ]);
    const conv = await store.db
      .selectFrom('conversations')
      .select(['contact_id', 'person_id'])
      .where('id', '=', alice.whatsapp.conversationId)
      .executeTakeFirstOrThrow();
    expect(conv).toEqual({ contact_id: 'here-wa', person_id: 'here' });
  });

  it('refuses contacts that belong to different people here, importing nothing', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = await exported(store.db, alice.personId);
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    await seedPerson(store.db, 'x', '33611111111', '9001');
    await seedPerson(store.db, 'y', '33699999999', '1001');
    const before = await dumpAll(store.db);
    const err = await importError(importPersonExport(store.db, file));
    expect(err.reason).toBe('conflict');
    expect(err.problems).toEqual([
      'contacts.0: telegram:1001 belongs to person y-person',
      'contacts.1: whatsapp:33611111111 belongs to person x-person',
    ]);
    expect(await dumpAll(store.db)).toEqual(before);
  });

  it('lists the problems of an invalid file with their JSON paths', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = (await exported(store.db, alice.personId)) as unknown as {
      messages: Record<string, unknown>[];
      contacts: Record<string, unknown>[];
    };
    file.messages[1]!.direction = 'sideways';
    delete file.contacts[0]!.address;
    const err = await importError(importPersonExport(store.db, file));
    expect(err.reason).toBe('invalid');
    expect(err.problems.some((p) => p.startsWith('messages.1.direction:'))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('contacts.0.address:'))).toBe(true);
    expect(err.message).toContain('messages.1.direction');
  });

  it('refuses a message whose conversation is not in the file', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = await exported(store.db, alice.personId);
    file.messages[0]!.conversationId = 'elsewhere';
    const err = await importError(importPersonExport(store.db, file));
    expect(err.problems).toEqual(['messages.0.conversationId: no conversation "elsewhere"']);
  });

  it('says so when the file comes from a newer Passerelle', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const file = { ...(await exported(store.db, alice.personId)), version: 2 };
    const err = await importError(importPersonExport(store.db, file));
    expect(err.reason).toBe('version');
    expect(err.message).toBe('export version 2 is newer than this Passerelle understands (1)');
  });

  it('says so when the file is not a person export at all', async () => {
    for (const doc of [{ hello: 'world' }, [1, 2], null]) {
      const err = await importError(importPersonExport(store.db, doc));
      expect(err.reason).toBe('format');
      expect(err.message).toContain('not a Passerelle person export');
    }
  });
});
