import type { SparseVector } from './features.ts';

/**
 * Similarity-based views of the training questions, used beside the linear model: class centroids
 * (to pick each example's rivals for training, and as a calibration input) and the nearest example
 * question of a candidate entry (distance to the nearest known question is a classic out-of-scope
 * signal that a linear model's probabilities miss).
 */

/** Example indices grouped by class. */
export function byClass(ys: ArrayLike<number>, classes: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < ys.length; i++) lists[ys[i]!]!.push(i);
  return lists.map((l) => Int32Array.from(l));
}

/**
 * For each training example, the `k` classes whose word-level centroid is closest to it (its own class
 * included when close). Only word and word-bigram features are used: cheap, and enough to find the
 * classes an example could be confused with.
 */
export function rivalsByCentroid(
  xs: readonly SparseVector[],
  ys: ArrayLike<number>,
  classes: number,
  wordLevel: (feature: number) => boolean,
  k: number,
): Int32Array[] {
  let features = 0;
  for (const x of xs) for (const f of x.idx) if (f >= features) features = f + 1;
  const rowOf = new Int32Array(features).fill(-1);
  let rows = 0;
  for (const x of xs) for (const f of x.idx) if (rowOf[f] === -1 && wordLevel(f)) rowOf[f] = rows++;
  const C = classes;
  const m = new Float32Array(rows * C);
  xs.forEach((x, i) => {
    for (let j = 0; j < x.idx.length; j++) {
      const r = rowOf[x.idx[j]!]!;
      if (r >= 0) m[r * C + ys[i]!] = m[r * C + ys[i]!]! + x.val[j]!;
    }
  });
  const scores = new Float32Array(C);
  return xs.map((x) => {
    scores.fill(0);
    for (let j = 0; j < x.idx.length; j++) {
      const r = rowOf[x.idx[j]!]!;
      if (r < 0) continue;
      const base = r * C;
      const v = x.val[j]!;
      for (let c = 0; c < C; c++) scores[c] = scores[c]! + m[base + c]! * v;
    }
    return topK(scores, k);
  });
}

/** Indices of the `k` largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): Int32Array {
  const n = Math.min(k, values.length);
  const top = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (size === n && v <= values[top[n - 1]!]!) continue;
    let j = size < n ? size++ : n - 1;
    while (j > 0 && values[top[j - 1]!]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top;
}

/**
 * Similarity of a query to a class's example questions. The query is scattered once into a dense
 * vector (`load`), then each candidate costs one pass over its examples' non-zeros.
 */
export class ExampleSimilarity {
  private readonly dense: Float32Array;
  private loaded: SparseVector | undefined;

  constructor(
    private readonly xs: readonly SparseVector[],
    private readonly examples: readonly Int32Array[],
    features: number,
  ) {
    this.dense = new Float32Array(features);
  }

  /** Makes `q` the current query (and clears the previous one). */
  load(q: SparseVector): void {
    if (this.loaded) for (const f of this.loaded.idx) this.dense[f] = 0;
    for (let j = 0; j < q.idx.length; j++) this.dense[q.idx[j]!] = q.val[j]!;
    this.loaded = q;
  }

  /**
   * Cosines of the current query with the nearest and the three nearest example questions of class
   * `c` (mean): `[nearest, meanOfThree]`. One close question may be a fluke; three are a pattern.
   */
  nearest(c: number): [number, number] {
    let a = 0;
    let b = 0;
    let e = 0;
    const d = this.dense;
    for (const i of this.examples[c]!) {
      const { idx, val } = this.xs[i]!;
      let s = 0;
      for (let j = 0; j < idx.length; j++) s += val[j]! * d[idx[j]!]!;
      if (s > a) [a, b, e] = [s, a, b];
      else if (s > b) [b, e] = [s, b];
      else if (s > e) e = s;
    }
    return [a, (a + b + e) / 3];
  }
}
