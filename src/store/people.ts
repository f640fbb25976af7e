import type { ContactAddress } from '../core/channel.ts';
import { newId, type ContactId, type ConversationId, type PersonId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { ContactsTable, ConversationsTable } from './schema.ts';

export interface ResolvedContact {
  personId: PersonId;
  contactId: ContactId;
  created: boolean;
  contact: ContactsTable;
}

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
  const existing = await db
    .selectFrom('contacts')
    .selectAll()
    .where('channel', '=', addr.channel)
    .where((eb) => {
      const ors = [eb('address', '=', addr.address)];
      if (addr.waId) ors.push(eb('wa_id', '=', addr.waId));
      if (addr.userId) ors.push(eb('user_id', '=', addr.userId));
      return eb.or(ors);
    })
    .orderBy('created_at')
    .executeTakeFirst();

  if (existing) {
    const patch: Partial<ContactsTable> = { last_seen_at: now };
    if (addr.displayName && addr.displayName !== existing.display_name) patch.display_name = addr.displayName;
    if (addr.username && addr.username !== existing.username) patch.username = addr.username;
    if (addr.countryCode && addr.countryCode !== existing.country_code) patch.country_code = addr.countryCode;
    if (addr.waId && addr.waId !== existing.wa_id) patch.wa_id = addr.waId;
    if (addr.userId && addr.userId !== existing.user_id) patch.user_id = addr.userId;
    await db.updateTable('contacts').set(patch).where('id', '=', existing.id).execute();
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
  await db
    .insertInto('people')
    .values({
      id: personId,
      display_name: addr.displayName ?? null,
      language: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
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
  await db.insertInto('contacts').values(contact).execute();
  return { personId, contactId, created: true, contact };
}

/** The conversation between one contact and one business account, created on first use. */
export async function conversationFor(
  db: Db,
  c: { personId: PersonId; contactId: ContactId; channel: string; account: string },
  now = Date.now(),
): Promise<ConversationsTable> {
  const found = await db
    .selectFrom('conversations')
    .selectAll()
    .where('contact_id', '=', c.contactId)
    .where('account', '=', c.account)
    .executeTakeFirst();
  if (found) return found;
  const row: ConversationsTable = {
    id: newId<ConversationId>(),
    person_id: c.personId,
    contact_id: c.contactId,
    channel: c.channel,
    account: c.account,
    last_inbound_at: null,
    last_outbound_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('conversations').values(row).execute();
  return row;
}

/**
 * Moves the customer-service window clock forward (spec §3: each user message resets the 24 h timer).
 * Never moves it back: events may be processed out of provider-timestamp order.
 */
export async function touchInbound(db: Db, conversationId: string, at: number): Promise<void> {
  await db
    .updateTable('conversations')
    .set((eb) => ({
      last_inbound_at: eb.fn.coalesce(
        eb.case().when('last_inbound_at', '>', at).then(eb.ref('last_inbound_at')).else(at).end(),
        eb.val(at),
      ),
      updated_at: Date.now(),
    }))
    .where('id', '=', conversationId)
    .execute();
}
