import { newId } from '../core/ids.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { endLiveCodes } from './codes.ts';

/**
 * Joining and separating people. A person owns their contacts (one per channel address), their
 * conversations and messages, consents, the assistant's usage records and memory (read from the
 * messages), link codes, export links and sunset-campaign memberships. Both operations run in the
 * caller's transaction and write an audit entry.
 */

/** Tables whose rows belong to a person by `person_id` and simply follow a merge. */
const OWNED = [
  'contacts',
  'conversations',
  'messages',
  'consents',
  'llm_usage',
  'audit_log',
  'link_codes',
  'export_links',
] as const;

/**
 * Joins person `from` into person `into`: every row of `from` now belongs to `into`, so one history
 * (in time order, whatever the channel), one memory, one set of consents per channel. `into` keeps its
 * name and language unless it has none. `from` is deleted.
 */
export async function mergePeople(
  db: Db,
  m: { into: string; from: string; actor?: string; reason?: string; detail?: Record<string, unknown> },
  now = Date.now(),
): Promise<{ moved: Record<string, number> }> {
  if (m.into === m.from) return { moved: {} };
  const [into, from] = await Promise.all([
    db.selectFrom('people').selectAll().where('id', '=', m.into).executeTakeFirst(),
    db.selectFrom('people').selectAll().where('id', '=', m.from).executeTakeFirst(),
  ]);
  if (!into || !from) throw new Error(`cannot merge: no person ${!into ? m.into : m.from}`);
  const moved: Record<string, number> = {};
  for (const table of OWNED) {
    const r = await db
      .updateTable(table)
      .set({ person_id: m.into })
      .where('person_id', '=', m.from)
      .executeTakeFirst();
    moved[table] = Number(r.numUpdatedRows);
  }
  // Campaign memberships: one per person and campaign. Where both were members, `into` stays.
  const both = await db
    .selectFrom('campaign_members')
    .select('campaign_id')
    .where('person_id', '=', m.into)
    .execute();
  if (both.length > 0)
    await db
      .deleteFrom('campaign_members')
      .where('person_id', '=', m.from)
      .where(
        'campaign_id',
        'in',
        both.map((b) => b.campaign_id),
      )
      .execute();
  // One handoff and one read marker per person: `into`'s win where both have one.
  for (const table of ['handoffs', 'console_reads'] as const) {
    const mine = await db
      .selectFrom(table)
      .select('person_id')
      .where('person_id', '=', m.into)
      .executeTakeFirst();
    if (mine) await db.deleteFrom(table).where('person_id', '=', m.from).execute();
    else await db.updateTable(table).set({ person_id: m.into }).where('person_id', '=', m.from).execute();
  }
  const cm = await db
    .updateTable('campaign_members')
    .set({ person_id: m.into, updated_at: now })
    .where('person_id', '=', m.from)
    .executeTakeFirst();
  moved.campaign_members = Number(cm.numUpdatedRows);
  await db
    .updateTable('people')
    .set({
      display_name: into.display_name ?? from.display_name,
      language: into.language ?? from.language,
      created_at: Math.min(Number(into.created_at), Number(from.created_at)),
      updated_at: now,
    })
    .where('id', '=', m.into)
    .execute();
  await db.deleteFrom('people').where('id', '=', m.from).execute();
  await audit(
    db,
    {
      actor: m.actor ?? 'system',
      action: 'identity.merged',
      personId: m.into,
      reasonCode: m.reason ?? 'link_code',
      detail: { absorbed: m.from, moved, ...m.detail },
    },
    now,
  );
  return { moved };
}

export type Unlinked =
  | { ok: true; personId: string; movedMessages: number }
  | { ok: false; reason: 'unknown_contact' | 'only_contact' };

/**
 * Separates one contact from its person: it becomes a person of its own, taking what was written
 * through it (its conversations, their messages and usage records); everything else stays where it
 * is. The new person starts with a copy of the consents on the contact's channel and the same name
 * and language.
 */
export async function unlinkContact(
  db: Db,
  u: { contactId: string; actor?: string },
  now = Date.now(),
): Promise<Unlinked> {
  const contact = await db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', u.contactId)
    .executeTakeFirst();
  if (!contact) return { ok: false, reason: 'unknown_contact' };
  const others = await db
    .selectFrom('contacts')
    .select('id')
    .where('person_id', '=', contact.person_id)
    .where('id', '!=', contact.id)
    .execute();
  if (others.length === 0) return { ok: false, reason: 'only_contact' };
  const person = await db
    .selectFrom('people')
    .selectAll()
    .where('id', '=', contact.person_id)
    .executeTakeFirstOrThrow();
  const personId = newId();
  await db
    .insertInto('people')
    .values({
      id: personId,
      display_name: contact.display_name ?? person.display_name,
      language: person.language,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await db.updateTable('contacts').set({ person_id: personId }).where('id', '=', contact.id).execute();
  // Codes this contact asked for would join someone to the person it is leaving, and export links
  // give what was one person's history: both end here.
  await endLiveCodes(db, contact.id, now);
  await db
    .updateTable('export_links')
    .set({ expires_at: now })
    .where('person_id', '=', contact.person_id)
    .where('expires_at', '>', now)
    .execute();
  const conversations = await db
    .selectFrom('conversations')
    .select('id')
    .where('contact_id', '=', contact.id)
    .execute();
  const convIds = conversations.map((c) => c.id);
  let movedMessages = 0;
  if (convIds.length > 0) {
    await db.updateTable('conversations').set({ person_id: personId }).where('id', 'in', convIds).execute();
    const r = await db
      .updateTable('messages')
      .set({ person_id: personId })
      .where('conversation_id', 'in', convIds)
      .executeTakeFirst();
    movedMessages = Number(r.numUpdatedRows);
    await db
      .updateTable('llm_usage')
      .set({ person_id: personId })
      .where('conversation_id', 'in', convIds)
      .execute();
  }
  const consents = await db
    .selectFrom('consents')
    .selectAll()
    .where('person_id', '=', contact.person_id)
    .where('channel', '=', contact.channel)
    .execute();
  for (const c of consents)
    await db
      .insertInto('consents')
      .values({ ...c, id: newId(), person_id: personId })
      .execute();
  await audit(
    db,
    {
      actor: u.actor ?? 'system',
      action: 'identity.unlinked',
      personId: contact.person_id,
      reasonCode: u.actor && u.actor !== 'person' ? 'operator' : 'person_asked',
      detail: { contactId: contact.id, channel: contact.channel, newPersonId: personId, movedMessages },
    },
    now,
  );
  return { ok: true, personId, movedMessages };
}
