/**
 * Spelling correction of a message's unknown words against the KB's own vocabulary ("comming" →
 * "coming", "rerservations" → "reservations"): a word the example questions never use gives the learned
 * model nothing to go on and counts as unknown, which pushes a right answer under the scope threshold.
 * Candidates come from a symmetric-delete index (the words reachable by deleting letters from both
 * sides, as in SymSpell), confirmed by the optimal-string-alignment distance (insertions, deletions,
 * substitutions, adjacent transpositions). The closest known word wins, then the most frequent, then the
 * first in alphabetical order, so a correction is deterministic. Learned from the KB at load time only.
 *
 * The KB's vocabulary is not a dictionary: most words a message has and the KB lacks are real words,
 * not typos ("bike" is one letter from "like", "moon" from "soon"). So a correction must also keep the
 * first letter (typos there are rare; "chair" → "hair", "page" → "age" are not typos), and neither
 * word may be shorter than four letters. A word written without its apostrophe ("wont", "arent") is
 * read as the KB's contraction ("won't", "aren't") before anything else, never as the nearest other
 * word ("want", "rent"): that would turn a negation into its opposite.
 */

/** Words shorter than this are neither corrected nor corrected into: one edit reaches too much. */
export const MIN_CORRECTED_LENGTH = 4;

/**
 * Edits allowed between a message's word and a known word. One edit covers most typos (a letter
 * missing, doubled, wrong or two swapped); two would cost ~3× the index and correct more words that are
 * simply other words.
 */
export const MAX_EDITS = 1;

export class SpellingCorrector {
  /** Delete-variant → known words it comes from. */
  private readonly index = new Map<string, string[]>();
  private readonly counts = new Map<string, number>();

  /** `words`: every known word with how often the KB uses it (the tie-break between corrections). */
  constructor(words: ReadonlyMap<string, number>) {
    for (const [w, count] of words) {
      this.counts.set(w, count);
      if (w.length < MIN_CORRECTED_LENGTH || /\d/.test(w)) continue;
      for (const d of deletes(w, MAX_EDITS)) {
        const list = this.index.get(d);
        if (!list) this.index.set(d, [w]);
        else list.push(w);
      }
    }
  }

  /** Whether the KB uses this word. */
  knows(word: string): boolean {
    return this.counts.has(word);
  }

  /**
   * The known word closest to an unknown `word`, or undefined (too short, digits, nothing close with
   * the same first letter).
   */
  correct(word: string): string | undefined {
    if (word.length < MIN_CORRECTED_LENGTH || /\d/.test(word) || this.counts.has(word)) return undefined;
    const limit = MAX_EDITS;
    let best: string | undefined;
    // Rank of a candidate, lowest best: a contraction written without its apostrophe, then by distance.
    let bestRank = Infinity;
    let bestCount = 0;
    const seen = new Set<string>();
    for (const d of deletes(word, limit)) {
      for (const candidate of this.index.get(d) ?? []) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        if (candidate[0] !== word[0] || Math.abs(candidate.length - word.length) > limit) continue;
        const apostrophe = candidate.includes("'") && candidate.replaceAll("'", '') === word;
        const distance = apostrophe ? 0 : osaDistance(word, candidate, limit);
        if (distance > limit) continue;
        const count = this.counts.get(candidate)!;
        if (
          distance < bestRank ||
          (distance === bestRank && (count > bestCount || (count === bestCount && candidate < best!)))
        ) {
          best = candidate;
          bestRank = distance;
          bestCount = count;
        }
      }
    }
    return best;
  }
}

/** The word and every string obtained by deleting up to `edits` of its letters. */
function deletes(word: string, edits: number): Set<string> {
  const out = new Set([word]);
  let frontier = [word];
  for (let e = 0; e < edits; e++) {
    const next: string[] = [];
    for (const w of frontier)
      for (let i = 0; i < w.length; i++) {
        const d = w.slice(0, i) + w.slice(i + 1);
        if (!out.has(d)) {
          out.add(d);
          next.push(d);
        }
      }
    frontier = next;
  }
  return out;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), stopping early once
 * every path exceeds `limit` (then any value above `limit` is returned).
 */
export function osaDistance(a: string, b: string, limit = Infinity): number {
  const n = a.length;
  const m = b.length;
  let before = new Array<number>(m + 1).fill(0);
  let previous = Array.from({ length: m + 1 }, (_, j) => j);
  let current = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[m]!;
}
