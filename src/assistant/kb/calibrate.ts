import { confidenceOf, fitCalibrator } from './calibrator.ts';
import type { CalibrationRow, CalibratorWeights } from './calibrator.ts';
import type { Thresholds } from './decide.ts';
import { EntryModel } from './model.ts';
import type { Candidate, ModelOptions } from './model.ts';
import { Random } from './random.ts';
import type { IndexedQuestion } from './retrieval.ts';

/**
 * The calibration procedure (docs/kb-matcher.md, "Thresholds"): stratified k-fold cross-validation
 * over the KB's own example questions, plus out-of-scope sentences (a built-in generic set per language,
 * or a labelled set such as CLINC150's `oos_train`) scored by every fold's model. The held-out evidence
 * trains the calibrator; the calibrated held-out confidences then fix the thresholds by a stated
 * objective. Everything is seeded, so the same KB and seed always give the same thresholds.
 */

export interface CalibrationOptions {
  /** Folds of the cross-validation (capped by the largest number of questions of one entry). */
  folds: number;
  seed: number;
  /** Messages that must be declined, in the KB's languages. */
  outOfScope: readonly { text: string; language: string }[];
  /**
   * Assumed share of out-of-scope messages in real traffic (0..1). The scope threshold minimises the
   * expected number of wrong outcomes at this share; 0.5 would weigh both kinds of message equally.
   */
  oosShare: number;
  /**
   * A floor instead of `oosShare`: `scope` is the lowest threshold at which the held-out out-of-scope
   * sentences declined reach this share with 95% confidence (one-sided Wilson bound over the distinct
   * sentences), so that the floor holds on unseen messages, not only on these. The lowest such
   * threshold answers the most in-scope messages. For a requirement stated as "decline at least this
   * share of off-topic messages, and answer as much as possible otherwise".
   */
  minOosRecall?: number;
  /** Direct answers must be right this often on held-out data (messages weighted by `oosShare`). */
  answerPrecision: number;
  /** Copied into the thresholds (presentation choice, see `Thresholds.closeRatio`). */
  closeRatio: number;
}

export const DEFAULT_CALIBRATION: Omit<CalibrationOptions, 'outOfScope'> = {
  folds: 5,
  seed: 1,
  oosShare: 0.2,
  answerPrecision: 0.9,
  closeRatio: 0.5,
};

/** One held-out message: its candidates' evidence and the right entry (`null`: out of scope). */
export interface HeldOut {
  candidates: Candidate[];
  expected: number | null;
  /** For an out-of-scope message: which sentence (each is scored once per fold). */
  sentence?: number;
}

/** Stratified fold of each question: each entry's questions are spread over the folds in seeded order. */
export function assignFolds(questions: readonly IndexedQuestion[], folds: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const fold = new Int32Array(questions.length);
  const byEntry = new Map<number, number[]>();
  questions.forEach((q, i) => byEntry.set(q.entry, [...(byEntry.get(q.entry) ?? []), i]));
  let offset = 0;
  for (const list of byEntry.values()) {
    rng.shuffle(list);
    list.forEach((i, k) => (fold[i] = (offset + k) % folds));
    offset += list.length;
  }
  return fold;
}

/** Runs the cross-validation and returns every held-out message's evidence. */
export function crossValidate(
  questions: readonly IndexedQuestion[],
  entries: number,
  opts: CalibrationOptions,
  model: ModelOptions,
): HeldOut[] {
  const perEntry = new Map<number, number>();
  for (const q of questions) perEntry.set(q.entry, (perEntry.get(q.entry) ?? 0) + 1);
  const k = Math.max(2, Math.min(opts.folds, Math.max(...perEntry.values())));
  const fold = assignFolds(questions, k, opts.seed);
  const out: HeldOut[] = [];
  for (let f = 0; f < k; f++) {
    const train = questions.filter((_, i) => fold[i] !== f);
    const known = new Set(train.map((q) => q.entry));
    if (!train.length) continue;
    const m = new EntryModel(train, entries, model);
    questions.forEach((q, i) => {
      // An entry with no question left in training cannot be found: not a fair test of the thresholds.
      if (fold[i] === f && known.has(q.entry))
        out.push({ candidates: m.candidates(q.text, q.language), expected: q.entry });
    });
    opts.outOfScope.forEach((o, sentence) =>
      out.push({ candidates: m.candidates(o.text, o.language), expected: null, sentence }),
    );
  }
  return out;
}

/** One held-out message after calibration: its top confidence, whether the top entry was right. */
export interface HeldOutPoint {
  confidence: number;
  correct: boolean;
  oos: boolean;
  /** Out-of-scope messages: the sentence scored (the same sentence comes back once per fold). */
  sentence?: number;
}

/** Cross-validation estimates at the chosen thresholds (not a test: the same data chose them). */
export interface HeldOutSummary {
  inScope: number;
  outOfScope: number;
  accuracy: number;
  oosRecall: number;
  /**
   * With a floor (`minOosRecall`): false when even declining every held-out out-of-scope message could
   * not show it (too few sentences), and the threshold declines them all.
   */
  floorReached?: boolean;
}

/** The calibrator and thresholds learned from held-out evidence, with what the choice rested on. */
export interface Calibration {
  calibrator: CalibratorWeights;
  thresholds: Thresholds;
  heldOut: HeldOutSummary;
  /** Every held-out message's calibrated top confidence (to re-derive thresholds for another objective). */
  points: HeldOutPoint[];
}

/**
 * Fits the calibrator on held-out candidates (out-of-scope messages re-weighted so both kinds of message
 * weigh the same), then chooses the thresholds (`chooseThresholds`).
 */
export function calibrate(
  heldOut: readonly HeldOut[],
  opts: Omit<CalibrationOptions, 'outOfScope'>,
): Calibration {
  const inScope = heldOut.filter((h) => h.expected !== null).length;
  const oosWeight = inScope / (heldOut.length - inScope || inScope || 1) || 1;
  const rows: CalibrationRow[] = [];
  for (const h of heldOut)
    for (const c of h.candidates)
      rows.push({
        evidence: c.evidence,
        correct: c.entry === h.expected,
        weight: h.expected === null ? oosWeight : 1,
      });
  const calibrator = fitCalibrator(rows);
  const points = heldOut.map((h) => {
    const top = h.candidates
      .map((c) => ({ entry: c.entry, confidence: confidenceOf(calibrator, c.evidence) }))
      .sort((a, b) => b.confidence - a.confidence)[0];
    return {
      confidence: top?.confidence ?? 0,
      correct: top !== undefined && top.entry === h.expected,
      oos: h.expected === null,
      ...(h.sentence !== undefined && { sentence: h.sentence }),
    };
  });
  return { calibrator, points, ...chooseThresholds(points, opts) };
}

/**
 * Picks `scope` to maximise (1 - s) * in-scope accuracy + s * out-of-scope recall over the held-out
 * messages, s = `oosShare` (the expected share of right outcomes in traffic with that share of
 * out-of-scope messages) — or, with `minOosRecall`, as the lowest threshold that meets that floor (see
 * `floorScope`) — and `answer` as the lowest threshold >= `scope` whose direct answers reach
 * `answerPrecision` under the `oosShare` weighting.
 */
export function chooseThresholds(
  points: readonly HeldOutPoint[],
  opts: Omit<CalibrationOptions, 'outOfScope'>,
): { thresholds: Thresholds; heldOut: HeldOutSummary } {
  const inScope = points.filter((p) => !p.oos).length;
  const oos = points.length - inScope;
  // Per-message weights: in-scope messages share 1 - s, out-of-scope messages share s.
  const share = oos ? opts.oosShare : 0;
  const wIn = inScope ? (1 - share) / inScope : 0;
  const wOos = oos ? share / oos : 0;
  const floor = oos && opts.minOosRecall !== undefined ? opts.minOosRecall : undefined;
  const scope: { threshold: number; accuracy: number; recall: number; reached?: boolean } =
    floor === undefined ? bestScope(points, wIn, wOos) : floorScope(points, floor);
  const answer = answerThreshold(points, scope.threshold, wIn, wOos, opts.answerPrecision);
  const reached = scope.reached;
  const objective =
    floor === undefined
      ? `oosShare ${share}`
      : `out-of-scope recall >= ${floor} at 95% confidence${reached === false ? ' (not reachable: every held-out out-of-scope message declined)' : ''}`;
  return {
    thresholds: {
      scope: scope.threshold,
      answer,
      closeRatio: opts.closeRatio,
      source: `${opts.folds}-fold CV, ${inScope} in-scope + ${oos} out-of-scope held-out messages, ${objective}, seed ${opts.seed}`,
    },
    heldOut: {
      inScope,
      outOfScope: oos,
      accuracy: scope.accuracy,
      oosRecall: scope.recall,
      ...(reached !== undefined && { floorReached: reached }),
    },
  };
}

type Point = HeldOutPoint;

/**
 * The confidence just above point `i` in a sorted sweep. After the last point it is 1, or 2 when that
 * point is at 1 itself: `decide()` declines below the threshold, so declining a message at confidence 1
 * takes a threshold above 1.
 */
function nextAbove(sorted: readonly Point[], i: number): number {
  const next = sorted[i + 1];
  if (next) return next.confidence;
  return sorted[i]!.confidence < 1 ? 1 : 2;
}

/**
 * The thresholds worth trying, lowest first: below every point, then just above each distinct
 * confidence (`from`, with `to` the next confidence up: any threshold in between declines the same
 * messages). With each, the counts at that threshold: right in-scope answers kept, out-of-scope
 * messages declined.
 */
function* sweep(sorted: readonly Point[]) {
  let correctAbove = sorted.filter((p) => !p.oos && p.correct).length;
  let oosBelow = 0;
  yield { from: 0, to: sorted[0]?.confidence ?? 0, correctAbove, oosBelow };
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (p.oos) oosBelow++;
    else if (p.correct) correctAbove--;
    const next = nextAbove(sorted, i);
    if (next !== p.confidence) yield { from: p.confidence, to: next, correctAbove, oosBelow };
  }
}

/** Counts of held-out messages, and the sweep over them sorted by confidence. */
function sorted(points: readonly Point[]) {
  const list = [...points].sort((a, b) => a.confidence - b.confidence);
  const inScope = list.filter((p) => !p.oos).length;
  return { list, inScope, oos: list.length - inScope };
}

/** Sweeps every distinct confidence as a threshold; ties resolve to the middle of the best plateau. */
function bestScope(points: readonly Point[], wIn: number, wOos: number) {
  const { list, inScope, oos } = sorted(points);
  let best: { from: number; to: number; accuracy: number; recall: number } | undefined;
  let bestValue = -Infinity;
  for (const t of sweep(list)) {
    const value = t.correctAbove * wIn + t.oosBelow * wOos;
    if (value > bestValue + 1e-12) {
      bestValue = value;
      const accuracy = t.correctAbove / (inScope || 1);
      best = { from: t.from, to: t.to, accuracy, recall: t.oosBelow / (oos || 1) };
    } else if (Math.abs(value - bestValue) <= 1e-12 && best!.to === t.from) best!.to = t.to;
  }
  return { threshold: (best!.from + best!.to) / 2, accuracy: best!.accuracy, recall: best!.recall };
}

/** One-sided lower confidence bound of a proportion (Wilson score interval), z = 1.645 for 95%. */
export function wilsonLower(successes: number, n: number, z = 1.645): number {
  if (n <= 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * The lowest threshold whose declined held-out out-of-scope messages reach `floor` with 95% confidence.
 * Each sentence is scored once per fold, so the bound counts distinct sentences, not scorings (the
 * scorings of one sentence are not independent evidence). Ties resolve to the middle of the gap above
 * the last point declined. When even declining every held-out out-of-scope message does not reach the
 * bound (too few sentences for the floor), the threshold declines them all and `reached` is false.
 */
function floorScope(points: readonly Point[], floor: number) {
  const { list, inScope, oos } = sorted(points);
  const sentences = new Set(list.filter((p) => p.oos).map((p, i) => p.sentence ?? -1 - i)).size;
  let last;
  for (const t of sweep(list)) {
    last = {
      threshold: (t.from + t.to) / 2,
      accuracy: t.correctAbove / (inScope || 1),
      recall: t.oosBelow / (oos || 1),
      reached: true,
    };
    // The recall of sentences, as a fraction of `sentences` (every sentence weighs the same).
    if (wilsonLower((t.oosBelow / oos) * sentences, sentences) >= floor) return last;
    if (t.oosBelow === oos) break;
  }
  return { ...last!, reached: false };
}

/** The lowest threshold >= `scope` whose answered held-out messages are right `target` of the time. */
function answerThreshold(points: readonly Point[], scope: number, wIn: number, wOos: number, target: number) {
  const sorted = points.filter((p) => p.confidence >= scope).sort((a, b) => a.confidence - b.confidence);
  let right = 0;
  let wrong = 0;
  for (const p of sorted) {
    if (p.oos) wrong += wOos;
    else if (p.correct) right += wIn;
    else wrong += wIn;
  }
  // Raise the threshold one distinct confidence at a time, dropping the points below it.
  for (let i = 0; i < sorted.length;) {
    if (right + wrong > 0 && right / (right + wrong) >= target)
      return i === 0 ? scope : sorted[i]!.confidence;
    const c = sorted[i]!.confidence;
    for (; i < sorted.length && sorted[i]!.confidence === c; i++) {
      const p = sorted[i]!;
      if (p.oos) wrong -= wOos;
      else if (p.correct) right -= wIn;
      else wrong -= wIn;
    }
  }
  return Math.max(scope, sorted.length ? sorted[sorted.length - 1]!.confidence : 1);
}
