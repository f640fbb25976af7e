import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { erasePerson } from '../../src/identity/erase.ts';
import { PersonRefError } from '../../src/identity/lookup.ts';
import type { Store } from '../../src/store/db.ts';
import { parseUpdate } from '../../src/channels/telegram/inbound.ts';
import { insertIntake } from '../../src/store/intake.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import { textEvent } from '../helpers/events.ts';
import { ALL_TABLES, dumpAll, seedPerson, SEED_NOW } from './seed-person.ts';

let store: Store;

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('removes the person from every table and leaves another person untouched', async () => {
    const db = store.db;
    await seedPerson(db, 'b', '33622222222', '1002');
    const onlyBob = await dumpAll(db);
    const alice = await seedPerson(db, 'a', '33611111111', '1001');
    const counts = await erasePerson(db, alice.personId, { actor: 'test', now: SEED_NOW + 99 });
    expect(counts).toEqual({
      people: 1,
      contacts: 2,
      conversations: 2,
      messages: 4,
      message_statuses: 2,
      outbox: 2,
      inbox: 3,
      consents: 1,
      llm_usage: 1,
      audit_log: 3,
      link_codes: 1,
      export_links: 1,
      campaign_members: 1,
      link_attempts: 1,
      handoffs: 1,
      console_reads: 1,
      intake: 3,
      rate_buckets: 1,
    });
    const after = await dumpAll(db);
    for (const table of ALL_TABLES) {
      // A campaign is the business's, not the person's: Alice's membership goes, the campaign stays.
      if (table === 'audit_log' || table === 'campaigns') continue;
      expect(after[table], table).toEqual(onlyBob[table]);
    }
    expect(after.campaigns!.map((c) => (c as { id: string }).id).sort()).toEqual(['a-camp', 'b-camp']);
    expect(after.audit_log!.filter((e) => (e as { action: string }).action !== 'person.erased')).toEqual(
      onlyBob.audit_log,
    );
  });

  it('writes one person.erased audit entry with counts and nothing personal', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    await erasePerson(store.db, alice.personId, { actor: 'operator:jo', now: SEED_NOW + 99 });
    const entries = await store.db.selectFrom('audit_log').selectAll().execute();
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ action: 'person.erased', actor: 'operator:jo', at: SEED_NOW + 99 });
    expect(e.person_id).toBeNull();
    expect(e.message_id).toBeNull();
    const detail = JSON.parse(e.detail!) as { person: string; counts: Record<string, number> };
    expect(detail.person).toBe(alice.personId);
    expect(detail.counts.messages).toBe(4);
    for (const secret of ['33611111111', '1001', 'Name a', 'hello from a', 'ua'])
      expect(JSON.stringify(e)).not.toContain(secret);
  });

  it('refuses an unknown person, and a second erasure, as not_found', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    await expect(erasePerson(store.db, 'nobody', { actor: 'test' })).rejects.toMatchObject({
      name: 'PersonRefError',
      reason: 'not_found',
    });
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    const err = await erasePerson(store.db, alice.personId, { actor: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonRefError);
    expect((err as PersonRefError).reason).toBe('not_found');
    expect(await store.db.selectFrom('audit_log').select('id').execute()).toHaveLength(1);
  });

  it('cancels pending sends to the person, including mark-reads with no message', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    const pending = await store.db.selectFrom('outbox').select('id').where('state', '=', 'pending').execute();
    expect(pending).toEqual([]);
  });

  it('finds inbox events under the BSUID the contact first wrote with', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    await store.db
      .updateTable('contacts')
      .set({ user_id: 'US.abc_1' })
      .where('id', '=', alice.whatsapp.contactId)
      .execute();
    const row = {
      channel: 'whatsapp', kind: 'message', account: '999', state: 'pending' as const, attempts: 0,
      lease_until: null, lease_owner: null, received_at: 1, processed_at: null, last_error: null, next_attempt_at: 0,
    }; // prettier-ignore
    await store.db
      .insertInto('inbox')
      .values([
        {
          ...row,
          id: 'x1',
          dedupe_key: 'msg:x1',
          ordering_key: 'whatsapp:999:US.abc_1',
          payload: JSON.stringify({ kind: 'message', from: { address: 'US.abc_1', userId: 'US.abc_1' } }),
        },
        // A lookalike address (`_` is a LIKE wildcard): somebody else.
        {
          ...row,
          id: 'x2',
          dedupe_key: 'msg:x2',
          ordering_key: 'whatsapp:999:US.abcX1',
          payload: JSON.stringify({ kind: 'message', from: { address: 'US.abcX1' } }),
        },
      ])
      .execute();
    await erasePerson(store.db, alice.personId, { actor: 'test' });
    const left = await store.db.selectFrom('inbox').select('id').execute();
    expect(left.map((r) => r.id)).toEqual(['x2']);
  });

  it("takes the person's events out of an intake-log row that also holds someone else's", async () => {
    const db = store.db;
    const alice = await seedPerson(db, 'a', '33611111111', '1001');
    await seedPerson(db, 'b', '33622222222', '1002');
    await db.deleteFrom('intake').execute();
    // One request from a flood carried a message from each of them.
    const bobs = textEvent('wamid.b.flood', '33622222222');
    await insertIntake(db, [[textEvent('wamid.a.flood', '33611111111'), bobs]]);
    const counts = await erasePerson(db, alice.personId, { actor: 'test' });
    expect(counts.intake).toBe(1);
    const rows = await db.selectFrom('intake').select('events').execute();
    expect(rows.map((r) => JSON.parse(r.events) as unknown)).toEqual([[bobs]]);
  });

  it('takes their Telegram block from the intake log, whose ids are numbers in the update', async () => {
    const db = store.db;
    const alice = await seedPerson(db, 'a', '33611111111', '1001');
    await seedPerson(db, 'b', '33622222222', '1002');
    await db.deleteFrom('intake').execute();
    const bot = { id: 777000, is_bot: true, first_name: 'Bot' };
    const blocked = (id: number, name: string) => ({
      chat: { id, type: 'private', first_name: name },
      from: { id, is_bot: false, first_name: name },
      date: 1_777_000_000,
      old_chat_member: { status: 'member', user: bot },
      new_chat_member: { status: 'kicked', user: bot, until_date: 0 },
    });
    const events = [
      { update_id: 9001, my_chat_member: blocked(1001, 'Alice') },
      { update_id: 9002, my_chat_member: blocked(1002, 'Bob') },
    ].flatMap((u) => {
      const r = parseUpdate(u, { botId: '777000', receivedAt: 1_777_000_000_000 });
      if (!r.ok) throw new Error('unreadable update');
      return r.events;
    });
    await insertIntake(db, [events]);
    const counts = await erasePerson(db, alice.personId, { actor: 'test' });
    expect(counts.intake).toBe(1);
    const left = await db.selectFrom('intake').select('events').execute();
    expect(left.map((r) => JSON.parse(r.events) as unknown)).toEqual([[events[1]]]);
  });

  it('changes nothing when it fails half-way', async () => {
    const alice = await seedPerson(store.db, 'a', '33611111111', '1001');
    const before = await dumpAll(store.db);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await erasePerson(trx, alice.personId, { actor: 'test' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await dumpAll(store.db)).toEqual(before);
  });
});
