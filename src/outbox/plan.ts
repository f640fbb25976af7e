import type { MessageContent } from '../core/content.ts';
import { MAX_TEXT } from '../pipeline/coalesce.ts';
import type { OutboxRow } from '../store/outbox.ts';

/** One send to launch: the leader item and the text replies that travel inside it. */
export interface PlannedSend {
  key: string;
  leader: OutboxRow;
  members: OutboxRow[];
}

export interface PlanInput {
  /** Message items due now, oldest first. */
  due: OutboxRow[];
  /** Oldest unfinished item per recipient key (see `headsOfLine`). */
  heads: Map<string, string>;
  /** Recipients with a send in flight. */
  busy: ReadonlySet<string>;
  /** Milliseconds until the rate limits let one more send go to this recipient (0 = now). */
  waitFor: (row: OutboxRow) => number;
  /** Most sends to launch. */
  limit: number;
}

export interface Plan {
  sends: PlannedSend[];
  /** Time until a held-back item may go because of a rate limit (Infinity = none). */
  waitMs: number;
}

/** `channel:account:recipient`: the unit of ordering, coalescing and the pair rate limit. */
export function recipientKey(row: Pick<OutboxRow, 'channel' | 'account' | 'recipient'>): string {
  return `${row.channel}:${row.account}:${row.recipient}`;
}

/**
 * Decides which sends go now. Pure. Per recipient: only the oldest unfinished item may lead (a newer
 * reply never overtakes one waiting for a retry or for proof of delivery), one send at a time, within
 * the rate limits; text replies queued right behind the leader are coalesced into it.
 */
export function planSends(input: PlanInput): Plan {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of input.due) {
    const key = recipientKey(row);
    const g = groups.get(key);
    if (g) g.push(row);
    else groups.set(key, [row]);
  }
  const sends: PlannedSend[] = [];
  let waitMs = Infinity;
  for (const [key, rows] of groups) {
    if (sends.length >= input.limit) break;
    if (input.busy.has(key)) continue;
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const leader = rows[0]!;
    if (input.heads.get(key) !== leader.id) continue;
    const w = input.waitFor(leader);
    if (w > 0) {
      waitMs = Math.min(waitMs, w);
      continue;
    }
    sends.push({ key, leader, members: coalescible(rows) });
  }
  return { sends, waitMs };
}

interface MessagePayload {
  content: MessageContent;
  replyTo?: string;
}

/** The plain-text items right behind a plain-text leader that fit in one message with it. */
function coalescible(rows: OutboxRow[]): OutboxRow[] {
  const first = JSON.parse(rows[0]!.payload) as MessagePayload;
  if (first.content.type !== 'text' || first.replyTo) return [];
  const out: OutboxRow[] = [];
  let len = first.content.text.length;
  for (const r of rows.slice(1)) {
    const p = JSON.parse(r.payload) as MessagePayload;
    if (p.content.type !== 'text' || p.replyTo) break;
    len += 2 + p.content.text.length;
    if (len > MAX_TEXT) break;
    out.push(r);
  }
  return out;
}

/** The text a coalesced send carries: the texts in order, separated by a blank line. */
export function combinedContent(leader: OutboxRow, members: OutboxRow[]): MessageContent {
  const content = (JSON.parse(leader.payload) as MessagePayload).content;
  if (members.length === 0 || content.type !== 'text') return content;
  const texts = [
    content.text,
    ...members.map((m) => ((JSON.parse(m.payload) as MessagePayload).content as { text: string }).text),
  ];
  return { type: 'text', text: texts.join('\n\n') };
}
