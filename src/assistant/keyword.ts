import type { Assistant, AssistantReply, AssistantRequest } from './port.ts';
import type { KbEntry, KnowledgeBase } from './kb.ts';

/**
 * A small, real assistant over the knowledge base: TF-IDF cosine similarity between the message and
 * each entry's example questions. It answers when one entry clearly wins, offers a choice when two or
 * three are close, and otherwise says what it can help with. The knowledge-base assistant of the
 * "assistant" issue (retrieval + learned matcher + calibrated out-of-scope) replaces it.
 */
export class KeywordAssistant implements Assistant {
  private readonly idf = new Map<string, number>();
  private readonly vectors: { entry: KbEntry; vec: Map<string, number> }[] = [];

  constructor(
    private readonly kb: KnowledgeBase,
    private readonly thresholds = { answer: 0.12, choice: 0.08, margin: 0.05 },
  ) {
    const docs = kb.entries.map((e) => tokens([...e.questions, e.id.replace(/[-_.]/g, ' ')].join(' ')));
    const df = new Map<string, number>();
    for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
    for (const [t, n] of df) this.idf.set(t, Math.log(1 + kb.entries.length / n));
    kb.entries.forEach((entry, i) => this.vectors.push({ entry, vec: this.vector(docs[i]!) }));
  }

  async reply(req: AssistantRequest): Promise<AssistantReply[]> {
    const c = req.content;
    if (c.type === 'choice') {
      const entry = this.kb.entries.find((e) => e.id === c.choiceId);
      if (entry) return [answer(entry, 1)];
      return this.respondTo(c.title);
    }
    if (c.type === 'text') return this.respondTo(c.text);
    if (c.type === 'media' && c.media.caption) return this.respondTo(c.media.caption);
    if (c.type === 'request_welcome') return [this.menu('Welcome! I can help you with:', 'welcome')];
    if (c.type === 'reaction' || c.type === 'system' || c.type === 'order') return [];
    return [
      {
        content: {
          type: 'text',
          text: 'Sorry, I can only read text messages for now. Could you type your question?',
        },
        intent: 'unsupported',
      },
    ];
  }

  /** Ranked entries for a text, best first, with cosine scores. */
  rank(text: string): { entry: KbEntry; score: number }[] {
    const q = this.vector(tokens(text));
    return this.vectors
      .map(({ entry, vec }) => ({ entry, score: cosine(q, vec) }))
      .sort((a, b) => b.score - a.score);
  }

  private respondTo(text: string): AssistantReply[] {
    const [first, second, third] = this.rank(text);
    const t = this.thresholds;
    if (first && first.score >= t.answer && (!second || first.score - second.score >= t.margin)) {
      return [answer(first.entry, first.score)];
    }
    const close = [first, second, third].filter(
      (r): r is { entry: KbEntry; score: number } => !!r && r.score >= t.choice,
    );
    if (close.length >= 2) {
      return [
        {
          content: {
            type: 'buttons',
            body: 'Did you mean one of these?',
            buttons: close.map((r) => ({ id: r.entry.id, title: title(r.entry) })),
          },
          sources: close.map((r) => r.entry.id),
          confidence: close[0]!.score,
          intent: 'choice',
        },
      ];
    }
    if (close.length === 1) return [answer(close[0]!.entry, close[0]!.score)];
    return [this.menu("Sorry, I can't help with that. I can answer questions about:", 'out_of_scope')];
  }

  private menu(intro: string, intent: string): AssistantReply {
    const topics = this.kb.entries.map((e) => `• ${title(e)}`).join('\n');
    return { content: { type: 'text', text: `${intro}\n${topics}` }, intent, confidence: 0 };
  }

  private vector(toks: string[]): Map<string, number> {
    const v = new Map<string, number>();
    for (const t of toks) {
      const idf = this.idf.get(t);
      if (idf !== undefined) v.set(t, (v.get(t) ?? 0) + idf);
    }
    return v;
  }
}

function answer(entry: KbEntry, score: number): AssistantReply {
  return {
    content: { type: 'text', text: entry.answer },
    sources: [entry.id],
    confidence: score,
    intent: 'answer',
  };
}

/** A button-sized title from an entry id: "opening-hours" → "Opening hours" (≤ 20 characters). */
function title(e: KbEntry): string {
  const s = e.id.replace(/[-_.]+/g, ' ');
  return (s.charAt(0).toUpperCase() + s.slice(1)).slice(0, 20);
}

const STOP = new Set(
  'a an and are at be can do does for how i in is it me my of on or the to what when where which who why will with you your we us this that there'.split(
    ' ',
  ),
);

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 1 && !STOP.has(t))
    .map((t) => (t.length > 4 && t.endsWith('s') ? t.slice(0, -1) : t));
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  for (const [t, w] of a) dot += w * (b.get(t) ?? 0);
  if (dot === 0) return 0;
  return dot / (norm(a) * norm(b));
}

function norm(v: Map<string, number>): number {
  let s = 0;
  for (const w of v.values()) s += w * w;
  return Math.sqrt(s);
}
