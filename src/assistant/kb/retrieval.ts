import MiniSearch from 'minisearch';
import { isFunctionWord } from './language.ts';
import { stem, tokenise } from './text.ts';

/**
 * Lexical retrieval over the KB's example questions with MiniSearch (BM25+, fuzzy matching for typos).
 * Texts are stemmed with the Snowball stemmer of their own language before indexing, and the query with
 * the stemmer of its detected language, so MiniSearch itself only sees stems split on spaces.
 * Retrieval is one of the inputs of the calibrated confidence: it rescues rare words the learned model
 * saw once, and it is the only signal on a KB too small to learn much from.
 */

/** One example question to index, with the class (entry index) it belongs to. */
export interface IndexedQuestion {
  text: string;
  language: string;
  entry: number;
}

interface Doc {
  id: number;
  terms: string;
}

const split = (s: string): string[] => s.split(' ').filter(Boolean);

/** Stems of a text, optionally without function words (BM25 on a small KB over-rewards them). */
function indexStems(text: string, language: string, dropFunctionWords: boolean): string[] {
  return tokenise(text)
    .filter((t) => !dropFunctionWords || !isFunctionWord(t, language))
    .map((t) => stem(t, language));
}
const identity = (s: string): string => s;

/** A MiniSearch index of the KB's example questions; scores are aggregated per entry. */
export class Retrieval {
  private readonly index: MiniSearch<Doc>;
  private readonly entryOf: Int32Array;
  /** Number of questions each stem occurs in. */
  private readonly df = new Map<string, number>();
  private readonly maxDf: number;

  constructor(
    questions: readonly IndexedQuestion[],
    private readonly dropFunctionWords = false,
  ) {
    this.index = new MiniSearch<Doc>({
      fields: ['terms'],
      tokenize: split,
      processTerm: identity,
      searchOptions: {
        tokenize: split,
        processTerm: identity,
        combineWith: 'OR',
        // Typos: only a stem the index does not know is looked up fuzzily (one edit from 5 characters,
        // two from 9); a known stem matching its neighbours would only add noise and time.
        fuzzy: (term) => (this.df.has(term) ? false : term.length >= 9 ? 2 : term.length >= 5 ? 1 : false),
        weights: { fuzzy: 0.4, prefix: 0.3 },
      },
    });
    this.entryOf = Int32Array.from(questions, (q) => q.entry);
    const docs = questions.map((q, id) => ({ id, terms: indexStems(q.text, q.language, dropFunctionWords) }));
    for (const d of docs) for (const t of new Set(d.terms)) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    // Stems in more than 0.5% of the questions ("what", "the", "my") barely move BM25 but make MiniSearch
    // score most of the index: they are left to the learned model.
    this.maxDf = Math.max(20, Math.ceil(0.005 * questions.length));
    this.index.addAll(docs.map((d) => ({ id: d.id, terms: d.terms.join(' ') })));
  }

  /**
   * BM25 score of the best-matching question of each entry (0 when no question matched), written into
   * `out` (length = number of entries). Returns the highest score.
   */
  scores(text: string, language: string, out: Float32Array): number {
    out.fill(0);
    const query = [...new Set(indexStems(text, language, this.dropFunctionWords))]
      .filter((t) => (this.df.get(t) ?? 0) <= this.maxDf)
      .join(' ');
    let best = 0;
    if (!query) return best;
    for (const hit of this.index.search(query)) {
      const e = this.entryOf[hit.id as number]!;
      if (hit.score > out[e]!) out[e] = hit.score;
      if (hit.score > best) best = hit.score;
    }
    return best;
  }
}
