/**
 * The decision on a ranked message: answer with the top entry, ask the person to choose between close
 * candidates (reply buttons or a list on WhatsApp, buttons in the web chat), or say it is out of scope
 * (decline politely and offer a human). Pure: the thresholds come from calibration (`calibrate.ts`), the
 * policy layer decides what a channel may send.
 */

/** One candidate entry with its calibrated confidence (probability that it is the right entry). */
export interface RankedCandidate {
  id: string;
  confidence: number;
}

/** What `matcher.rank()` returns: the message's language and the best candidates, best first. */
export interface Ranked {
  language: string;
  candidates: RankedCandidate[];
}

/**
 * Decision thresholds, on the calibrated confidence of the top candidate. `scope` and `answer` are
 * learned by the calibration procedure; `closeRatio` is a presentation choice (how close a runner-up
 * must be to be offered as a button), not learned.
 */
export interface Thresholds {
  /** Below this the message is out of scope. */
  scope: number;
  /** At or above this the top entry is answered directly (always >= `scope`). */
  answer: number;
  /** A runner-up is offered in a choice when its confidence is at least this share of the top one's. */
  closeRatio: number;
  /** Where the values came from, e.g. "5-fold CV, 1,320 in-scope + 160 out-of-scope, seed 1". */
  source: string;
}

/** Used only when a matcher is built without calibration (and by tests); not a recommendation. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  scope: 0.3,
  answer: 0.6,
  closeRatio: 0.5,
  source: 'default (uncalibrated)',
};

/** The assistant's decision for one message. */
export type Decision =
  | { kind: 'answer'; id: string; confidence: number }
  | { kind: 'choose'; candidates: RankedCandidate[] }
  | { kind: 'out_of_scope'; confidence: number };

/** Most candidates offered in a choice (WhatsApp reply buttons allow three). */
export const MAX_CHOICES = 3;

/**
 * Decides from a ranking: out of scope below `scope`; a direct answer at or above `answer`; in between,
 * a choice when two or three candidates are close, otherwise the top entry.
 */
export function decide(ranked: Ranked, thresholds: Thresholds): Decision {
  const [top] = ranked.candidates;
  if (!top || top.confidence < thresholds.scope)
    return { kind: 'out_of_scope', confidence: top?.confidence ?? 0 };
  if (top.confidence >= thresholds.answer) return { kind: 'answer', id: top.id, confidence: top.confidence };
  const close = ranked.candidates
    .slice(0, MAX_CHOICES)
    .filter((c) => c.confidence >= top.confidence * thresholds.closeRatio);
  if (close.length >= 2) return { kind: 'choose', candidates: close };
  return { kind: 'answer', id: top.id, confidence: top.confidence };
}

/** The entry a decision points at first (`null` when out of scope): what an evaluation compares. */
export function predictedEntry(decision: Decision): string | null {
  if (decision.kind === 'answer') return decision.id;
  if (decision.kind === 'choose') return decision.candidates[0]!.id;
  return null;
}
