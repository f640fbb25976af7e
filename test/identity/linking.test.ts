import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContactAddress } from '../../src/core/channel.ts';
import { issueLinkCode, LOCKOUT, redeemLinkCode } from '../../src/identity/codes.ts';
import { findPerson } from '../../src/identity/lookup.ts';
import { mergePeople, unlinkContact } from '../../src/identity/merge.ts';
import { StoreConversationMemory } from '../../src/assistant/llm/memory.ts';
import { recordConsent } from '../../src/store/consents.ts';
import { insertMessage } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;
const db = () => store.db;
const T0 = 1_790_000_000_000;
const MIN = 60_000;

/** A person on one channel with a few messages, alternating in and out, from `at`. */
async function personOn(addr: ContactAddress, texts: string[], at: number) {
  const c = await resolveContact(db(), addr, at);
  const conv = await conversationFor(db(), {
    personId: c.personId,
    contactId: c.contactId,
    channel: addr.channel,
    account: 'acct',
    isNewContact: true,
  });
  for (const [i, text] of texts.entries())
    await insertMessage(db(), {
      conversationId: conv.id,
      personId: c.personId,
      contactId: c.contactId,
      channel: addr.channel,
      direction: i % 2 === 0 ? 'in' : 'out',
      content: { type: 'text', text },
      status: i % 2 === 0 ? 'received' : 'delivered',
      sentAt: at + i * 1000,
    });
  return { personId: c.personId as string, contactId: c.contactId as string, channel: addr.channel, conv };
}

const WA = { channel: 'whatsapp' as const, address: '33612345678', waId: '33612345678', displayName: 'Alex' };
const TG = { channel: 'telegram' as const, address: '424242', displayName: 'Alex T' };
const WEB = { channel: 'webchat' as const, address: 'visitor-1' };

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('a code redeemed on another channel joins the two people: one history in time order, one memory', async () => {
    const wa = await personOn(WA, ['hello from whatsapp', 'hi Alex'], T0);
    const tg = await personOn(TG, ['hello from telegram', 'hi again'], T0 + 500);
    await recordConsent(db(), { personId: tg.personId, channel: 'telegram', kind: 'opt_in', source: 'test' });
    const issued = await issueLinkCode(db(), wa, T0 + 10_000);
    const r = await redeemLinkCode(db(), issued.code.toLowerCase(), tg, T0 + 20_000);
    expect(r).toMatchObject({ ok: true, alreadyLinked: false });
    await mergePeople(db(), { into: wa.personId, from: tg.personId }, T0 + 20_000);

    const people = await db().selectFrom('people').selectAll().execute();
    expect(people.map((p) => p.id)).toEqual([wa.personId]);
    expect(people[0]!.display_name).toBe('Alex');
    const contacts = await db().selectFrom('contacts').select(['channel', 'person_id']).execute();
    expect(new Set(contacts.map((c) => c.person_id))).toEqual(new Set([wa.personId]));
    const history = await db()
      .selectFrom('messages')
      .select('content')
      .where('person_id', '=', wa.personId)
      .orderBy('sent_at')
      .execute();
    expect(history.map((m) => (JSON.parse(m.content) as { text: string }).text)).toEqual([
      'hello from whatsapp',
      'hello from telegram',
      'hi Alex',
      'hi again',
    ]);
    const consents = await db().selectFrom('consents').select('person_id').execute();
    expect(consents.map((c) => c.person_id)).toEqual([wa.personId]);
    // The LLM's memory is read from the person's messages: it now spans both channels.
    const memory = await new StoreConversationMemory(db()).recent(wa.personId, 10);
    expect(memory.map((t) => t.text)).toEqual(
      expect.arrayContaining(['hello from whatsapp', 'hello from telegram']),
    );
    const merged = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'identity.merged')
      .execute();
    expect(merged).toHaveLength(1);
    expect(JSON.parse(merged[0]!.detail!)).toMatchObject({ absorbed: tg.personId });
  });

  it('refuses expired, reused, foreign and own codes', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const tg = await personOn(TG, ['b'], T0);
    const web = await personOn(WEB, ['c'], T0);
    const other = await personOn({ channel: 'whatsapp', address: '447700900123' }, ['d'], T0);

    const expired = await issueLinkCode(db(), { ...wa, ttlMs: 5 * MIN }, T0);
    expect(await redeemLinkCode(db(), expired.code, tg, T0 + 5 * MIN)).toMatchObject({
      ok: false,
      reason: 'expired',
    });

    const code = await issueLinkCode(db(), wa, T0);
    // From the contact that asked for it: sent to the wrong app, not a failure.
    expect(await redeemLinkCode(db(), code.code, wa, T0 + 1)).toEqual({ ok: false, reason: 'own_code' });
    // From another number on the same channel: codes join different channels.
    expect(await redeemLinkCode(db(), code.code, other, T0 + 2)).toMatchObject({
      ok: false,
      reason: 'same_channel',
      channel: 'whatsapp',
    });
    // Never issued here (another instance's, or made up).
    expect(await redeemLinkCode(db(), 'ABCD-EFGH', tg, T0 + 3)).toMatchObject({
      ok: false,
      reason: 'unknown',
    });
    expect(await redeemLinkCode(db(), code.code, tg, T0 + 4)).toMatchObject({ ok: true });
    await mergePeople(db(), { into: wa.personId, from: tg.personId });
    expect(await redeemLinkCode(db(), code.code, web, T0 + 5)).toMatchObject({ ok: false, reason: 'used' });

    // A new code makes the previous unused one stop working.
    const first = await issueLinkCode(db(), wa, T0 + 10);
    const second = await issueLinkCode(db(), wa, T0 + 11);
    expect(await redeemLinkCode(db(), first.code, web, T0 + 12)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(await redeemLinkCode(db(), second.code, web, T0 + 13)).toMatchObject({ ok: true });
  });

  it('refuses a code whose person was erased, and one that would give a person two numbers on a channel', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const tg = await personOn(TG, ['b'], T0);
    const wa2 = await personOn({ channel: 'whatsapp', address: '447700900123' }, ['x'], T0);
    const web = await personOn(WEB, ['c'], T0);
    // Telegram person is already joined with another WhatsApp number.
    const c1 = await issueLinkCode(db(), wa2, T0);
    expect(await redeemLinkCode(db(), c1.code, tg, T0 + 1)).toMatchObject({ ok: true });
    await mergePeople(db(), { into: wa2.personId, from: tg.personId });
    const c2 = await issueLinkCode(db(), wa, T0 + 2);
    expect(await redeemLinkCode(db(), c2.code, { ...tg, personId: wa2.personId }, T0 + 3)).toMatchObject({
      ok: false,
      reason: 'conflict',
      channel: 'whatsapp',
    });
    // The person who asked is gone.
    const c3 = await issueLinkCode(db(), wa, T0 + 4);
    await db().deleteFrom('messages').where('person_id', '=', wa.personId).execute();
    await db().deleteFrom('conversations').where('person_id', '=', wa.personId).execute();
    await db().deleteFrom('contacts').where('person_id', '=', wa.personId).execute();
    await db().deleteFrom('people').where('id', '=', wa.personId).execute();
    expect(await redeemLinkCode(db(), c3.code, web, T0 + 5)).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('locks a contact out after 5 failures, even for the right code, for longer each time', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const tg = await personOn(TG, ['b'], T0);
    const good = await issueLinkCode(db(), { ...wa, ttlMs: 24 * 60 * MIN }, T0);
    let t = T0;
    const guess = async () => redeemLinkCode(db(), 'ZZZZ-ZZZZ', tg, ++t);
    for (let i = 0; i < LOCKOUT.maxFailures - 1; i++)
      expect(await guess()).toMatchObject({ reason: 'unknown' });
    const locked = await guess();
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    expect((locked as { retryAt: number }).retryAt).toBe(t + 15 * MIN);
    expect(await redeemLinkCode(db(), good.code, tg, t + 14 * MIN)).toMatchObject({ reason: 'locked' });
    // After the lockout: five more failures lock it for twice as long.
    t += 15 * MIN;
    for (let i = 0; i < LOCKOUT.maxFailures - 1; i++) await guess();
    const again = await guess();
    expect((again as { retryAt: number }).retryAt).toBe(t + 30 * MIN);
    // Another contact is not locked by this one's failures.
    const web = await personOn(WEB, ['c'], T0);
    expect(await redeemLinkCode(db(), good.code, web, t + 1)).toMatchObject({ ok: true });
  });

  /**
   * An attacker spreads wrong guesses over many new contacts of `channel`, 4 each (under the
   * per-contact limit), from T0 + 1 s, one a millisecond, until the channel-wide limit. Returns how many.
   */
  async function guessFromMany(channel: 'telegram' | 'webchat'): Promise<number> {
    let n = 0;
    for (let i = 0; n < LOCKOUT.globalMaxFailures; i++) {
      const who = await personOn({ channel, address: `guesser-${i}` }, [], T0);
      for (let k = 0; k < 4 && n < LOCKOUT.globalMaxFailures; k++, n++)
        await redeemLinkCode(db(), 'ZZZZ-ZZZZ', who, T0 + 1000 + n);
    }
    return n;
  }

  it('closes redemption on a channel for a minute after many failures across its contacts', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const good = await issueLinkCode(db(), wa, T0);
    const n = await guessFromMany('telegram');
    const tg = await personOn(TG, ['b'], T0);
    expect(await redeemLinkCode(db(), good.code, tg, T0 + 2000)).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    expect(await redeemLinkCode(db(), good.code, tg, T0 + 1000 + n + 61_000)).toMatchObject({ ok: true });
  });

  it('keeps redemption open on the other channels when throwaway web chat visitors guess', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const good = await issueLinkCode(db(), wa, T0);
    await guessFromMany('webchat');
    const web = await personOn(WEB, ['b'], T0);
    expect(await redeemLinkCode(db(), good.code, web, T0 + 2000)).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    // Telegram's people are not shut out by the web chat's guessers.
    const tg = await personOn(TG, ['c'], T0);
    expect(await redeemLinkCode(db(), good.code, tg, T0 + 2000)).toMatchObject({ ok: true });
  });

  it('unlinking a contact takes what was written through it and leaves the rest', async () => {
    const wa = await personOn(WA, ['w1', 'w2'], T0);
    const tg = await personOn(TG, ['t1', 't2', 't3'], T0 + 100);
    await recordConsent(db(), { personId: wa.personId, channel: 'telegram', kind: 'opt_in', source: 'test' });
    await mergePeople(db(), { into: wa.personId, from: tg.personId });
    const r = await unlinkContact(db(), { contactId: tg.contactId });
    expect(r).toMatchObject({ ok: true, movedMessages: 3 });
    const newPerson = (r as { personId: string }).personId;
    const byPerson = async (id: string) =>
      (
        await db()
          .selectFrom('messages')
          .select('content')
          .where('person_id', '=', id)
          .orderBy('sent_at')
          .execute()
      ).map((m) => (JSON.parse(m.content) as { text: string }).text);
    expect(await byPerson(wa.personId)).toEqual(['w1', 'w2']);
    expect(await byPerson(newPerson)).toEqual(['t1', 't2', 't3']);
    const tgContact = await db()
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', tg.contactId)
      .executeTakeFirst();
    expect(tgContact!.person_id).toBe(newPerson);
    // The Telegram opt-in is with both now.
    const consents = await db()
      .selectFrom('consents')
      .select('person_id')
      .where('channel', '=', 'telegram')
      .execute();
    expect(new Set(consents.map((c) => c.person_id))).toEqual(new Set([wa.personId, newPerson]));
    expect(await unlinkContact(db(), { contactId: tg.contactId })).toEqual({
      ok: false,
      reason: 'only_contact',
    });
  });
  it('answers a retried redemption by the same contact as linked, without counting a failure', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const tg = await personOn(TG, ['b'], T0);
    const issued = await issueLinkCode(db(), wa, T0);
    expect(await redeemLinkCode(db(), issued.code, tg, T0 + 1000)).toMatchObject({
      ok: true,
      alreadyLinked: false,
    });
    await mergePeople(db(), { into: wa.personId, from: tg.personId }, T0 + 1000);
    // The same message processed again (a later step of its batch failed): six replays would lock.
    const merged = { ...tg, personId: wa.personId };
    for (let i = 0; i < 6; i++)
      expect(await redeemLinkCode(db(), issued.code, merged, T0 + 2000 + i)).toMatchObject({
        ok: true,
        alreadyLinked: true,
      });
    const attempts = await db().selectFrom('link_attempts').selectAll().execute();
    expect(attempts).toEqual([]);
  });

  it('ends the codes an unlinked contact asked for, and the live export links of its person', async () => {
    const wa = await personOn(WA, ['w1'], T0);
    const tg = await personOn(TG, ['t1'], T0 + 100);
    await mergePeople(db(), { into: wa.personId, from: tg.personId });
    const fromTg = await issueLinkCode(db(), { ...tg, personId: wa.personId }, T0 + 1000);
    await db()
      .insertInto('export_links')
      .values({
        id: 'x1',
        token_hash: 'h',
        person_id: wa.personId,
        created_at: T0,
        expires_at: T0 + 3_600_000,
        downloads: 0,
        last_download_at: null,
      })
      .execute();
    expect(await unlinkContact(db(), { contactId: tg.contactId }, T0 + 2000)).toMatchObject({ ok: true });
    const web = await personOn(WEB, ['hi'], T0 + 3000);
    // Redeemed after the unlink, the code would have joined the web visitor to the WhatsApp person.
    expect(await redeemLinkCode(db(), fromTg.code, web, T0 + 3000)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    const link = await db().selectFrom('export_links').select('expires_at').executeTakeFirstOrThrow();
    expect(Number(link.expires_at)).toBe(T0 + 2000);
  });

  it('counts every failure of simultaneous redemptions', async () => {
    const wa = await personOn(WA, ['a'], T0);
    await issueLinkCode(db(), wa, T0);
    const guessers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => personOn({ channel: 'telegram', address: `7000${i}` }, [], T0)),
    );
    await Promise.all(guessers.map((g) => redeemLinkCode(db(), 'ZZZZ-ZZZZ', g, T0 + 1000)));
    const global = await db()
      .selectFrom('link_attempts')
      .select('failures')
      .where('subject', '=', 'global:telegram')
      .executeTakeFirstOrThrow();
    expect(Number(global.failures)).toBe(12);
  });
  it('lets only one of two simultaneous redemptions bring a contact on the same channel', async () => {
    const wa = await personOn(WA, ['a'], T0);
    const web = await personOn(WEB, ['b'], T0);
    await mergePeople(db(), { into: wa.personId, from: web.personId });
    // The person holds a live code on each of its two contacts; two Telegram users redeem one each.
    const c1 = await issueLinkCode(db(), wa, T0);
    const c2 = await issueLinkCode(db(), { ...web, personId: wa.personId }, T0);
    const t1 = await personOn({ channel: 'telegram', address: '5001' }, ['x'], T0);
    const t2 = await personOn({ channel: 'telegram', address: '5002' }, ['y'], T0);
    const redeem = (code: string, who: typeof t1) =>
      db()
        .transaction()
        .execute(async (trx) => {
          const r = await redeemLinkCode(trx, code, who, T0 + 1000);
          if (r.ok && !r.alreadyLinked)
            await mergePeople(trx, { into: wa.personId, from: who.personId }, T0 + 1000);
          return r;
        });
    const results = await Promise.all([redeem(c1.code, t1), redeem(c2.code, t2)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({ reason: 'conflict' });
    const telegram = await db()
      .selectFrom('contacts')
      .select('id')
      .where('person_id', '=', wa.personId)
      .where('channel', '=', 'telegram')
      .execute();
    expect(telegram).toHaveLength(1);
  });
  it('refuses a contact reference that matches two people, instead of picking one', async () => {
    await personOn({ channel: 'telegram', address: '777' }, ['a'], T0);
    await personOn({ channel: 'telegram', address: '888', userId: '777' }, ['b'], T0);
    await expect(findPerson(db(), 'telegram:777')).rejects.toMatchObject({ reason: 'invalid' });
    expect((await findPerson(db(), 'telegram:888')).contacts).toHaveLength(1);
  });
});
