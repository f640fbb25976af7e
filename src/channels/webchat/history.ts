import { contentSummary, type MessageContent } from '../../core/content.ts';
import type { Db } from '../../store/db.ts';
import type { WireMessage } from './protocol.ts';

/** Messages replayed to a fresh page (the recent conversation). */
export const HISTORY_LIMIT = 100;
/** Most assistant messages replayed after a reconnect (a page offline for very long reloads instead). */
const RESUME_LIMIT = 500;

/**
 * What a page should be shown on (re)connect, from the store: the messages table holds every visitor
 * message and every assistant message with the provider id the web chat gave it (coalesced replies
 * are folded into the message that carried them). `since` given: the assistant messages after it, in
 * send order. Not given: the last `HISTORY_LIMIT` messages of both sides.
 */
export async function storedHistory(
  db: Db,
  visitor: string,
  since: string | undefined,
): Promise<WireMessage[]> {
  const contact = await db
    .selectFrom('contacts')
    .select(['id', 'person_id'])
    .where('channel', '=', 'webchat')
    .where('address', '=', visitor)
    .executeTakeFirst();
  if (!contact) return [];
  let q = db
    .selectFrom('messages')
    .select(['direction', 'provider_message_id', 'content', 'sent_at', 'created_at'])
    .where('contact_id', '=', contact.id)
    .where('channel', '=', 'webchat')
    .where('provider_message_id', 'is not', null)
    .where('status', 'not in', ['coalesced', 'failed', 'dead']);
  if (since !== undefined) {
    const rows = await q
      .where('direction', '=', 'out')
      .where('provider_message_id', '>', since)
      .orderBy('provider_message_id')
      .limit(RESUME_LIMIT)
      .execute();
    return rows.map(toWire);
  }
  q = q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(HISTORY_LIMIT);
  const own = (await q.execute()).map(toWire).reverse();
  // A visitor who linked other channels sees their one history: those messages too, marked.
  const elsewhere = await db
    .selectFrom('messages')
    .select(['id', 'channel', 'direction', 'content', 'sent_at'])
    .where('person_id', '=', contact.person_id)
    .where('channel', '!=', 'webchat')
    .where('status', 'not in', ['coalesced', 'failed', 'dead', 'held', 'refused'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(HISTORY_LIMIT)
    .execute();
  if (elsewhere.length === 0) return own;
  const foreign = elsewhere.reverse().map((r): WireMessage => {
    const content = JSON.parse(r.content) as MessageContent;
    return {
      id: `h:${r.id}`,
      from: r.direction === 'in' ? 'visitor' : 'bot',
      at: Number(r.sent_at),
      content,
      text: contentSummary(content),
      channel: r.channel,
    };
  });
  return [...foreign, ...own].sort((a, b) => a.at - b.at).slice(-HISTORY_LIMIT);
}

function toWire(r: {
  direction: 'in' | 'out';
  provider_message_id: string | null;
  content: string;
  sent_at: number;
}): WireMessage {
  const content = JSON.parse(r.content) as MessageContent;
  const pid = r.provider_message_id!;
  return r.direction === 'in'
    ? {
        id: pid.slice(pid.indexOf('.') + 1),
        from: 'visitor',
        at: r.sent_at,
        content,
        text: contentSummary(content),
      }
    : { id: pid, from: 'bot', at: r.sent_at, content, text: contentSummary(content) };
}

/** Stored and recent messages together, each once, in order (assistant ids sort by send time). */
export function mergeHistory(
  stored: WireMessage[],
  recent: WireMessage[],
  since: string | undefined,
): WireMessage[] {
  const seen = new Set(stored.map((m) => `${m.from}:${m.id}`));
  const out = [...stored];
  for (const m of recent) {
    if (since !== undefined && (m.from !== 'bot' || m.id <= since)) continue;
    if (!seen.has(`${m.from}:${m.id}`)) {
      seen.add(`${m.from}:${m.id}`);
      out.push(m);
    }
  }
  if (since !== undefined) return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out.sort(
    (a, b) => a.at - b.at || (a.from === b.from ? (a.id < b.id ? -1 : 1) : a.from === 'visitor' ? -1 : 1),
  );
}
