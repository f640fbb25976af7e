import { DEFAULT_SOFTMAX, NaiveBayesModel, softmax, trainSoftmax } from './classifier.ts';
import type { SoftmaxModel, SoftmaxOptions } from './classifier.ts';
import { DEFAULT_FEATURES, FeatureSpace } from './features.ts';
import type { FeatureOptions } from './features.ts';
import { ExampleSimilarity, byClass, rivalsByCentroid, topK } from './neighbours.ts';
import { Retrieval } from './retrieval.ts';
import type { IndexedQuestion } from './retrieval.ts';

/**
 * The evidence half of the matcher: everything learned at load time from the example questions (TF-IDF
 * features, a softmax classifier, nearest example questions, a MiniSearch index), and for a message the
 * short list of candidate entries each with its raw evidence. Turning evidence into one calibrated
 * confidence is `calibrate.ts`'s job; this file knows nothing about thresholds.
 */

/** Model knobs. The defaults were chosen on a hold-out of CLINC150's train split (never on val). */
export interface ModelOptions {
  features: FeatureOptions;
  softmax: SoftmaxOptions;
  /** Rival classes per training example (restricted softmax). */
  rivals: number;
  /**
   * Naive Bayes mixed into the ranking: candidates are the likeliest by `logits + weight * naive-Bayes
   * scores` (`NaiveBayesModel`, additive `smoothing`); 0 turns it off, and so does a sparse KB (see
   * `functionWordsBelow`). Measured on CLINC150's train hold-outs: raw recall@1 +0.4 ("block") and +0.5
   * ("fifth") points, mean of three seeds.
   */
  naiveBayes: { weight: number; smoothing: number };
  /** Candidates per message handed to the calibrator. */
  candidates: number;
  /** SGD steps at least this many (small KBs get more epochs). */
  minSteps: number;
  /**
   * `features.functionWordsInBigramsOnly` is decided from the data unless set: on when entries have
   * fewer than this many example questions on average. Measured: on the 4-language sample KB (~10
   * questions per entry) it lifts cross-validated recall@1 from 47% to 63%; on CLINC150 (100 per
   * entry) it costs 1.3 points, because with enough data the model learns which function words matter.
   */
  functionWordsBelow: number;
}

export const DEFAULT_MODEL: ModelOptions = {
  features: DEFAULT_FEATURES,
  softmax: DEFAULT_SOFTMAX,
  rivals: 16,
  naiveBayes: { weight: 0.2, smoothing: 0.01 },
  candidates: 5,
  minSteps: 4000,
  functionWordsBelow: 20,
};

/** Names of the evidence features, in order (documentation, and the calibrator's weights report). */
export const EVIDENCE = [
  'logProbability',
  'logit',
  'margin',
  'nearestQuestion',
  'nearestThree',
  'retrievalRelative',
  'retrievalAbsolute',
  'unknownWords',
  'isTop',
  'entropy',
  'naiveBayesFit',
] as const;

/** One candidate entry for a message, with its evidence vector (see `EVIDENCE`). */
export interface Candidate {
  entry: number;
  evidence: Float64Array;
}

/** A model learned from example questions; `candidates()` is the per-message hot path. */
export class EntryModel {
  readonly space: FeatureSpace;
  private readonly classifier: SoftmaxModel;
  private readonly bayes: NaiveBayesModel | undefined;
  private readonly similarity: ExampleSimilarity;
  private readonly retrieval: Retrieval;
  private readonly logits: Float32Array;
  private readonly bayesLogits: Float32Array;
  private readonly mixed: Float32Array;
  private readonly bm25: Float32Array;

  constructor(
    questions: readonly IndexedQuestion[],
    readonly entries: number,
    readonly opts: ModelOptions = DEFAULT_MODEL,
  ) {
    const sparse = questions.length < opts.functionWordsBelow * entries;
    this.space = new FeatureSpace(questions, { ...opts.features, functionWordsInBigramsOnly: sparse });
    const xs = this.space.trainVectors.map((f) => f.vector);
    const ys = Int32Array.from(questions, (q) => q.entry);
    const rivals = rivalsByCentroid(xs, ys, entries, (f) => this.space.isWordLevel(f), opts.rivals);
    const epochs = Math.max(opts.softmax.epochs, Math.ceil(opts.minSteps / Math.max(1, xs.length)));
    // Dropout pays when each entry has many redundant phrasings to spread the weight over (CLINC150:
    // +0.6 points of recall@1 on a train hold-out); on a sparse KB (the same rule as for function words)
    // it cost the bakery test KB a choice between close entries and an out-of-scope decline.
    const dropout = sparse ? 0 : opts.softmax.dropout;
    this.classifier = trainSoftmax(xs, ys, rivals, this.space.size, entries, {
      ...opts.softmax,
      epochs,
      dropout,
    });
    // Naive Bayes in the ranking: measured on CLINC150 (100 questions per entry); on a sparse KB (the
    // same rule again) it turned the bakery test KB's choice between two close entries into an answer.
    const nb = opts.naiveBayes;
    this.bayes =
      nb.weight > 0 && !sparse
        ? new NaiveBayesModel(xs, ys, this.space.size, entries, nb.smoothing)
        : undefined;
    this.similarity = new ExampleSimilarity(xs, byClass(ys, entries), this.space.size);
    this.retrieval = new Retrieval(questions, sparse);
    this.logits = new Float32Array(entries);
    this.bayesLogits = new Float32Array(entries);
    this.mixed = new Float32Array(entries);
    this.bm25 = new Float32Array(entries);
  }

  /** Distinct features of the classifier (stemmed words, bigrams, character n-grams). */
  get vocabulary(): number {
    return this.space.size;
  }

  /**
   * The likeliest entries for a message, best first by the classifier (mixed with naive Bayes), with
   * their evidence. None when the message shares no feature with any example question ("hello",
   * "asdf"): nothing to match on.
   */
  candidates(text: string, language: string): Candidate[] {
    const { vector, unknownWords } = this.space.featurise(text, language);
    if (!vector.idx.length) return [];
    const logits = this.classifier.logits(vector, this.logits);
    const raw = Float64Array.from(logits);
    // Candidates and their order come from the logits plus weighted naive-Bayes scores; the evidence
    // stays the discriminative model's (naive-Bayes figures as evidence moved the calibrated operating
    // point towards out-of-scope recall, at a lower in-scope accuracy: docs/kb-matcher.md).
    const mixed = this.mixed;
    let mass = 0;
    for (let j = 0; j < vector.val.length; j++) mass += vector.val[j]!;
    if (this.bayes) {
      const nb = this.bayes.logits(vector, this.bayesLogits);
      const weight = this.opts.naiveBayes.weight;
      for (let c = 0; c < this.entries; c++) mixed[c] = raw[c]! + weight * nb[c]!;
    } else mixed.set(logits);
    const p = softmax(logits);
    let entropy = 0;
    for (const q of p) if (q > 0) entropy -= q * Math.log(q);
    const top = topK(mixed, Math.min(this.opts.candidates, this.entries));
    const best = top[0]!;
    const second = top.length > 1 ? top[1]! : best;
    const bm25Max = this.retrieval.scores(text, language, this.bm25);
    this.similarity.load(vector);
    return Array.from(top, (c, rank) => {
      const rival = c === best ? second : best;
      const [nearest, nearestThree] = this.similarity.nearest(c);
      const evidence = Float64Array.of(
        Math.log(Math.max(p[c]!, 1e-6)),
        raw[c]!,
        c === rival ? 0 : raw[c]! - raw[rival]!,
        nearest,
        nearestThree,
        bm25Max > 0 ? this.bm25[c]! / bm25Max : 0,
        Math.log1p(this.bm25[c]!),
        unknownWords,
        rank === 0 ? 1 : 0,
        entropy,
        this.bayes && mass > 0 ? this.bayesLogits[c]! / mass : 0,
      );
      return { entry: c, evidence };
    });
  }
}
