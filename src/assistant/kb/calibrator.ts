/**
 * Turns a candidate's evidence vector into one calibrated confidence: the probability, estimated on
 * held-out data, that this candidate is the right entry for the message. A logistic regression over
 * standardised evidence, fitted by Newton's method (IRLS) with a small ridge penalty — exact and
 * deterministic, and with a dozen weights it cannot overfit the few hundred out-of-scope examples.
 */

/** One training row: a candidate's evidence, whether it was right, and the row's weight. */
export interface CalibrationRow {
  evidence: Float64Array;
  correct: boolean;
  weight: number;
}

/** A fitted calibrator; serialisable (plain numbers) so thresholds and weights can be logged. */
export interface CalibratorWeights {
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
}

/** The probability that a candidate with this evidence is right. */
export function confidenceOf(c: CalibratorWeights, evidence: Float64Array): number {
  let z = c.bias;
  for (let j = 0; j < c.weights.length; j++) z += (c.weights[j]! * (evidence[j]! - c.mean[j]!)) / c.scale[j]!;
  return 1 / (1 + Math.exp(-z));
}

/** Fits the calibrator on held-out rows (see `calibrate.ts` for where rows come from). */
export function fitCalibrator(
  rows: readonly CalibrationRow[],
  ridge = 1e-3,
  iterations = 25,
): CalibratorWeights {
  const d = rows[0]?.evidence.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  let total = 0;
  for (const r of rows) {
    total += r.weight;
    for (let j = 0; j < d; j++) mean[j]! += r.weight * r.evidence[j]!;
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / (total || 1);
  for (const r of rows) for (let j = 0; j < d; j++) scale[j]! += r.weight * (r.evidence[j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]! / (total || 1)) || 1;

  // beta = [weights..., bias]; Newton steps on the weighted, ridge-penalised log-likelihood.
  const n = d + 1;
  const beta = new Float64Array(n);
  const x = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    const h = Array.from({ length: n }, () => new Float64Array(n));
    const g = new Float64Array(n);
    for (const r of rows) {
      for (let j = 0; j < d; j++) x[j] = (r.evidence[j]! - mean[j]!) / scale[j]!;
      x[d] = 1;
      let z = 0;
      for (let j = 0; j < n; j++) z += beta[j]! * x[j]!;
      const p = 1 / (1 + Math.exp(-z));
      const err = ((r.correct ? 1 : 0) - p) * r.weight;
      const curv = Math.max(p * (1 - p), 1e-9) * r.weight;
      for (let a = 0; a < n; a++) {
        g[a]! += err * x[a]!;
        for (let b = 0; b <= a; b++) h[a]![b]! += curv * x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) h[a]![b] = h[b]![a]!;
      const penalty = a < d ? ridge * total : 1e-9 * total;
      h[a]![a]! += penalty;
      g[a]! -= penalty * beta[a]!;
    }
    const step = solve(h, g);
    let change = 0;
    for (let j = 0; j < n; j++) {
      beta[j]! += step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-7) break;
  }
  return { mean, scale, weights: Array.from(beta.subarray(0, d)), bias: beta[d]! };
}

/** Solves A x = b for a small symmetric positive-definite A (Gaussian elimination, partial pivoting). */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const m = a.map((row, i) => Float64Array.of(...row, b[i]!));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]! || 1e-12;
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= m[r]![c]! * x[c]!;
    x[r] = s / (m[r]![r]! || 1e-12);
  }
  return x;
}
