import { isFunctionWord } from './language.ts';
import { SpellingCorrector } from './spelling.ts';
import { charNgrams, stem, tokenise } from './text.ts';

/**
 * Sparse TF-IDF features of a short text: stemmed words, stemmed word bigrams and character n-grams,
 * indexed by a vocabulary learned from the KB's own example questions (no hashing collisions, no
 * pretrained anything). Each block is L2-normalised on its own and weighted, so that long messages do not
 * drown the word evidence in character n-grams.
 */

/** How texts become vectors; the defaults were chosen on a hold-out of CLINC150's train split. */
export interface FeatureOptions {
  /** Weight of the stemmed-word block (unigrams). */
  wordWeight: number;
  /** Weight of the word-bigram block. */
  bigramWeight: number;
  /** Weight of the character n-gram block. */
  charWeight: number;
  /** Smallest and largest character n-gram. */
  charMin: number;
  charMax: number;
  /** Features seen in fewer training texts are dropped (and counted as unknown at query time). */
  minDf: number;
  /**
   * Function words ("do", "you", "le", "de"…, see `FUNCTION_WORDS`) keep only their bigrams: on a small
   * KB they otherwise outvote the content words ("do you rent bikes" → "do you repair bikes").
   */
  functionWordsInBigramsOnly: boolean;
  /** A message's unknown words are corrected to the closest known word first (`spelling.ts`). */
  spelling: boolean;
}

export const DEFAULT_FEATURES: FeatureOptions = {
  wordWeight: 1,
  bigramWeight: 1,
  charWeight: 1,
  charMin: 3,
  charMax: 4,
  minDf: 1,
  functionWordsInBigramsOnly: false,
  spelling: true,
};

/** A sparse vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/** One analysed text: its vector, and how much of it the vocabulary knew (an out-of-scope signal). */
export interface Featurised {
  vector: SparseVector;
  /** Share of the message's word tokens absent from the vocabulary, 0..1 (1 when the text has no word). */
  unknownWords: number;
  tokens: number;
}

const BLOCKS = 3;
const WORD = 0;
const BIGRAM = 1;
const CHAR = 2;
const CACHE_LIMIT = 200_000;
/** Marks a token whose unigram is not a feature (it is neither counted nor unknown). */
const FUNCTION_WORD = -2;

/** The interned features of one token in one language: its stem and the ids of its stem and n-grams. */
interface TokenFeatures {
  stem: string;
  word: number;
  grams: Int32Array;
}

interface RawText {
  features: number[];
  words: number;
  unknown: number;
}

/**
 * The vocabulary and IDF weights learned from training texts, and the function that turns any text into
 * a vector in that space. Build one per matcher (and one per calibration fold). Features are interned
 * per distinct token, so a 15,000-question KB featurises in a fraction of a second.
 */
export class FeatureSpace {
  /** Number of features kept (the vector dimension). */
  readonly size: number;
  /** The training texts' vectors, in input order (so a caller need not featurise them again). */
  readonly trainVectors: Featurised[];
  private readonly interned = new Map<string, number>();
  private readonly internedBlock: number[] = [];
  private readonly tokens = new Map<string, TokenFeatures>();
  private readonly final: Int32Array;
  private readonly idf: Float32Array;
  private readonly blocks: Uint8Array;
  private readonly counts: Float32Array;
  private readonly weights: number[];
  /** Per language, the words of the training texts (for correcting a message's unknown words). */
  private readonly spelling = new Map<string, SpellingCorrector>();

  constructor(
    texts: readonly { text: string; language: string }[],
    readonly opts: FeatureOptions = DEFAULT_FEATURES,
  ) {
    this.weights = [opts.wordWeight, opts.bigramWeight, opts.charWeight];
    const docs = texts.map((t) => this.raw(t.text, t.language, true));
    const df = new Int32Array(this.interned.size);
    const last = new Int32Array(this.interned.size).fill(-1);
    docs.forEach((d, n) => {
      for (const f of d.features) {
        if (last[f] === n) continue;
        last[f] = n;
        df[f]!++;
      }
    });
    this.final = new Int32Array(this.interned.size).fill(-1);
    let size = 0;
    for (let f = 0; f < df.length; f++) if (df[f]! >= opts.minDf) this.final[f] = size++;
    this.size = size;
    this.idf = new Float32Array(size);
    this.blocks = new Uint8Array(size);
    for (let f = 0; f < df.length; f++) {
      const i = this.final[f]!;
      if (i < 0) continue;
      this.idf[i] = Math.log((texts.length + 1) / (df[f]! + 1)) + 1;
      this.blocks[i] = this.internedBlock[f]!;
    }
    this.counts = new Float32Array(size);
    if (opts.spelling) this.learnSpelling(df);
    this.trainVectors = docs.map((d) => this.vectorise(d));
  }

  /** Whether feature `i` is a word or word-bigram feature (not a character n-gram). */
  isWordLevel(i: number): boolean {
    return this.blocks[i] !== CHAR;
  }

  /** The feature vector of a text analysed in `language` (its stemmer), with the unknown-word share. */
  featurise(text: string, language: string): Featurised {
    return this.vectorise(this.raw(text, language, false));
  }

  /** Interned feature ids of a text, with repeats; unknown features are -1 unless `learn` adds them. */
  private raw(text: string, language: string, learn: boolean): RawText {
    const features: number[] = [];
    const toks = tokenise(text);
    let previous = '^';
    let unknown = 0;
    for (const token of toks) {
      const t = this.token(token, language, learn);
      if (!learn && (t.word === -1 || (t.word >= 0 && this.final[t.word]! < 0))) unknown++;
      if (t.word >= 0) features.push(t.word);
      features.push(this.intern(`${BIGRAM}${previous} ${t.stem}`, BIGRAM, learn));
      for (const g of t.grams) features.push(g);
      previous = t.stem;
    }
    if (toks.length) features.push(this.intern(`${BIGRAM}${previous} $`, BIGRAM, learn));
    return { features, words: toks.length, unknown };
  }

  /**
   * One corrector per language, over the distinct words of the training texts (the token cache holds
   * exactly those at this point), each counted by its stem's document frequency. Function words that
   * keep only their bigrams (a sparse KB) are in it too, as the most frequent words, so that "waht"
   * becomes "what" and not "want".
   */
  private learnSpelling(df: Int32Array): void {
    const words = new Map<string, Map<string, number>>();
    for (const [key, t] of this.tokens) {
      const functionWord = t.word === FUNCTION_WORD;
      if (!functionWord && !this.isKnownWord(t)) continue;
      const cut = key.indexOf('\u0000');
      const language = key.slice(0, cut);
      let list = words.get(language);
      if (!list) words.set(language, (list = new Map()));
      list.set(key.slice(cut + 1), functionWord ? Number.MAX_SAFE_INTEGER : df[t.word]!);
    }
    for (const [language, list] of words) this.spelling.set(language, new SpellingCorrector(list));
  }

  private token(token: string, language: string, learn: boolean): TokenFeatures {
    const key = `${language}\u0000${token}`;
    const hit = this.tokens.get(key);
    if (hit) return hit;
    const t = this.analyse(token, language, learn);
    if (!learn && t.word !== FUNCTION_WORD && !this.isKnownWord(t)) {
      // An unknown word: the closest word of the KB's (a typo, most often) stands in for it.
      const fixed = this.spelling.get(language)?.correct(token);
      if (fixed !== undefined) {
        const c = this.token(fixed, language, false);
        if (this.isKnownWord(c) || c.word === FUNCTION_WORD) return this.remember(key, c, learn);
      }
    }
    return this.remember(key, t, learn);
  }

  /** Whether a token's stem is a feature of the learned space (not unseen, not dropped by `minDf`). */
  private isKnownWord(t: TokenFeatures): boolean {
    return t.word >= 0 && this.final[t.word]! >= 0;
  }

  private remember(key: string, t: TokenFeatures, learn: boolean): TokenFeatures {
    if (learn || this.tokens.size < CACHE_LIMIT) this.tokens.set(key, t);
    return t;
  }

  private analyse(token: string, language: string, learn: boolean): TokenFeatures {
    const s = stem(token, language);
    const functionWord = this.opts.functionWordsInBigramsOnly && isFunctionWord(token, language);
    const grams = functionWord ? [] : charNgrams([token], this.opts.charMin, this.opts.charMax);
    const t: TokenFeatures = {
      stem: s,
      word: functionWord ? FUNCTION_WORD : this.intern(`${WORD}${s}`, WORD, learn),
      grams: Int32Array.from(grams, (g) => this.intern(`${CHAR}${g}`, CHAR, learn)),
    };
    return t;
  }

  private intern(key: string, block: number, learn: boolean): number {
    const id = this.interned.get(key);
    if (id !== undefined || !learn) return id ?? -1;
    this.interned.set(key, this.internedBlock.length);
    this.internedBlock.push(block);
    return this.internedBlock.length - 1;
  }

  private vectorise({ features, words, unknown }: RawText): Featurised {
    const counts = this.counts;
    const present: number[] = [];
    for (const f of features) {
      const i = f < 0 ? -1 : this.final[f]!;
      if (i < 0) continue;
      if (counts[i] === 0) present.push(i);
      counts[i]!++;
    }
    const norms = [0, 0, 0];
    const idx = Int32Array.from(present);
    const val = new Float32Array(present.length);
    for (let j = 0; j < present.length; j++) {
      const i = present[j]!;
      val[j] = (1 + Math.log(counts[i]!)) * this.idf[i]!;
      counts[i] = 0;
      norms[this.blocks[i]!]! += val[j]! ** 2;
    }
    // Each block to its weight, then the whole vector to unit length (so a dot product is a cosine).
    let total = 0;
    for (let b = 0; b < BLOCKS; b++) if (norms[b]! > 0) total += this.weights[b]! ** 2;
    const scale = norms.map((n, b) => (n > 0 ? this.weights[b]! / Math.sqrt(n * total) : 0));
    for (let j = 0; j < idx.length; j++) val[j] = val[j]! * scale[this.blocks[idx[j]!]!]!;
    return { vector: { idx, val }, unknownWords: words ? Math.min(1, unknown / words) : 1, tokens: words };
  }
}
