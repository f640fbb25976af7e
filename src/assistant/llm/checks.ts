import type { ChannelName } from '../../core/channel.ts';
import { parseCitations } from './citations.ts';

/**
 * Longest text one message may carry, per channel. WhatsApp: 4096 characters for a text body (spec
 * §2.2); Telegram: 4096 for `sendMessage`; the web chat has no hard limit, this keeps bubbles readable.
 */
export const CHANNEL_TEXT_LIMITS: Record<ChannelName, number> = {
  whatsapp: 4096,
  telegram: 4096,
  webchat: 8000,
};

/** Why a generated answer was not sent (logged, and recorded as the usage outcome). */
export type RejectReason = 'empty' | 'too_long' | 'no_source' | 'prompt_leak' | 'placeholder';

/** The verdict on one generated answer: what to send, or why not. */
export type AnswerCheck =
  | { kind: 'accepted'; text: string; sources: string[]; invented: string[]; truncated: boolean }
  | { kind: 'rejected'; reason: RejectReason; invented: string[] };

export interface CheckInput {
  /** The model's raw text, citations included. */
  raw: string;
  /** Ids of the entries put in the prompt. */
  provided: readonly string[];
  /** The answer must cite at least one provided entry (in scope, entries given). */
  requireSource: boolean;
  /** Fingerprint of the instructions, from `instructionShingles`. */
  shingles: ReadonlySet<string>;
  /** Above this many characters the answer is a runaway, not a concise reply: rejected. */
  maxChars: number;
  /** The channel's hard limit: longer answers are cut at a sentence or word boundary. */
  channelLimit: number;
}

/**
 * Decides whether a generated answer may be sent. Pure: the assistant does the I/O and the fallback.
 * Order matters: an answer that leaks instructions is rejected even when it also cites a source.
 */
export function checkAnswer(input: CheckInput): AnswerCheck {
  const { text, sources, invented } = parseCitations(input.raw, input.provided);
  const reject = (reason: RejectReason): AnswerCheck => ({ kind: 'rejected', reason, invented });
  if (text.replace(/[\s\p{P}]/gu, '').length === 0) return reject('empty');
  if (text.length > input.maxChars) return reject('too_long');
  if (leaksInstructions(text, input.shingles)) return reject('prompt_leak');
  if (hasPlaceholder(text)) return reject('placeholder');
  if (input.requireSource && sources.length === 0) return reject('no_source');
  const capped = capLength(text, input.channelLimit);
  return { kind: 'accepted', text: capped, sources, invented, truncated: capped !== text };
}

/** Words per shingle: long enough that an answer quoting the knowledge base never matches by chance. */
const SHINGLE = 7;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/**
 * Fingerprints the system instructions (not the knowledge-base entries, which an answer may quote):
 * every run of seven consecutive words. Computed once per assistant.
 */
export function instructionShingles(instructions: string): Set<string> {
  const w = words(instructions);
  const out = new Set<string>();
  for (let i = 0; i + SHINGLE <= w.length; i++) out.add(w.slice(i, i + SHINGLE).join(' '));
  return out;
}

/** True when the answer repeats a run of the instructions verbatim (a prompt-injection tell). */
export function leaksInstructions(answer: string, shingles: ReadonlySet<string>): boolean {
  const w = words(answer);
  for (let i = 0; i + SHINGLE <= w.length; i++)
    if (shingles.has(w.slice(i, i + SHINGLE).join(' '))) return true;
  return /<\/?(?:knowledge_base|entry)\b/iu.test(answer);
}

// Template residue a model copies from its training data instead of facts it does not have.
const PLACEHOLDERS = [
  /\{\{[^}]*\}\}/u,
  /\[(?:insert|your|company|business|customer|name|price|amount|date|time|phone|email|address|link|url|product)\b[^\]]*\]/iu,
  /<(?:insert|placeholder|your)[^>]*>/iu,
  /\blorem ipsum\b/iu,
  /\bTODO\b/u,
  /\bX{3,}\b/u,
];

/** True when the answer contains an obvious unfilled placeholder (`[insert price]`, `{{name}}`, …). */
export function hasPlaceholder(answer: string): boolean {
  return PLACEHOLDERS.some((re) => re.test(answer));
}

/**
 * Cuts a text to at most `limit` UTF-16 code units (what channel limits count; a surrogate pair is never
 * split), at the last sentence end, else word boundary, in the final fifth, and marks the cut with "…".
 */
export function capLength(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit - 2;
  const c = text.charCodeAt(end);
  if (c >= 0xdc00 && c <= 0xdfff) end--;
  const head = text.slice(0, end);
  const floor = Math.floor(head.length * 0.8);
  const sentence = Math.max(...['. ', '.\n', '! ', '? '].map((p) => head.lastIndexOf(p)));
  if (sentence >= floor) return head.slice(0, sentence + 1) + ' …';
  const space = head.search(/\s\S*$/u);
  return (space >= floor ? head.slice(0, space) : head).trimEnd() + '…';
}
