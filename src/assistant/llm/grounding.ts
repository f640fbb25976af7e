import type { KnowledgeBase } from '../kb.ts';
import { KeywordAssistant } from '../keyword.ts';

/**
 * The part of a knowledge-base entry the prompt uses. Structural, so entries of both loaders fit
 * (`src/assistant/kb.ts` today, `src/assistant/kb/schema.ts` with `translations`).
 */
export interface GroundingEntry {
  id: string;
  questions: readonly string[];
  answer: string;
  /** Language of `answer`. */
  language?: string;
  /** The answer in other languages, keyed by language code. */
  translations?: Readonly<Record<string, string>>;
}

/** What the knowledge base says about one message, before any model is asked. */
export interface GroundingResult {
  /** The most relevant entries, best first (at most `k`); may be empty. */
  entries: GroundingEntry[];
  /** Language of the message (BCP 47, e.g. `fr`), or `und` when unknown. */
  language: string;
  /**
   * The knowledge base has nothing for this message. On a business-scoped channel the model is then
   * never asked (WhatsApp's 2026 terms: a business bot must not become a general-purpose assistant).
   */
  outOfScope: boolean;
}

/**
 * The seam between the LLM assistant and the offline matcher: the LLM path needs only the top entries,
 * the language and the scope decision. Adapters: `keywordGrounding` (today's TF-IDF matcher) and
 * `rankerGrounding` (any matcher that ranks with calibrated confidences, such as `buildMatcher(kb)`).
 */
export interface Grounding {
  retrieve(text: string, k: number): GroundingResult | Promise<GroundingResult>;
}

export interface KeywordGroundingOptions {
  /** Cosine score under which the best entry does not count: the message is out of scope. */
  minScore?: number;
}

/**
 * Grounding over the keyword assistant's TF-IDF ranking. A stop-gap until the calibrated matcher is
 * joined: its scope decision is a plain score threshold, and it does not detect language (`und`).
 */
export function keywordGrounding(kb: KnowledgeBase, opts: KeywordGroundingOptions = {}): Grounding {
  const ranker = new KeywordAssistant(kb);
  const minScore = opts.minScore ?? 0.15;
  return {
    retrieve(text, k) {
      const ranked = ranker.rank(text).filter((r) => r.score > 0);
      const best = ranked[0]?.score ?? 0;
      return {
        entries: ranked.slice(0, k).map((r) => r.entry),
        language: 'und',
        outOfScope: best < minScore,
      };
    },
  };
}

/** A ranking as the offline matcher gives it: the message's language and candidates, best first. */
export interface Ranking {
  language: string;
  candidates: { id: string; confidence: number }[];
}

/**
 * Grounding over a matcher that ranks (`buildMatcher(kb).rank(text, { k })`), with the scope decision
 * left to the caller, e.g. `(r) => decide(r, matcher.thresholds).kind === 'out_of_scope'`, so the LLM
 * path and the offline assistant decline exactly the same messages.
 */
export function rankerGrounding(
  ranker: { rank(text: string, opts?: { k?: number }): Ranking },
  entries: readonly GroundingEntry[],
  isOutOfScope: (ranking: Ranking) => boolean,
): Grounding {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return {
    retrieve(text, k) {
      const ranking = ranker.rank(text, { k });
      return {
        entries: ranking.candidates.flatMap((c) => byId.get(c.id) ?? []).slice(0, k),
        language: ranking.language,
        outOfScope: isOutOfScope(ranking),
      };
    },
  };
}
