import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../src/assistant/kb/decide.ts';
import { computeMetrics, quantile } from '../../src/assistant/kb/eval.ts';
import type { Outcome } from '../../src/assistant/kb/eval.ts';

// Five queries, worked by hand:
//  1. a → a (ranking a,b)      correct, rank 1
//  2. a → b (ranking b,a)      wrong,   rank 2
//  3. b → null (ranking c,b)   declined (wrong), rank 2 of b
//  4. null → null              out of scope, declined
//  5. null → a (ranking a)     out of scope, answered
const outcomes: Outcome[] = [
  { expected: 'a', predicted: 'a', ranking: ['a', 'b'], decision: 'answer' },
  { expected: 'a', predicted: 'b', ranking: ['b', 'a'], decision: 'choose' },
  { expected: 'b', predicted: null, ranking: ['c', 'b'], decision: 'out_of_scope' },
  { expected: null, predicted: null, ranking: ['c'], decision: 'out_of_scope' },
  { expected: null, predicted: 'a', ranking: ['a'], decision: 'answer' },
];

describe('evaluation metrics', () => {
  const m = computeMetrics(
    outcomes,
    { latenciesMs: [1, 2, 3, 4, 100], buildMs: 12, calibrationMs: 34 },
    DEFAULT_THRESHOLDS,
  );

  it('counts in-scope accuracy, out-of-scope recall and precision', () => {
    expect(m).toMatchObject({ queries: 5, inScope: 3, outOfScope: 2 });
    expect(m.inScopeAccuracy).toBeCloseTo(1 / 3);
    expect(m.oosRecall).toBeCloseTo(1 / 2);
    expect(m.oosPrecision).toBeCloseTo(1 / 2);
  });

  it('averages F1 over every label, out of scope included', () => {
    // a: tp 1, gold 2, pred 2 → 0.5; b: tp 0 → 0; c never appears as a label; oos: tp 1, gold 2, pred 2 → 0.5.
    expect(m.macroF1).toBeCloseTo((0.5 + 0 + 0.5) / 3);
  });

  it('computes recall@1, recall@3 and MRR over in-scope rankings', () => {
    expect(m.recallAt1).toBeCloseTo(1 / 3);
    expect(m.recallAt3).toBeCloseTo(1);
    expect(m.mrr).toBeCloseTo((1 + 0.5 + 0.5) / 3);
  });

  it('reports latency percentiles, decisions and build times', () => {
    expect(m.latencyMs).toEqual({ p50: 3, p99: 100, max: 100 });
    expect(m.decisions).toEqual({ answer: 2, choose: 1, out_of_scope: 2 });
    expect(m).toMatchObject({ buildMs: 12, calibrationMs: 34 });
  });

  it('reports a rate without a denominator as null', () => {
    const none = computeMetrics([], { latenciesMs: [], buildMs: 0, calibrationMs: 0 }, DEFAULT_THRESHOLDS);
    expect(none.inScopeAccuracy).toBeNull();
    expect(none.oosRecall).toBeNull();
    expect(quantile([], 0.5)).toBe(0);
  });
});
