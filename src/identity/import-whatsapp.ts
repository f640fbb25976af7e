import { createHash } from 'node:crypto';
import { MEDIA_KINDS, type MediaContent, type MediaKind, type MessageContent } from '../core/content.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import type { ContactsTable, MessagesTable } from '../store/schema.ts';
import { ImportError, insertNew } from './import.ts';
import { findPerson } from './lookup.ts';
import type { ChatLine, ParsedChat } from './whatsapp-chat.ts';

/**
 * Import of a WhatsApp "Export chat" file (parsed by `whatsapp-chat.ts`) into a person's history: the
 * conversation a person had with the business on WhatsApp before Passerelle (on a phone, another tool)
 * joins the history they can export, and the assistant's memory of them.
 *
 * The chat goes into a conversation of its own, on the account `import:<counterpart>`: the live
 * conversation's 24-hour window clock never moves, and nothing is ever sent on it.
 */

export interface WhatsAppImportOptions {
  /** The person the chat is with: a person id or `<channel>:<address>` (see `parsePersonRef`). */
  person: string;
  /** The author name, as written in the file, who is that person: their lines become inbound. */
  me: string;
  /** The other author's name (the business side); found in the file when there is one. */
  counterpart?: string;
  /** The file's name, kept in each message's `meta.imported.file`. */
  source?: string;
  now?: number;
  actor?: string;
}

export interface WhatsAppImportResult {
  personId: string;
  contactId: string;
  conversationId: string;
  /** Messages written. */
  inserted: number;
  /** Lines already imported (by an earlier import of this chat): left as they are. */
  skipped: number;
}

/** A chat that cannot be imported as asked; `authors` are the names the file shows. */
export class ChatImportError extends ImportError {
  constructor(
    message: string,
    readonly authors: string[],
  ) {
    super(
      message,
      'invalid',
      authors.length ? [`authors found: ${authors.map((a) => `"${a}"`).join(', ')}`] : [],
    );
    this.name = 'ChatImportError';
  }
}

/** Names compared as people type them: bidirectional marks (around numbers), case and spacing aside. */
function normalName(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** The author in `authors` that `name` designates, or undefined. */
function pick(authors: string[], name: string): string | undefined {
  return authors.find((a) => a === name) ?? authors.find((a) => normalName(a) === normalName(name));
}

/**
 * Which author is the person and which the business. Throws `ChatImportError` for a group chat (more
 * than two authors) or a name that is not in the file, listing the authors found.
 */
export function chatSides(
  parsed: ParsedChat,
  me: string,
  counterpart?: string,
): { me: string; counterpart: string } {
  const authors = parsed.authors;
  if (authors.length > 2)
    throw new ChatImportError(
      `this chat has ${authors.length} authors: a group chat cannot be imported, only a chat between the person and the business`,
      authors,
    );
  const mine = pick(authors, me);
  if (mine === undefined) throw new ChatImportError(`"${me}" is not an author of this chat`, authors);
  const other = authors.find((a) => a !== mine);
  if (counterpart !== undefined && other !== undefined && pick([other], counterpart) === undefined)
    throw new ChatImportError(`"${counterpart}" is not the other author of this chat`, authors);
  return { me: mine, counterpart: other ?? counterpart?.trim() ?? 'unknown' };
}

/** A UUID-shaped id (version 8: custom) from a SHA-256 of the parts: the same line, the same id. */
export function hashId(parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The stored content of one line: text, a media placeholder, or a system line. */
export function lineContent(line: ChatLine): MessageContent {
  if (line.system || line.author === null)
    return { type: 'system', systemType: 'whatsapp_export', body: line.text };
  if (line.media?.kind === 'location') {
    // A shared location is written out in full (`location: https://maps.google.com/?q=lat,lng`).
    const m = /[?&]q=(-?\d{1,3}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)/.exec(line.text);
    const url = /https?:\/\/\S+/.exec(line.text)?.[0];
    if (m)
      return { type: 'location', latitude: Number(m[1]), longitude: Number(m[2]), ...(url ? { url } : {}) };
    return { type: 'text', text: line.text };
  }
  if (line.media) {
    // GIFs are videos on WhatsApp; a contact card, or media the export does not name (`<Media
    // omitted>`), is a document placeholder (the export's own kind is kept in `meta.imported.mediaKind`).
    const kind: MediaKind = MEDIA_KINDS.has(line.media.kind)
      ? (line.media.kind as MediaKind)
      : line.media.kind === 'gif'
        ? 'video'
        : 'document';
    const content: MediaContent = { type: 'media', kind, media: {} };
    if (line.media.filename) content.media.filename = line.media.filename;
    if (line.media.kind === 'gif') content.media.animated = true;
    if (line.text) content.media.caption = line.text;
    return content;
  }
  return { type: 'text', text: line.text };
}

/**
 * Imports a parsed WhatsApp chat into the person's history, in one transaction. The person's lines are
 * inbound messages, the other author's outbound, system lines `system` messages; media the export left
 * out are placeholders (`meta.imported.placeholder`). Ids are derived from each line (person,
 * counterpart, time, author, text, and which of identical lines it is), so importing the same file again
 * inserts nothing, and a later, longer export of the same chat adds only the new lines.
 *
 * The messages go to a conversation of the person's WhatsApp contact (or, when they have none, of a
 * contact `import:<person id>` created for it) on the account `import:<counterpart>`.
 */
export async function importWhatsAppChat(
  db: Db,
  parsed: ParsedChat,
  opts: WhatsAppImportOptions,
): Promise<WhatsAppImportResult> {
  const sides = chatSides(parsed, opts.me, opts.counterpart);
  const work = (trx: Db) => importIn(trx, parsed, sides, opts);
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

async function importIn(
  db: Db,
  parsed: ParsedChat,
  sides: { me: string; counterpart: string },
  opts: WhatsAppImportOptions,
): Promise<WhatsAppImportResult> {
  const now = opts.now ?? Date.now();
  const { person, contacts } = await findPerson(db, opts.person);
  const first = parsed.messages.reduce((min, l) => Math.min(min, l.at), now);
  const contact =
    contacts.find((c) => c.channel === 'whatsapp') ?? (await importContact(db, person.id, first));
  const account = `import:${sides.counterpart}`;
  const conversationId = await importConversation(db, contact, account, first, now);

  // Lines with the same time keep the file's order: their creation times step by a millisecond.
  const occurrences = new Map<string, number>();
  const sameTime = new Map<number, number>();
  const rows: MessagesTable[] = parsed.messages.map((line) => {
    const key = `${line.at}\u0000${line.author ?? ''}\u0000${line.text}`;
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    const step = sameTime.get(line.at) ?? 0;
    sameTime.set(line.at, step + 1);
    const content = lineContent(line);
    const imported: Record<string, unknown> = { format: 'whatsapp-chat', line: line.line };
    if (opts.source) imported.file = opts.source;
    if (line.author !== null) imported.author = line.author;
    if (content.type === 'media') {
      imported.placeholder = true;
      if (line.media && line.media.kind !== content.kind) imported.mediaKind = line.media.kind;
    }
    if (line.edited) imported.edited = true;
    if (line.deleted) imported.deleted = true;
    const inbound = line.author === null || line.author === sides.me;
    return {
      id: hashId([person.id, sides.counterpart, line.at, line.author ?? '', line.text, occurrence]),
      conversation_id: conversationId,
      person_id: person.id,
      contact_id: contact.id,
      channel: 'whatsapp',
      direction: inbound ? 'in' : 'out',
      provider_message_id: null,
      content_type: content.type,
      content: JSON.stringify(content),
      reply_to: null,
      status: inbound ? 'received' : 'sent',
      status_at: line.at,
      error_code: null,
      error_details: null,
      sent_at: line.at,
      created_at: line.at + step,
      meta: JSON.stringify({ imported }),
    };
  });
  const inserted = await insertNew(rows, (batch) =>
    db
      .insertInto('messages')
      .values(batch)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute(),
  );
  if (inserted > 0) {
    await db.updateTable('conversations').set({ updated_at: now }).where('id', '=', conversationId).execute();
    // No names, numbers or file name: this entry outlives an erasure of the person.
    await audit(
      db,
      {
        actor: opts.actor ?? 'import',
        action: 'person.imported',
        detail: { person: person.id, format: 'whatsapp-chat', inserted, skipped: rows.length - inserted },
      },
      now,
    );
  }
  return {
    personId: person.id,
    contactId: contact.id,
    conversationId,
    inserted,
    skipped: rows.length - inserted,
  };
}

/** A WhatsApp contact for a person who has none here: its address says where it came from. */
async function importContact(db: Db, personId: string, at: number): Promise<ContactsTable> {
  const address = `import:${personId}`;
  const found = await db
    .selectFrom('contacts')
    .selectAll()
    .where('channel', '=', 'whatsapp')
    .where('address', '=', address)
    .executeTakeFirst();
  if (found) return found;
  const row: ContactsTable = {
    id: hashId(['contact', address]),
    person_id: personId,
    channel: 'whatsapp',
    address,
    wa_id: null,
    user_id: null,
    username: null,
    country_code: null,
    display_name: null,
    created_at: at,
    last_seen_at: at,
  };
  await db.insertInto('contacts').values(row).execute();
  return row;
}

/** The imported chat's conversation: one per contact and counterpart, apart from the live ones. */
async function importConversation(
  db: Db,
  contact: ContactsTable,
  account: string,
  at: number,
  now: number,
): Promise<string> {
  const found = await db
    .selectFrom('conversations')
    .select('id')
    .where('contact_id', '=', contact.id)
    .where('account', '=', account)
    .executeTakeFirst();
  if (found) return found.id;
  const id = hashId(['conversation', contact.id, account]);
  await db
    .insertInto('conversations')
    .values({
      id,
      person_id: contact.person_id,
      contact_id: contact.id,
      channel: 'whatsapp',
      account,
      // No window: nothing is sent on an imported conversation.
      last_inbound_at: null,
      last_outbound_at: null,
      created_at: at,
      updated_at: now,
    })
    .execute();
  return id;
}
