import type { OnConflictBuilder } from 'kysely';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type {
  AuditLogTable,
  ConsentsTable,
  Database,
  ContactsTable,
  LlmUsageTable,
  MessagesTable,
  MessageStatusesTable,
} from '../store/schema.ts';
import { newId } from '../core/ids.ts';
import { EXPORT_VERSION, parsePersonExport, type PersonExport } from './export-format.ts';

/**
 * Import of a person export (`export-format.ts`) made by this or another Passerelle: the person's
 * history comes back with its ids and times as they were, so an export, an erasure and an import give
 * back the same history, and importing a file twice changes nothing the second time.
 */

/** A file that cannot be imported: `problems` name each one with its JSON path. */
export class ImportError extends Error {
  /** The message without the problems. */
  readonly headline: string;

  constructor(
    message: string,
    /**
     * `format`: not a file of this kind; `version`: made by a newer Passerelle; `invalid`: damaged or
     * inconsistent; `conflict`: its contacts belong to other people here.
     */
    readonly reason: 'format' | 'version' | 'invalid' | 'conflict',
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n  ${problems.join('\n  ')}` : message);
    this.headline = message;
    this.name = 'ImportError';
  }
}

/** Rows written per kind. */
export interface ImportCounts {
  contacts: number;
  conversations: number;
  messages: number;
  statuses: number;
  consents: number;
  decisions: number;
  llmUsage: number;
}

export interface ImportResult {
  personId: string;
  /** The person did not exist here before: created with the export's id. */
  createdPerson: boolean;
  inserted: ImportCounts;
  /** Rows already here (same id, or the same contact, conversation or provider message): left as they are. */
  skipped: number;
}

/**
 * Reads a parsed JSON document as a person export, or throws an `ImportError` saying what is wrong:
 * not an export, a newer version, or each problem with its path.
 */
export function readPersonExport(data: unknown): PersonExport {
  const r = parsePersonExport(data);
  if (r.ok) {
    const problems = danglingReferences(r.value);
    if (problems.length) throw new ImportError('the export is inconsistent', 'invalid', problems);
    return r.value;
  }
  if (r.reason === 'version') {
    const v = (data as { version?: unknown }).version;
    if (typeof v === 'number' && v > EXPORT_VERSION)
      throw new ImportError(
        `export version ${v} is newer than this Passerelle understands (${EXPORT_VERSION})`,
        'version',
      );
    throw new ImportError('unsupported export version', 'version', r.problems);
  }
  if (r.reason === 'format')
    throw new ImportError('not a Passerelle person export', 'format', [
      ...r.problems,
      ...(data !== null && typeof data === 'object' ? [] : ['(document): expected a JSON object']),
    ]);
  throw new ImportError('invalid person export', 'invalid', r.problems);
}

/** References inside the document that point at nothing in it (rows would be orphans). */
function danglingReferences(x: PersonExport): string[] {
  const contacts = new Set(x.contacts.map((c) => c.id));
  const conversations = new Set(x.conversations.map((c) => c.id));
  const out: string[] = [];
  const seen = new Map<string, number>();
  x.contacts.forEach((c, i) => {
    for (const key of [`id ${c.id}`, `address ${c.channel}:${c.address}`]) {
      const first = seen.get(key);
      if (first !== undefined) out.push(`contacts.${i}: same ${key.split(' ')[0]} as contacts.${first}`);
      else seen.set(key, i);
    }
  });
  x.conversations.forEach((c, i) => {
    if (!contacts.has(c.contactId)) out.push(`conversations.${i}.contactId: no contact "${c.contactId}"`);
  });
  x.messages.forEach((m, i) => {
    if (!conversations.has(m.conversationId))
      out.push(`messages.${i}.conversationId: no conversation "${m.conversationId}"`);
    if (!contacts.has(m.contactId)) out.push(`messages.${i}.contactId: no contact "${m.contactId}"`);
  });
  x.llmUsage.forEach((u, i) => {
    if (!conversations.has(u.conversationId))
      out.push(`llmUsage.${i}.conversationId: no conversation "${u.conversationId}"`);
  });
  return out;
}

/**
 * Imports a person export into this store, in one transaction. The rows go to:
 * - the export's person, if that id is known here;
 * - else the person who owns one of its contacts (same channel and address), the export's contact ids
 *   then standing for the contacts found here;
 * - else a new person with the export's id.
 *
 * Every row keeps its id; a row already here (same id, or the same contact, conversation or provider
 * message id) is skipped and counted. A contact that belongs to somebody else here is a conflict: the
 * two people must be merged first, or one erased.
 */
export async function importPersonExport(
  db: Db,
  data: unknown,
  opts: { now?: number; actor?: string } = {},
): Promise<ImportResult> {
  const x = readPersonExport(data);
  const work = (trx: Db) => importIn(trx, x, opts);
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

async function importIn(
  db: Db,
  x: PersonExport,
  opts: { now?: number; actor?: string },
): Promise<ImportResult> {
  const { personId, createdPerson, found } = await ownerOf(db, x);
  const contacts = await placeContacts(db, x, personId, found);
  const conversations = await placeConversations(db, x, personId, contacts.ids);
  const rows = historyRows(x, personId, contacts.ids, conversations.ids);

  const inserted: ImportCounts = {
    contacts: contacts.inserted,
    conversations: conversations.inserted,
    // `on conflict do nothing`: a row already here (its id, or its provider id) is left as it is.
    messages: await insertNew(rows.messages, (b) =>
      db.insertInto('messages').values(b).onConflict(doNothing).returning('id').execute(),
    ),
    statuses: await insertNew(rows.statuses, (b) =>
      db.insertInto('message_statuses').values(b).onConflict(doNothing).returning('id').execute(),
    ),
    consents: await insertNew(rows.consents, (b) =>
      db.insertInto('consents').values(b).onConflict(doNothing).returning('id').execute(),
    ),
    decisions: await insertNew(rows.decisions, (b) =>
      db.insertInto('audit_log').values(b).onConflict(doNothing).returning('id').execute(),
    ),
    llmUsage: await insertNew(rows.llmUsage, (b) =>
      db.insertInto('llm_usage').values(b).onConflict(doNothing).returning('id').execute(),
    ),
  };
  const offered =
    x.contacts.length +
    x.conversations.length +
    Object.values(rows).reduce((n, list: unknown[]) => n + list.length, 0);
  const written = Object.values(inserted).reduce((a, b) => a + b, 0);
  const skipped = offered - written;

  // Not tied to the person (`person_id` null): it is not one of their decisions, and is not exported.
  if (written > 0 || createdPerson)
    await audit(
      db,
      {
        actor: opts.actor ?? 'import',
        action: 'person.imported',
        detail: { person: personId, format: 'passerelle', inserted: { ...inserted }, skipped },
      },
      opts.now ?? Date.now(),
    );
  return { personId, createdPerson, inserted, skipped };
}

/** `on conflict do nothing`, whichever unique key the row meets. */
const doNothing = (oc: OnConflictBuilder<Database, never>) => oc.doNothing();

const conflictLine = (c: PersonExport['contacts'][number], i: number, owner: string): string =>
  `contacts.${i}: ${c.channel}:${c.address} belongs to person ${owner}`;

/**
 * Whose rows these become: the export's person if known here, else the one person owning its known
 * contacts, else a new person (created here, with the export's id). `found`: the export's contacts
 * already here (by id, or by channel and address), by export contact id.
 */
async function ownerOf(
  db: Db,
  x: PersonExport,
): Promise<{ personId: string; createdPerson: boolean; found: Map<string, ContactsTable> }> {
  const found = new Map<string, ContactsTable>();
  for (const c of x.contacts) {
    const here =
      (await db.selectFrom('contacts').selectAll().where('id', '=', c.id).executeTakeFirst()) ??
      (await db
        .selectFrom('contacts')
        .selectAll()
        .where('channel', '=', c.channel)
        .where('address', '=', c.address)
        .executeTakeFirst());
    if (here) found.set(c.id, here);
  }
  const known = await db.selectFrom('people').select('id').where('id', '=', x.person.id).executeTakeFirst();
  const owners = [...new Set([...found.values()].map((c) => c.person_id))];
  const personId = known?.id ?? owners[0] ?? x.person.id;
  const conflicts = x.contacts.flatMap((c, i) => {
    const owner = found.get(c.id)?.person_id;
    return owner !== undefined && owner !== personId ? [conflictLine(c, i, owner)] : [];
  });
  if (conflicts.length)
    throw new ImportError(
      known
        ? 'some contacts belong to another person here: merge or erase first'
        : 'the export’s contacts belong to several people here: merge them first',
      'conflict',
      x.contacts.flatMap((c, i) => {
        const owner = found.get(c.id)?.person_id;
        return owner === undefined ? [] : [conflictLine(c, i, owner)];
      }),
    );
  const createdPerson = !known && found.size === 0;
  if (createdPerson)
    await db
      .insertInto('people')
      .values({
        id: x.person.id,
        display_name: x.person.displayName,
        language: x.person.language,
        created_at: x.person.createdAt,
        updated_at: x.person.updatedAt,
      })
      .execute();
  return { personId, createdPerson, found };
}

/** Inserts the export's new contacts; returns export contact id → contact id here. */
async function placeContacts(
  db: Db,
  x: PersonExport,
  personId: string,
  found: Map<string, ContactsTable>,
): Promise<{ ids: Map<string, string>; inserted: number }> {
  const ids = new Map<string, string>();
  let inserted = 0;
  for (const c of x.contacts) {
    const here = found.get(c.id);
    ids.set(c.id, here?.id ?? c.id);
    if (here) continue;
    await db
      .insertInto('contacts')
      .values({
        id: c.id,
        person_id: personId,
        channel: c.channel,
        address: c.address,
        wa_id: c.waId,
        user_id: c.userId,
        username: c.username,
        country_code: c.countryCode,
        display_name: c.displayName,
        created_at: c.createdAt,
        last_seen_at: c.lastSeenAt,
      })
      .execute();
    inserted++;
  }
  return { ids, inserted };
}

/**
 * Inserts the export's new conversations (one per contact and account: an existing one with the
 * same contact and account stands for the export's); returns export conversation id → id here.
 */
async function placeConversations(
  db: Db,
  x: PersonExport,
  personId: string,
  contactIds: Map<string, string>,
): Promise<{ ids: Map<string, string>; inserted: number }> {
  const ids = new Map<string, string>();
  let inserted = 0;
  for (const v of x.conversations) {
    const contact = contactIds.get(v.contactId)!;
    const here =
      (await db.selectFrom('conversations').select('id').where('id', '=', v.id).executeTakeFirst()) ??
      (await db
        .selectFrom('conversations')
        .select('id')
        .where('contact_id', '=', contact)
        .where('account', '=', v.account)
        .executeTakeFirst());
    ids.set(v.id, here?.id ?? v.id);
    if (here) continue;
    await db
      .insertInto('conversations')
      .values({
        id: v.id,
        person_id: personId,
        contact_id: contact,
        channel: v.channel,
        account: v.account,
        last_inbound_at: v.lastInboundAt,
        last_outbound_at: v.lastOutboundAt,
        created_at: v.createdAt,
        updated_at: v.updatedAt,
      })
      .execute();
    inserted++;
  }
  return { ids, inserted };
}

const json = (v: Record<string, unknown> | null): string | null => (v === null ? null : JSON.stringify(v));

/** The export's history as table rows of `personId`, with contact and conversation ids mapped. Pure. */
function historyRows(
  x: PersonExport,
  personId: string,
  contactIds: Map<string, string>,
  conversationIds: Map<string, string>,
): {
  messages: MessagesTable[];
  statuses: MessageStatusesTable[];
  consents: ConsentsTable[];
  decisions: AuditLogTable[];
  llmUsage: LlmUsageTable[];
} {
  return {
    messages: x.messages.map((m) => ({
      id: m.id,
      conversation_id: conversationIds.get(m.conversationId)!,
      person_id: personId,
      contact_id: contactIds.get(m.contactId)!,
      channel: m.channel,
      direction: m.direction,
      provider_message_id: m.providerMessageId,
      content_type: m.content.type,
      content: JSON.stringify(m.content),
      reply_to: m.replyTo,
      status: m.status,
      status_at: m.statusAt,
      error_code: m.errorCode,
      error_details: m.errorDetails,
      sent_at: m.sentAt,
      created_at: m.createdAt,
      meta: json(m.meta),
    })),
    // Status events have no id in the export: they are known by (channel, provider id, status,
    // participant), the table's unique key.
    statuses: x.messages.flatMap((m) =>
      m.providerMessageId === null
        ? []
        : m.statusHistory.map((s) => ({
            id: newId(),
            channel: m.channel,
            provider_message_id: m.providerMessageId!,
            status: s.status,
            participant: s.participant,
            timestamp: s.timestamp,
            detail: json(s.detail),
            received_at: s.receivedAt,
          })),
    ),
    consents: x.consents.map((c) => ({
      id: c.id,
      person_id: personId,
      channel: c.channel,
      kind: c.kind,
      source: c.source,
      created_at: c.createdAt,
    })),
    // Every decision is tied to the person: its message or outbox item may not come back with it.
    decisions: x.decisions.map((d) => ({
      id: d.id,
      at: d.at,
      actor: d.actor,
      action: d.action,
      person_id: personId,
      message_id: d.messageId,
      outbox_id: d.outboxId,
      reason_code: d.reasonCode,
      detail: json(d.detail),
    })),
    llmUsage: x.llmUsage.map((u) => ({
      id: u.id,
      conversation_id: conversationIds.get(u.conversationId)!,
      person_id: personId,
      provider: u.provider,
      model: u.model,
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      latency_ms: u.latencyMs,
      outcome: u.outcome,
      created_at: u.createdAt,
    })),
  };
}

/**
 * Inserts rows in batches (`on conflict do nothing`); returns how many were new. Batches keep the
 * number of bound parameters under both dialects' limits.
 */
export async function insertNew<R>(rows: R[], insert: (batch: R[]) => Promise<unknown[]>): Promise<number> {
  let n = 0;
  for (let i = 0; i < rows.length; i += 200) n += (await insert(rows.slice(i, i + 200))).length;
  return n;
}
