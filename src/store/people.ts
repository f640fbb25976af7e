import { sql } from 'kysely';
import type { ContactAddress } from '../core/channel.ts';
import { newId, type ContactId, type ConversationId, type PersonId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { ContactsTable, ConversationsTable } from './schema.ts';
import { arg, Prepared } from './sql.ts';

export interface ResolvedContact {
  personId: PersonId;
  contactId: ContactId;
  created: boolean;
  contact: ContactsTable;
}

/**
 * One term per identifier, each answered by its own index (`(channel, address)`, `(channel, wa_id)`,
 * `(channel, user_id)`). Written as `channel = ? and (a or b or c)`, SQLite scans every contact of
 * the channel instead. An absent identifier is bound as NULL, which matches nothing.
 */
const findContactQuery = new Prepared<
  { channel: string; address: string; waId: string | null; userId: string | null },
  ContactsTable
>((db) =>
  db
    .selectFrom('contacts')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('channel', '=', arg('channel')), eb('address', '=', arg('address'))]),
        eb.and([eb('channel', '=', arg('channel')), eb('wa_id', '=', arg('waId'))]),
        eb.and([eb('channel', '=', arg('channel')), eb('user_id', '=', arg('userId'))]),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id') // ties (same millisecond) resolved the same way on every dialect
    // A literal: with `limit ?`, SQLite plans the statement again on every run.
    .limit(sql.lit(1)),
);

const seenQuery = new Prepared<{ id: string; now: number }>((db) =>
  db
    .updateTable('contacts')
    .set({ last_seen_at: arg('now') })
    .where('id', '=', arg('id')),
);

const insertPersonQuery = new Prepared<{ id: string; displayName: string | null; now: number }>((db) =>
  db.insertInto('people').values({
    id: arg('id'),
    display_name: arg('displayName'),
    language: null,
    created_at: arg('now'),
    updated_at: arg('now'),
  }),
);

const insertContactQuery = new Prepared<Record<keyof ContactsTable, unknown>>((db) =>
  db.insertInto('contacts').values({
    id: arg('id'),
    person_id: arg('person_id'),
    channel: arg('channel'),
    address: arg('address'),
    wa_id: arg('wa_id'),
    user_id: arg('user_id'),
    username: arg('username'),
    country_code: arg('country_code'),
    display_name: arg('display_name'),
    created_at: arg('created_at'),
    last_seen_at: arg('last_seen_at'),
  }),
);

/**
 * Finds the contact behind a channel address, creating it and its person on first contact. A contact
 * is matched by any identifier it is known by (address, phone `wa_id`, business-scoped `user_id`), so a
 * user who later shows a BSUID, or only a BSUID, stays the same contact (spec §1.7).
 */
export async function resolveContact(
  db: Db,
  addr: ContactAddress,
  now = Date.now(),
): Promise<ResolvedContact> {
  const existing = await findContactQuery.first(db, {
    channel: addr.channel,
    address: addr.address,
    waId: addr.waId ?? null,
    userId: addr.userId ?? null,
  });

  if (existing) {
    const patch: Partial<ContactsTable> = { last_seen_at: now };
    if (addr.displayName && addr.displayName !== existing.display_name) patch.display_name = addr.displayName;
    if (addr.username && addr.username !== existing.username) patch.username = addr.username;
    if (addr.countryCode && addr.countryCode !== existing.country_code) patch.country_code = addr.countryCode;
    if (addr.waId && addr.waId !== existing.wa_id) patch.wa_id = addr.waId;
    if (addr.userId && addr.userId !== existing.user_id) patch.user_id = addr.userId;
    if (Object.keys(patch).length === 1) await seenQuery.run(db, { id: existing.id, now });
    else await db.updateTable('contacts').set(patch).where('id', '=', existing.id).execute();
    const contact = { ...existing, ...patch };
    return {
      personId: contact.person_id as PersonId,
      contactId: contact.id as ContactId,
      created: false,
      contact,
    };
  }

  const personId = newId<PersonId>();
  const contactId = newId<ContactId>();
  await insertPersonQuery.run(db, { id: personId, displayName: addr.displayName ?? null, now });
  const contact: ContactsTable = {
    id: contactId,
    person_id: personId,
    channel: addr.channel,
    address: addr.address,
    wa_id: addr.waId ?? null,
    user_id: addr.userId ?? null,
    username: addr.username ?? null,
    country_code: addr.countryCode ?? null,
    display_name: addr.displayName ?? null,
    created_at: now,
    last_seen_at: now,
  };
  await insertContactQuery.run(db, contact);
  return { personId, contactId, created: true, contact };
}

const findConversationQuery = new Prepared<{ contactId: string; account: string }, ConversationsTable>((db) =>
  db
    .selectFrom('conversations')
    .selectAll()
    .where('contact_id', '=', arg('contactId'))
    .where('account', '=', arg('account')),
);

const insertConversationQuery = new Prepared<Record<keyof ConversationsTable, unknown>>((db) =>
  db.insertInto('conversations').values({
    id: arg('id'),
    person_id: arg('person_id'),
    contact_id: arg('contact_id'),
    channel: arg('channel'),
    account: arg('account'),
    last_inbound_at: arg('last_inbound_at'),
    last_outbound_at: arg('last_outbound_at'),
    created_at: arg('created_at'),
    updated_at: arg('updated_at'),
  }),
);

/**
 * The conversation between one contact and one business account, created on first use. A contact
 * created in this transaction (`isNewContact`) cannot have one yet: it is created without looking.
 * `lastInboundAt` starts the window clock of a conversation created here (see `touchInbound`).
 */
export async function conversationFor(
  db: Db,
  c: {
    personId: PersonId;
    contactId: ContactId;
    channel: string;
    account: string;
    isNewContact?: boolean;
    lastInboundAt?: number;
  },
  now = Date.now(),
): Promise<ConversationsTable & { created: boolean }> {
  if (!c.isNewContact) {
    const found = await findConversationQuery.first(db, { contactId: c.contactId, account: c.account });
    if (found) return { ...found, created: false };
  }
  const row: ConversationsTable = {
    id: newId<ConversationId>(),
    person_id: c.personId,
    contact_id: c.contactId,
    channel: c.channel,
    account: c.account,
    last_inbound_at: c.lastInboundAt ?? null,
    last_outbound_at: null,
    created_at: now,
    updated_at: now,
  };
  await insertConversationQuery.run(db, row);
  return { ...row, created: true };
}

const touchQuery = new Prepared<{ id: string; at: number; now: number }>((db) =>
  db
    .updateTable('conversations')
    .set({
      // Never back: events may be processed out of provider-timestamp order.
      last_inbound_at: sql<number>`case when last_inbound_at is null or last_inbound_at < ${arg<number>('at')} then ${arg<number>('at')} else last_inbound_at end`,
      updated_at: arg('now'),
    })
    .where('id', '=', arg('id')),
);

/**
 * Moves the customer-service window clock forward (spec §3: each user message resets the 24 h timer).
 * Never moves it back: events may be processed out of provider-timestamp order.
 */
export async function touchInbound(db: Db, conversationId: string, at: number): Promise<void> {
  await touchQuery.run(db, { id: conversationId, at, now: Date.now() });
}

/** What the outbound policy needs about a conversation: the window clock and the person's language. */
export async function replyContext(
  db: Db,
  conversationId: string,
): Promise<{ lastInboundAt: number | null; personId: string; language: string | null } | undefined> {
  const r = await replyContextQuery.first(db, { id: conversationId });
  return r && { lastInboundAt: r.last_inbound_at, personId: r.person_id, language: r.language };
}

const replyContextQuery = new Prepared<
  { id: string },
  { last_inbound_at: number | null; person_id: string; language: string | null }
>((db) =>
  db
    .selectFrom('conversations')
    .innerJoin('people', 'people.id', 'conversations.person_id')
    .select(['conversations.last_inbound_at', 'conversations.person_id', 'people.language'])
    .where('conversations.id', '=', arg('id')),
);

/** Remembers the language a person was last answered in (the window template and handoff notes use it). */
export async function setPersonLanguage(
  db: Db,
  personId: string,
  language: string,
  now = Date.now(),
): Promise<void> {
  await setLanguageQuery.run(db, { id: personId, language, now });
}

const setLanguageQuery = new Prepared<{ id: string; language: string; now: number }>((db) =>
  db
    .updateTable('people')
    .set({ language: arg('language'), updated_at: arg('now') })
    .where('id', '=', arg('id')),
);
