import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type { InboundEvent } from '../core/events.ts';
import { holdIntake } from '../store/intake.ts';
import type { ContactsTable } from '../store/schema.ts';
import { PersonRefError } from './lookup.ts';

/**
 * Erasure of a person (GDPR art. 17): every row about them, in every table, in one transaction, and
 * one audit entry saying that it happened, with counts only. What is erased cannot be told from the
 * log afterwards: no name, number, address or text is written there.
 */

/** Rows removed per table. */
export interface ErasureCounts {
  people: number;
  contacts: number;
  conversations: number;
  messages: number;
  message_statuses: number;
  outbox: number;
  inbox: number;
  consents: number;
  llm_usage: number;
  audit_log: number;
  link_codes: number;
  export_links: number;
  campaign_members: number;
  link_attempts: number;
  handoffs: number;
  console_reads: number;
  /** Their events still in the intake log (a flood's webhooks not yet inbox items). */
  intake: number;
  /** Send rate counters kept for their addresses (Postgres). */
  rate_buckets: number;
}

export interface EraseOptions {
  /** Who asked (an operator, `api`, `cli`): recorded in the `person.erased` audit entry. */
  actor: string;
  now?: number;
}

/**
 * Erases a person and everything recorded about them; returns the rows removed per table. Pending
 * outbox items go too: nothing is sent to them after erasure. An unknown person (including one erased
 * already) is a `PersonRefError('not_found')`, and nothing changes.
 *
 * Limits: an event still in flight in the pipeline when this commits may create the contact again
 * (as it would for a new person); messages the person sent in WhatsApp groups are found by their
 * sender, but the group's other inbox events are kept.
 */
export async function erasePerson(db: Db, personId: string, opts: EraseOptions): Promise<ErasureCounts> {
  const work = (trx: Db) => eraseIn(trx, personId, opts);
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** Thrown inside the preview's transaction to roll it back. */
class Preview extends Error {
  constructor(readonly counts: ErasureCounts) {
    super('preview');
  }
}

/**
 * What `erasePerson` would remove, without removing anything: the same erasure, run in a transaction
 * that is rolled back, so the counts are exact. Throws `PersonRefError('not_found')` like it.
 */
export async function previewErasure(db: Db, personId: string): Promise<ErasureCounts> {
  if (db.isTransaction) throw new Error('previewErasure opens its own transaction');
  try {
    await db.transaction().execute(async (trx) => {
      throw new Preview(await eraseIn(trx, personId, { actor: 'preview' }));
    });
  } catch (err) {
    if (err instanceof Preview) return err.counts;
    throw err;
  }
  throw new Error('unreachable');
}

async function eraseIn(db: Db, personId: string, opts: EraseOptions): Promise<ErasureCounts> {
  // First, before any row lock: no process moves intake rows to the inbox until this commits.
  await holdIntake(db);
  const person = await db.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
  if (!person) throw new PersonRefError(`no person ${personId}`, 'not_found');
  const contacts = await db.selectFrom('contacts').selectAll().where('person_id', '=', personId).execute();
  const contactIds = contacts.map((c) => c.id);

  const messageIds = db.selectFrom('messages').select('id').where('person_id', '=', personId);
  const conversationIds = db.selectFrom('conversations').select('id').where('person_id', '=', personId);
  const deleted = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  const count: ErasureCounts = {
    people: 0,
    contacts: 0,
    conversations: 0,
    messages: 0,
    message_statuses: 0,
    outbox: 0,
    inbox: 0,
    consents: 0,
    llm_usage: 0,
    audit_log: 0,
    link_codes: 0,
    export_links: 0,
    campaign_members: 0,
    link_attempts: 0,
    handoffs: 0,
    console_reads: 0,
    intake: 0,
    rate_buckets: 0,
  };

  // Rows that point at messages and outbox items go before them: they are found through them.
  count.audit_log = deleted(
    await db
      .deleteFrom('audit_log')
      .where((eb) =>
        eb.or([
          eb('person_id', '=', personId),
          eb('message_id', 'in', messageIds),
          eb('outbox_id', 'in', outboxOf(db, personId, contacts)),
        ]),
      )
      .executeTakeFirstOrThrow(),
  );
  count.message_statuses = deleted(
    await db
      .deleteFrom('message_statuses')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('messages as m')
            .select('m.id')
            .where('m.person_id', '=', personId)
            .whereRef('m.channel', '=', 'message_statuses.channel')
            .whereRef('m.provider_message_id', '=', 'message_statuses.provider_message_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
  count.intake = await eraseIntake(db, personId, contacts);
  count.inbox = await eraseInbox(db, personId, contacts);
  const recipients = await db
    .selectFrom('outbox')
    .select(['channel', 'account', 'recipient'])
    .distinct()
    .where('id', 'in', outboxOf(db, personId, contacts))
    .execute();
  count.rate_buckets = recipients.length
    ? deleted(
        await db
          .deleteFrom('rate_buckets')
          .where(
            'key',
            'in',
            recipients.map((r) => `pair:${r.channel}:${r.account}:${r.recipient}`),
          )
          .executeTakeFirstOrThrow(),
      )
    : 0;
  count.outbox = deleted(
    await db
      .deleteFrom('outbox')
      .where('id', 'in', outboxOf(db, personId, contacts))
      .executeTakeFirstOrThrow(),
  );
  count.messages = deleted(
    await db.deleteFrom('messages').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.llm_usage = deleted(
    await db
      .deleteFrom('llm_usage')
      .where((eb) => eb.or([eb('person_id', '=', personId), eb('conversation_id', 'in', conversationIds)]))
      .executeTakeFirstOrThrow(),
  );
  count.campaign_members = deleted(
    await db.deleteFrom('campaign_members').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.handoffs = deleted(
    await db.deleteFrom('handoffs').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.console_reads = deleted(
    await db.deleteFrom('console_reads').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.conversations = deleted(
    await db.deleteFrom('conversations').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.consents = deleted(
    await db.deleteFrom('consents').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.link_codes = deleted(
    await db
      .deleteFrom('link_codes')
      .where((eb) =>
        eb.or([
          eb('person_id', '=', personId),
          ...(contactIds.length ? [eb('contact_id', 'in', contactIds)] : []),
        ]),
      )
      .executeTakeFirstOrThrow(),
  );
  count.export_links = deleted(
    await db.deleteFrom('export_links').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.link_attempts = contactIds.length
    ? deleted(
        await db
          .deleteFrom('link_attempts')
          .where(
            'subject',
            'in',
            contactIds.map((id) => `contact:${id}`),
          )
          .executeTakeFirstOrThrow(),
      )
    : 0;
  count.contacts = deleted(
    await db.deleteFrom('contacts').where('person_id', '=', personId).executeTakeFirstOrThrow(),
  );
  count.people = deleted(await db.deleteFrom('people').where('id', '=', personId).executeTakeFirstOrThrow());

  // Counts only: the person id is a random id that names nobody once the rows above are gone. It is
  // kept in `detail`, not `person_id`, so that restoring the person from an export (and erasing them
  // again) never takes this entry for one of theirs.
  await audit(
    db,
    {
      actor: opts.actor,
      action: 'person.erased',
      detail: { person: personId, counts: { ...count } },
    },
    opts.now ?? Date.now(),
  );
  return count;
}

/** The addresses a contact is known by: replies and mark-reads go to one of them. */
function identifiers(c: ContactsTable): string[] {
  return [...new Set([c.address, c.wa_id, c.user_id].filter((x): x is string => !!x))];
}

/**
 * Outbox items of the person: those carrying their messages, and any item (a mark-read, a template
 * sent from outside the chat) addressed to one of their contacts on its channel.
 */
function outboxOf(db: Db, personId: string, contacts: ContactsTable[]) {
  return db
    .selectFrom('outbox')
    .select('outbox.id')
    .where((eb) => {
      const terms: Expression<SqlBool>[] = [
        eb('message_id', 'in', eb.selectFrom('messages').select('id').where('person_id', '=', personId)),
      ];
      for (const c of contacts) {
        terms.push(eb.and([eb('channel', '=', c.channel), eb('recipient', 'in', identifiers(c))]));
      }
      return eb.or(terms);
    });
}

/** `LIKE` pattern text that matches `s` literally (with `escape '\'`). */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Whether a JSON value holds `needles` anywhere as a string value. */
function mentions(value: unknown, needles: Set<string>): boolean {
  if (typeof value === 'string') return needles.has(value);
  if (Array.isArray(value)) return value.some((v) => mentions(v, needles));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentions(v, needles));
  return false;
}

/**
 * The person's events still in the intake log, found by the rules used in the inbox: any event keyed
 * by their one-to-one conversation, a message from one of their identifiers (in a group too), a
 * status of a message to them, a notification naming one of them. A row keeps its other events, and goes when none is left. The drain cannot move
 * a row to the inbox meanwhile (`holdIntake`, taken at the start of the erasure).
 */
async function eraseIntake(db: Db, personId: string, contacts: ContactsTable[]): Promise<number> {
  const ids = new Map<string, Set<string>>();
  for (const c of contacts) {
    const set = ids.get(c.channel) ?? new Set<string>();
    for (const id of identifiers(c)) set.add(id);
    ids.set(c.channel, set);
  }
  const all = [...new Set([...ids.values()].flatMap((set) => [...set]))];
  if (all.length === 0) return 0;
  // Only the rows whose text holds one of their identifiers are read (a flood's log may be long);
  // each event of those is then judged exactly.
  const rows = await db
    .selectFrom('intake')
    .select(['id', 'events'])
    .where((eb) =>
      eb.or(all.map((id) => sql<SqlBool>`${eb.ref('events')} like ${`%${likeLiteral(id)}%`} escape '\\'`)),
    )
    .execute();
  if (rows.length === 0) return 0;
  const theirs = await db
    .selectFrom('messages')
    .select(['channel', 'provider_message_id'])
    .where('person_id', '=', personId)
    .where('provider_message_id', 'is not', null)
    .execute();
  const messages = new Set(theirs.map((m) => `${m.channel}\u0000${m.provider_message_id}`));
  const concerns = (e: InboundEvent): boolean => {
    const mine = ids.get(e.channel);
    const one = (...xs: (string | undefined)[]) => !!mine && xs.some((x) => x !== undefined && mine.has(x));
    // A one-to-one conversation's key, as in the inbox: `<channel>:<account>:<their identifier>`
    // (Telegram's block/unblock and other updates of their chat carry it, with numeric ids inside).
    const rest = e.orderingKey.startsWith(`${e.channel}:`) ? e.orderingKey.slice(e.channel.length + 1) : '';
    const colon = rest.indexOf(':');
    if (colon >= 0 && one(rest.slice(colon + 1))) return true;
    switch (e.kind) {
      case 'message':
        return one(e.from.address, e.from.waId, e.from.userId);
      case 'status':
        return (
          messages.has(`${e.channel}\u0000${e.providerMessageId}`) ||
          one(e.recipient.address, e.recipient.waId, e.recipient.userId)
        );
      default:
        return !!mine && mentions(e, mine);
    }
  };
  let n = 0;
  for (const r of rows) {
    const events = JSON.parse(r.events) as InboundEvent[];
    const kept = events.filter((e) => !concerns(e));
    if (kept.length === events.length) continue;
    n += events.length - kept.length;
    if (kept.length === 0) await db.deleteFrom('intake').where('id', '=', r.id).execute();
    else
      await db
        .updateTable('intake')
        .set({ events: JSON.stringify(kept) })
        .where('id', '=', r.id)
        .execute();
  }
  return n;
}

/**
 * The person's inbox events. Inbound events of a one-to-one chat are ordered by
 * `<channel>:<account>:<sender address>` (WhatsApp, Telegram, web chat parsers), so they are found by
 * that key for each identifier of each contact, whatever the business account, and confirmed by the
 * payload's sender. Status events are keyed `whatsapp:status:<wamid>`: those of their messages go.
 * Record-only notifications that name one of their identifiers (a changed number, preferences) go too.
 */
async function eraseInbox(db: Db, personId: string, contacts: ContactsTable[]): Promise<number> {
  const doomed = new Set<string>();
  for (const c of contacts) {
    const ids = new Set(identifiers(c));
    for (const id of ids) {
      const rows = await db
        .selectFrom('inbox')
        .select(['id', 'ordering_key', 'kind', 'payload'])
        .where('channel', '=', c.channel)
        .where(
          (eb) =>
            sql<SqlBool>`${eb.ref('ordering_key')} like ${`${likeLiteral(c.channel)}:%:${likeLiteral(id)}`} escape '\\'`,
        )
        .execute();
      for (const r of rows) {
        const rest = r.ordering_key.slice(c.channel.length + 1);
        const colon = rest.indexOf(':');
        if (!r.ordering_key.startsWith(`${c.channel}:`) || colon < 0 || rest.slice(colon + 1) !== id)
          continue;
        if (r.kind === 'message') {
          const from = (
            JSON.parse(r.payload) as { from?: { address?: string; waId?: string; userId?: string } }
          ).from;
          if (!from || ![from.address, from.waId, from.userId].some((a) => a !== undefined && ids.has(a)))
            continue;
        }
        doomed.add(r.id);
      }
      const notices = await db
        .selectFrom('inbox')
        .select(['id', 'payload'])
        .where('channel', '=', c.channel)
        .where('kind', 'in', ['other', 'error'])
        .where((eb) => sql<SqlBool>`${eb.ref('payload')} like ${`%"${likeLiteral(id)}"%`} escape '\\'`)
        .execute();
      for (const r of notices) if (mentions(JSON.parse(r.payload), ids)) doomed.add(r.id);
    }
  }
  // Group messages carry the group's key: found by the provider ids of the messages stored for them.
  const inbound = await db
    .selectFrom('messages')
    .select(['channel', 'provider_message_id'])
    .where('person_id', '=', personId)
    .where('direction', '=', 'in')
    .where('provider_message_id', 'is not', null)
    .execute();
  const own = new Set(inbound.map((m) => `${m.channel}\u0000${m.provider_message_id}`));
  if (own.size > 0) {
    const groupRows = await db
      .selectFrom('inbox')
      .select(['id', 'channel', 'payload'])
      .where('kind', '=', 'message')
      .where((eb) => sql<SqlBool>`${eb.ref('payload')} like ${'%"groupId"%'}`)
      .execute();
    for (const r of groupRows) {
      const p = JSON.parse(r.payload) as { providerMessageId?: string };
      if (own.has(`${r.channel}\u0000${p.providerMessageId}`)) doomed.add(r.id);
    }
  }
  let n = 0;
  const ids = [...doomed];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    n += Number(
      (await db.deleteFrom('inbox').where('id', 'in', chunk).executeTakeFirstOrThrow()).numDeletedRows,
    );
  }
  const statusKeys = db
    .selectFrom('messages')
    .select(sql<string>`'whatsapp:status:' || provider_message_id`.as('k'))
    .where('person_id', '=', personId)
    .where('channel', '=', 'whatsapp')
    .where('provider_message_id', 'is not', null);
  n += Number(
    (
      await db
        .deleteFrom('inbox')
        .where('channel', '=', 'whatsapp')
        .where('kind', '=', 'status')
        .where('ordering_key', 'in', statusKeys)
        .executeTakeFirstOrThrow()
    ).numDeletedRows,
  );
  return n;
}
