import type { Db } from '../store/db.ts';
import type { AuditLogTable, ContactsTable, MessageStatusesTable, PeopleTable } from '../store/schema.ts';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportContact,
  type ExportContent,
  type ExportDecision,
  type ExportMessage,
  type ExportPerson,
  type ExportStatus,
  type PersonExport,
} from './export-format.ts';
import { PersonRefError } from './lookup.ts';

/** Ids per `in (…)` list: well under SQLite's and Postgres's parameter limits, and a small plan. */
export const EXPORT_BATCH = 500;

export interface CollectExportOptions {
  /** The exporting gateway's public URL or name, recorded as `source.instance`. */
  instance?: string;
}

/**
 * Everything kept about one person, as a version-1 export (`export-format.ts`). Read without a
 * transaction (a long read must not hold SQLite's only connection against the gateway's writes): a
 * message arriving meanwhile may or may not be in it. A person with N messages costs a fixed handful of
 * queries plus two per 500 messages: status histories and decisions are read in batches, never one
 * query per message. Throws `PersonRefError('not_found')` for an unknown person id.
 */
export async function collectExport(
  db: Db,
  personId: string,
  now: number = Date.now(),
  opts: CollectExportOptions = {},
): Promise<PersonExport> {
  const person = await db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
  if (!person) throw new PersonRefError(`no person ${personId}`, 'not_found');

  const [contacts, conversations, messages, consents, llmUsage] = await Promise.all([
    db
      .selectFrom('contacts')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('conversations')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('messages')
      .selectAll()
      .where('person_id', '=', personId)
      // One history across channels, in time order; the id settles ties the same way on both dialects.
      .orderBy('sent_at')
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('consents')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('llm_usage')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);

  const histories = await statusHistories(db, messages);
  const decisions = await decisionsAbout(
    db,
    personId,
    messages.map((m) => m.id),
  );

  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date(now).toISOString(),
    source: opts.instance ? { instance: opts.instance } : {},
    person: exportedPerson(person),
    contacts: contacts.map(exportedContact),
    conversations: conversations.map((c) => ({
      id: c.id,
      contactId: c.contact_id,
      channel: c.channel,
      account: c.account,
      lastInboundAt: nullableNumber(c.last_inbound_at),
      lastOutboundAt: nullableNumber(c.last_outbound_at),
      createdAt: Number(c.created_at),
      updatedAt: Number(c.updated_at),
    })),
    messages: messages.map((m): ExportMessage => ({
      id: m.id,
      conversationId: m.conversation_id,
      contactId: m.contact_id,
      channel: m.channel,
      direction: m.direction,
      providerMessageId: m.provider_message_id,
      content: contentOf(m.content, m.content_type),
      replyTo: m.reply_to,
      status: m.status,
      statusAt: Number(m.status_at),
      errorCode: m.error_code,
      errorDetails: m.error_details,
      sentAt: Number(m.sent_at),
      createdAt: Number(m.created_at),
      meta: jsonObject(m.meta),
      statusHistory:
        m.direction === 'out' && m.provider_message_id
          ? (histories.get(statusKey(m.channel, m.provider_message_id)) ?? [])
          : [],
    })),
    consents: consents.map((c) => ({
      id: c.id,
      channel: c.channel,
      kind: c.kind,
      source: c.source,
      createdAt: Number(c.created_at),
    })),
    decisions,
    llmUsage: llmUsage.map((u) => ({
      id: u.id,
      conversationId: u.conversation_id,
      provider: u.provider,
      model: u.model,
      inputTokens: nullableNumber(u.input_tokens),
      outputTokens: nullableNumber(u.output_tokens),
      latencyMs: Number(u.latency_ms),
      outcome: u.outcome,
      createdAt: Number(u.created_at),
    })),
  };
}

function statusKey(channel: string, providerMessageId: string): string {
  return `${channel}\u0000${providerMessageId}`;
}

/**
 * The status events of the person's outbound messages, by (channel, provider message id): one query
 * per channel and batch of 500 ids, answered by the `(channel, provider_message_id, …)` unique index.
 */
async function statusHistories(
  db: Db,
  messages: { channel: string; direction: string; provider_message_id: string | null }[],
): Promise<Map<string, ExportStatus[]>> {
  const byChannel = new Map<string, string[]>();
  for (const m of messages) {
    if (m.direction !== 'out' || !m.provider_message_id) continue;
    const ids = byChannel.get(m.channel) ?? [];
    ids.push(m.provider_message_id);
    byChannel.set(m.channel, ids);
  }
  const rows: MessageStatusesTable[] = [];
  for (const [channel, ids] of byChannel) {
    for (const batch of batches(ids)) {
      rows.push(
        ...(await db
          .selectFrom('message_statuses')
          .selectAll()
          .where('channel', '=', channel)
          .where('provider_message_id', 'in', batch)
          .execute()),
      );
    }
  }
  // Sorted here rather than per query: one order for the whole history, whatever the batching.
  rows.sort(
    (a, b) =>
      Number(a.timestamp) - Number(b.timestamp) ||
      Number(a.received_at) - Number(b.received_at) ||
      compare(a.id, b.id),
  );
  const out = new Map<string, ExportStatus[]>();
  for (const r of rows) {
    const key = statusKey(r.channel, r.provider_message_id);
    const list = out.get(key) ?? [];
    list.push({
      status: r.status,
      participant: r.participant,
      timestamp: Number(r.timestamp),
      detail: jsonObject(r.detail),
      receivedAt: Number(r.received_at),
    });
    out.set(key, list);
  }
  return out;
}

/**
 * Audit entries naming the person, or one of their messages (some entries name only the message):
 * by the `audit_person` and `audit_message` indexes, without duplicates, in time order.
 */
async function decisionsAbout(db: Db, personId: string, messageIds: string[]): Promise<ExportDecision[]> {
  const byId = new Map<string, AuditLogTable>();
  for (const r of await db.selectFrom('audit_log').selectAll().where('person_id', '=', personId).execute())
    byId.set(r.id, r);
  for (const batch of batches(messageIds)) {
    const rows = await db.selectFrom('audit_log').selectAll().where('message_id', 'in', batch).execute();
    for (const r of rows) byId.set(r.id, r);
  }
  return [...byId.values()]
    .sort((a, b) => Number(a.at) - Number(b.at) || compare(a.id, b.id))
    .map((r) => ({
      id: r.id,
      at: Number(r.at),
      actor: r.actor,
      action: r.action,
      messageId: r.message_id,
      outboxId: r.outbox_id,
      reasonCode: r.reason_code,
      detail: jsonObject(r.detail),
    }));
}

function* batches<T>(items: readonly T[], size = EXPORT_BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Code-unit order, as `order by id` gives on SQLite and on Postgres with the C collation. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nullableNumber(v: number | null): number | null {
  return v === null ? null : Number(v);
}

/**
 * A JSON column as an object. Columns written by the gateway always hold objects; anything else
 * (a scalar, an array, text that is not JSON) is kept under `value` rather than lost.
 */
function jsonObject(text: string | null): Record<string, unknown> | null {
  if (text === null || text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    return { value: v };
  } catch {
    return { value: text };
  }
}

/** Stored content; a row that is not valid JSON (never written by the gateway) becomes `unknown`. */
function contentOf(text: string, contentType: string): ExportContent {
  const v = jsonObject(text);
  if (v && typeof v.type === 'string' && v.type) return v as ExportContent;
  return { type: 'unknown', providerType: contentType, raw: v?.value ?? v };
}

/** A person row as the export writes it (also the admin API's view of a person). */
export function exportedPerson(p: PeopleTable): ExportPerson {
  return {
    id: p.id,
    displayName: p.display_name,
    language: p.language,
    createdAt: Number(p.created_at),
    updatedAt: Number(p.updated_at),
  };
}

/** A contact row as the export writes it. */
export function exportedContact(c: ContactsTable): ExportContact {
  return {
    id: c.id,
    channel: c.channel,
    address: c.address,
    waId: c.wa_id,
    userId: c.user_id,
    username: c.username,
    countryCode: c.country_code,
    displayName: c.display_name,
    createdAt: Number(c.created_at),
    lastSeenAt: Number(c.last_seen_at),
  };
}
