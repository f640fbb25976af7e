import type { MessageContent } from '../../core/content.ts';
import type { Db } from '../../store/db.ts';

/** One turn of a person's recent conversation, as the model sees it. */
export interface MemoryTurn {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * Short per-person memory: the last few turns, whatever the channel (one person, one history). The LLM
 * assistant reads it before asking the model and appends the exchange once answered; an implementation
 * backed by the message log may ignore `append`, since the pipeline stores every message anyway.
 */
export interface ConversationMemory {
  /** The last `n` turns of the person's completed exchanges, oldest first. */
  recent(personId: string, n: number): Promise<MemoryTurn[]>;
  append(personId: string, turn: MemoryTurn): Promise<void>;
}

/** Longest turn kept in memory: a long earlier answer must not crowd the entries out of the prompt. */
const MAX_TURN_CHARS = 1000;

function clip(text: string): string {
  return text.length <= MAX_TURN_CHARS ? text : text.slice(0, MAX_TURN_CHARS - 1) + '…';
}

/** Memory in a map, bounded per person: for tests, and for embedding without a store. */
export class InMemoryConversationMemory implements ConversationMemory {
  private readonly turns = new Map<string, MemoryTurn[]>();

  constructor(private readonly keep = 20) {}

  async recent(personId: string, n: number): Promise<MemoryTurn[]> {
    return n > 0 ? (this.turns.get(personId) ?? []).slice(-n) : [];
  }

  async append(personId: string, turn: MemoryTurn): Promise<void> {
    const list = this.turns.get(personId) ?? [];
    list.push({ role: turn.role, text: clip(turn.text) });
    this.turns.set(personId, list.slice(-this.keep));
  }
}

/** What a stored message said, as text, or `undefined` for what a model need not see (reactions…). */
export function textOf(content: MessageContent): string | undefined {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'media':
      return content.media.caption;
    case 'choice':
      return content.title;
    case 'buttons':
      return `${content.body}\n${content.buttons.map((b) => `- ${b.title}`).join('\n')}`;
    case 'list':
      return content.body;
    default:
      return undefined;
  }
}

/** Outbound states in which the person never saw the message: not part of what they remember. */
const UNSEEN = new Set(['failed', 'dead']);

/**
 * Memory read from the `messages` table (read-only): the person's last messages across all channels.
 * The message being answered, and any other inbound message not answered yet (the rest of its batch),
 * are already stored when the assistant runs; trailing inbound turns are therefore left out, so memory
 * holds completed exchanges only and the question is never sent twice.
 */
export class StoreConversationMemory implements ConversationMemory {
  constructor(private readonly db: Db) {}

  async recent(personId: string, n: number): Promise<MemoryTurn[]> {
    if (n <= 0) return [];
    const rows = await this.db
      .selectFrom('messages')
      .select(['direction', 'content', 'status'])
      .where('person_id', '=', personId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      // Headroom for the unanswered inbound tail and for rows without text.
      .limit(n * 2 + 10)
      .execute();
    const turns: MemoryTurn[] = [];
    for (const r of rows.reverse()) {
      if (r.direction === 'out' && UNSEEN.has(r.status)) continue;
      let text: string | undefined;
      try {
        text = textOf(JSON.parse(r.content) as MessageContent);
      } catch {
        continue;
      }
      if (!text?.trim()) continue;
      turns.push({ role: r.direction === 'in' ? 'user' : 'assistant', text: clip(text) });
    }
    while (turns.length > 0 && turns[turns.length - 1]!.role === 'user') turns.pop();
    return turns.slice(-n);
  }

  /** The pipeline stores every message: nothing to do. */
  async append(): Promise<void> {}
}
