import { decide, predictedEntry } from './decide.ts';
import type { Thresholds } from './decide.ts';
import type { Matcher } from './matcher.ts';

/**
 * Evaluation metrics of a matcher on labelled queries, shared by `passerelle kb eval` and the CLINC150
 * bench. `computeMetrics()` is pure (tested on a hand-computed example); `evaluate()` runs the matcher
 * and times it.
 */

/** A labelled query: the entry it should reach, or `null` when it must be declined. */
export interface EvalQuery {
  text: string;
  expected: string | null;
}

/** What the matcher did with one query. */
export interface Outcome {
  expected: string | null;
  /** The entry the decision points at (`null` for out of scope); for `choose`, the first button. */
  predicted: string | null;
  /** Candidate ids best first, whatever the decision (for recall@k and MRR). */
  ranking: readonly string[];
  decision: 'answer' | 'choose' | 'out_of_scope';
}

/** The `kb eval --json` object. Rates are 0..1; a rate with no denominator is `null`. */
export interface KbMetrics {
  queries: number;
  inScope: number;
  outOfScope: number;
  /** In-scope queries whose decision points at the expected entry (declining one counts as wrong). */
  inScopeAccuracy: number | null;
  /** Out-of-scope queries declined. */
  oosRecall: number | null;
  /** Declined queries that were really out of scope. */
  oosPrecision: number | null;
  /** Mean F1 over every label seen in expectations or predictions, out-of-scope being one label. */
  macroF1: number | null;
  /** In-scope queries whose expected entry is first / in the top 3 of the ranking, and mean reciprocal rank. */
  recallAt1: number | null;
  recallAt3: number | null;
  mrr: number | null;
  decisions: { answer: number; choose: number; out_of_scope: number };
  /** Wall-clock time of rank + decide per query. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Process CPU time per query: the latency without the waits of a busy machine. */
  cpuMs: { p50: number; p99: number };
  buildMs: number;
  calibrationMs: number;
  thresholds: Thresholds;
}

const OOS = '\u0000out_of_scope';

const rate = (n: number, d: number): number | null => (d ? n / d : null);

/** The q-quantile (0..1) of a list of numbers, nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Metrics from outcomes (pure). `timing` carries latencies and build times when measured. */
export function computeMetrics(
  outcomes: readonly Outcome[],
  timing: {
    latenciesMs: readonly number[];
    cpuMs?: readonly number[];
    buildMs: number;
    calibrationMs: number;
  },
  thresholds: Thresholds,
): KbMetrics {
  const inScope = outcomes.filter((o) => o.expected !== null);
  const oos = outcomes.filter((o) => o.expected === null);
  const declined = outcomes.filter((o) => o.predicted === null);
  let r1 = 0;
  let r3 = 0;
  let rr = 0;
  for (const o of inScope) {
    const at = o.ranking.indexOf(o.expected!);
    if (at === 0) r1++;
    if (at >= 0 && at < 3) r3++;
    if (at >= 0) rr += 1 / (at + 1);
  }
  const decisions = { answer: 0, choose: 0, out_of_scope: 0 };
  for (const o of outcomes) decisions[o.decision]++;
  return {
    queries: outcomes.length,
    inScope: inScope.length,
    outOfScope: oos.length,
    inScopeAccuracy: rate(inScope.filter((o) => o.predicted === o.expected).length, inScope.length),
    oosRecall: rate(oos.filter((o) => o.predicted === null).length, oos.length),
    oosPrecision: rate(declined.filter((o) => o.expected === null).length, declined.length),
    macroF1: macroF1(outcomes),
    recallAt1: rate(r1, inScope.length),
    recallAt3: rate(r3, inScope.length),
    mrr: rate(rr, inScope.length),
    decisions,
    latencyMs: {
      p50: quantile(timing.latenciesMs, 0.5),
      p99: quantile(timing.latenciesMs, 0.99),
      max: quantile(timing.latenciesMs, 1),
    },
    cpuMs: { p50: quantile(timing.cpuMs ?? [], 0.5), p99: quantile(timing.cpuMs ?? [], 0.99) },
    buildMs: timing.buildMs,
    calibrationMs: timing.calibrationMs,
    thresholds,
  };
}

function macroF1(outcomes: readonly Outcome[]): number | null {
  const tp = new Map<string, number>();
  const gold = new Map<string, number>();
  const pred = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const o of outcomes) {
    const g = o.expected ?? OOS;
    const p = o.predicted ?? OOS;
    inc(gold, g);
    inc(pred, p);
    if (g === p) inc(tp, g);
  }
  const labels = new Set([...gold.keys(), ...pred.keys()]);
  if (!labels.size) return null;
  let sum = 0;
  for (const l of labels) {
    const t = tp.get(l) ?? 0;
    const denominator = (gold.get(l) ?? 0) + (pred.get(l) ?? 0);
    sum += denominator ? (2 * t) / denominator : 0;
  }
  return sum / labels.size;
}

/** Runs every query through `rank()` + `decide()`, timing each, and computes the metrics. */
export function evaluate(
  matcher: Matcher,
  queries: readonly EvalQuery[],
  thresholds = matcher.thresholds,
): KbMetrics {
  const outcomes: Outcome[] = [];
  const latenciesMs: number[] = [];
  const cpuMs: number[] = [];
  // Warm the JIT on a few queries so the first ones do not dominate p99.
  for (const q of queries.slice(0, 20)) decide(matcher.rank(q.text, { k: 10 }), thresholds);
  for (const q of queries) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const ranked = matcher.rank(q.text, { k: 10 });
    const decision = decide(ranked, thresholds);
    latenciesMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    outcomes.push({
      expected: q.expected,
      predicted: predictedEntry(decision),
      ranking: ranked.candidates.map((c) => c.id),
      decision: decision.kind,
    });
  }
  return computeMetrics(
    outcomes,
    { latenciesMs, cpuMs, buildMs: matcher.stats.buildMs, calibrationMs: matcher.stats.calibrationMs },
    thresholds,
  );
}
