import type { SparseVector } from './features.ts';

/**
 * Similarity-based views of the training questions, used beside the linear model: class centroids
 * (to pick each example's rivals for training, and as a calibration input) and the nearest example
 * question of a candidate entry (distance to the nearest known question is a classic out-of-scope
 * signal that a linear model's probabilities miss).
 */

/**
 * For each feature, the classes whose training examples have it and the sum of its values over them,
 * kept sparse (most features occur in a few classes only): feature `f`'s classes and sums are
 * `classOf` / `sum` [`start[f]`, `start[f + 1]`). Occurrences are grouped by feature with a counting
 * sort (stable: in example order) and summed per class in that order, in the precision of `Sums`
 * (`Float32Array` or `Float64Array`), so the result is exactly what a dense matrix summed the same way
 * holds. Features `keep` rejects get no classes.
 */
export function classSums(
  xs: readonly SparseVector[],
  ys: ArrayLike<number>,
  features: number,
  classes: number,
  Sums: Float32ArrayConstructor | Float64ArrayConstructor,
  keep: (feature: number) => boolean = () => true,
): { start: Int32Array; classOf: Int32Array; sum: Float64Array } {
  const kept = Uint8Array.from({ length: features }, (_, f) => (keep(f) ? 1 : 0));
  const count = new Int32Array(features + 1);
  for (const x of xs) for (const f of x.idx) if (kept[f]) count[f + 1]!++;
  for (let f = 0; f < features; f++) count[f + 1]! += count[f]!;
  const occClass = new Int32Array(count[features]!);
  const occValue = new Float32Array(count[features]!);
  const fill = count.slice(0, features);
  xs.forEach((x, i) => {
    for (let j = 0; j < x.idx.length; j++) {
      const f = x.idx[j]!;
      if (!kept[f]) continue;
      const o = fill[f]!++;
      occClass[o] = ys[i]!;
      occValue[o] = x.val[j]!;
    }
  });
  const start = new Int32Array(features + 1);
  const seenClass: number[] = [];
  const seenSum: number[] = [];
  // Feature values are positive, so a zero sum marks a class not seen yet with this feature.
  const acc = new Sums(classes);
  const touched: number[] = [];
  for (let f = 0; f < features; f++) {
    for (let o = count[f]!; o < count[f + 1]!; o++) {
      const c = occClass[o]!;
      if (acc[c] === 0) touched.push(c);
      acc[c] = acc[c]! + occValue[o]!;
    }
    for (const c of touched) {
      seenClass.push(c);
      seenSum.push(acc[c]!);
      acc[c] = 0;
    }
    touched.length = 0;
    start[f + 1] = seenClass.length;
  }
  return { start, classOf: Int32Array.from(seenClass), sum: Float64Array.from(seenSum) };
}

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
  const C = classes;
  // The class sums of each word-level feature, kept sparse: most words occur in a few classes only, so
  // scoring an example visits its features' classes, not all C per feature (a third of the work on
  // CLINC150). Summed in float32, as the dense feature-by-class matrix this replaced: leaving out its
  // zeros changes no score.
  const { start, classOf, sum } = classSums(xs, ys, features, C, Float32Array, wordLevel);
  const scores = new Float32Array(C);
  return xs.map((x) => {
    scores.fill(0);
    for (let j = 0; j < x.idx.length; j++) {
      const f = x.idx[j]!;
      const v = x.val[j]!;
      for (let o = start[f]!; o < start[f + 1]!; o++)
        scores[classOf[o]!] = scores[classOf[o]!]! + sum[o]! * v;
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
