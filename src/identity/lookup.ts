import type { Db } from '../store/db.ts';
import type { ContactsTable, PeopleTable } from '../store/schema.ts';

/** A person reference could not be understood or names nobody. */
export class PersonRefError extends Error {
  constructor(
    message: string,
    /** `invalid`: the reference is malformed; `not_found`: it names nobody here. */
    readonly reason: 'invalid' | 'not_found',
  ) {
    super(message);
    this.name = 'PersonRefError';
  }
}

const CHANNELS = new Set(['whatsapp', 'telegram', 'webchat']);

/**
 * Parses a person reference as users type it: a person id, or `<channel>:<address>` for one of their
 * contacts (`whatsapp:+33612345678`, `telegram:123456789`, `webchat:<visitor id>`). A WhatsApp number
 * given with `+`, spaces or dashes is the same number without them.
 */
export function parsePersonRef(
  ref: string,
): { kind: 'person'; id: string } | { kind: 'contact'; channel: string; address: string } {
  const s = ref.trim();
  if (!s)
    throw new PersonRefError('empty person reference: give a person id or <channel>:<address>', 'invalid');
  const colon = s.indexOf(':');
  if (colon < 0) return { kind: 'person', id: s };
  const channel = s.slice(0, colon).toLowerCase();
  let address = s.slice(colon + 1).trim();
  if (!CHANNELS.has(channel))
    throw new PersonRefError(
      `unknown channel "${channel}" in "${ref}": expected whatsapp, telegram or webchat`,
      'invalid',
    );
  if (channel === 'whatsapp' && /^[+\d][\d\s().-]*$/.test(address)) address = address.replace(/\D/g, '');
  if (!address) throw new PersonRefError(`no address after "${channel}:" in "${ref}"`, 'invalid');
  return { kind: 'contact', channel, address };
}

/** The person a reference names, with their contacts. Throws `PersonRefError` when there is none. */
export async function findPerson(
  db: Db,
  ref: string,
): Promise<{ person: PeopleTable; contacts: ContactsTable[] }> {
  const r = parsePersonRef(ref);
  let personId: string;
  if (r.kind === 'person') personId = r.id;
  else {
    // Matched on any identifier of the channel: if two people match (one's address is another's
    // id), the reference is ambiguous, and erasing or exporting the first would be a guess.
    const found = await db
      .selectFrom('contacts')
      .select('person_id')
      .distinct()
      .where('channel', '=', r.channel)
      .where((eb) =>
        eb.or([eb('address', '=', r.address), eb('wa_id', '=', r.address), eb('user_id', '=', r.address)]),
      )
      .limit(2)
      .execute();
    if (found.length === 0) throw new PersonRefError(`no ${r.channel} contact ${r.address}`, 'not_found');
    if (found.length > 1)
      throw new PersonRefError(
        `${r.channel}:${r.address} matches several people: give a person id instead`,
        'invalid',
      );
    personId = found[0]!.person_id;
  }
  const person = await db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
  if (!person) throw new PersonRefError(`no person ${personId}`, 'not_found');
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return { person, contacts };
}
