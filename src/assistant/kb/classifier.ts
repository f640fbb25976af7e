import type { SparseVector } from './features.ts';
import { classSums } from './neighbours.ts';
import { Random } from './random.ts';

/**
 * A multinomial logistic-regression (softmax) classifier over sparse features, trained at load time by a
 * few epochs of seeded SGD. Weights are stored feature-major (`w[f * classes + c]`) so that scoring a
 * message touches one contiguous row per present feature. L2 regularisation uses the scaled-weight trick
 * (the decay is one multiplication per step, not one per weight).
 */

/** Training knobs; the defaults were chosen on a hold-out of CLINC150's train split. */
export interface SoftmaxOptions {
  epochs: number;
  /** Initial step size; decays linearly to 10% of it over the epochs. */
  learningRate: number;
  /** L2 penalty per example. */
  l2: number;
  /** Random extra rival classes per example and step. */
  randomRivals: number;
  /** Share of an example's features left out at each step (dropout: a robustness regulariser). */
  dropout: number;
  seed: number;
}

export const DEFAULT_SOFTMAX: SoftmaxOptions = {
  epochs: 6,
  learningRate: 4,
  l2: 1e-6,
  randomRivals: 16,
  dropout: 0.5,
  seed: 1,
};

/** A trained linear model: `logits(x)` are its class scores. */
export class SoftmaxModel {
  readonly w: Float32Array;
  readonly b: Float32Array;
  /** The true weights are `scale * w` (lazy L2 decay). */
  scale = 1;

  constructor(
    readonly features: number,
    readonly classes: number,
  ) {
    this.w = new Float32Array(features * classes);
    this.b = new Float32Array(classes);
  }

  /** Writes the logits of `x` into `out` (length `classes`). */
  logits(x: SparseVector, out: Float32Array): Float32Array {
    const C = this.classes;
    const w = this.w;
    const { idx, val } = x;
    out.fill(0);
    for (let j = 0; j < idx.length; j++) {
      const base = idx[j]! * C;
      const v = val[j]!;
      for (let c = 0; c < C; c++) out[c] = out[c]! + w[base + c]! * v;
    }
    const scale = this.scale;
    const b = this.b;
    for (let c = 0; c < C; c++) out[c] = out[c]! * scale + b[c]!;
    return out;
  }
}

/** In-place softmax of logits divided by `temperature`. */
export function softmax(logits: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let c = 0; c < logits.length; c++) if (logits[c]! > max) max = logits[c]!;
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    const e = Math.exp((logits[c]! - max) / temperature);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < logits.length; c++) logits[c] = logits[c]! / sum;
  return logits;
}

/**
 * Trains the softmax model by SGD on a restricted softmax: each example competes only against its own
 * class's likeliest rivals (`rivals[i]`, e.g. from a centroid model) plus random classes (so that every
 * class is pushed down now and then, as the full softmax would). On CLINC150 (150 classes) this is ~3x
 * cheaper than the full softmax for about the same accuracy, which is what keeps load-time training
 * under two seconds. With `dropout`, each step sees a random share of the example's features only.
 * Scoring still uses every class.
 */
export function trainSoftmax(
  xs: readonly SparseVector[],
  ys: ArrayLike<number>,
  rivals: readonly Int32Array[],
  features: number,
  classes: number,
  opts: SoftmaxOptions = DEFAULT_SOFTMAX,
): SoftmaxModel {
  const model = new SoftmaxModel(features, classes);
  const { w, b } = model;
  const C = classes;
  const order = Int32Array.from(xs, (_, i) => i);
  const rng = new Random(opts.seed);
  const maxRivals = rivals.reduce((m, r) => Math.max(m, r.length), 0);
  const cs = new Int32Array(1 + maxRivals + opts.randomRivals);
  const p = new Float64Array(cs.length);
  const steps = Math.max(1, opts.epochs * xs.length);
  const longest = xs.reduce((m, x) => Math.max(m, x.idx.length), 0);
  const idx = new Int32Array(longest);
  const val = new Float64Array(longest);
  const scaled = new Float64Array(longest);
  const dropout = opts.dropout;
  const keep = 1 / (1 - dropout);
  let t = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    for (const i of order) {
      const lr = opts.learningRate * (1 - (0.9 * t++) / steps);
      // The example's features, less the dropped ones (the kept ones scaled up to keep the expectation).
      const x = xs[i]!;
      let len = 0;
      for (let j = 0; j < x.idx.length; j++)
        if (dropout === 0 || rng.next() >= dropout) {
          idx[len] = x.idx[j]! * C;
          val[len++] = x.val[j]! * keep;
        }
      const y = ys[i]!;
      let n = 0;
      cs[n++] = y;
      const own = rivals[i]!;
      for (let r = 0; r < own.length; r++) if (own[r] !== y) cs[n++] = own[r]!;
      for (let r = 0; r < opts.randomRivals; r++) {
        const c = Math.floor(rng.next() * C);
        if (c !== y) cs[n++] = c;
      }
      // Logits of the competing classes, each summed from its bias over the example's rows in order.
      // Four classes share a pass over the rows: their sums stay in locals (registers) and each row's
      // offset and value are read once per four classes, not once per class (about twice as fast as
      // one pass over the rows updating every class; the sums and their order are the same).
      const scale = model.scale;
      for (let j = 0; j < len; j++) scaled[j] = val[j]! * scale;
      let k = 0;
      for (; k + 4 <= n; k += 4) {
        const c0 = cs[k]!;
        const c1 = cs[k + 1]!;
        const c2 = cs[k + 2]!;
        const c3 = cs[k + 3]!;
        let s0 = b[c0]!;
        let s1 = b[c1]!;
        let s2 = b[c2]!;
        let s3 = b[c3]!;
        for (let j = 0; j < len; j++) {
          const base = idx[j]!;
          const v = scaled[j]!;
          s0 += w[base + c0]! * v;
          s1 += w[base + c1]! * v;
          s2 += w[base + c2]! * v;
          s3 += w[base + c3]! * v;
        }
        p[k] = s0;
        p[k + 1] = s1;
        p[k + 2] = s2;
        p[k + 3] = s3;
      }
      for (; k < n; k++) {
        const c = cs[k]!;
        let s = b[c]!;
        for (let j = 0; j < len; j++) s += w[idx[j]! + c]! * scaled[j]!;
        p[k] = s;
      }
      let max = -Infinity;
      for (let k = 0; k < n; k++) if (p[k]! > max) max = p[k]!;
      let sum = 0;
      for (let k = 0; k < n; k++) sum += p[k] = Math.exp(p[k]! - max);
      // Gradient of the cross-entropy: p - onehot(y), scaled by the step.
      for (let k = 0; k < n; k++) p[k] = (lr * p[k]!) / sum - (k === 0 ? lr : 0);
      // Classes whose gradient is negligible (most rivals, once learned) are not updated.
      let m = 0;
      const floor = lr * 1e-3;
      for (let k = 0; k < n; k++)
        if (p[k]! > floor || p[k]! < -floor) {
          cs[m] = cs[k]!;
          p[m++] = p[k]!;
        }
      n = m;
      for (let k = 0; k < n; k++) b[cs[k]!] = b[cs[k]!]! - p[k]!;
      model.scale *= 1 - lr * opts.l2;
      if (model.scale < 1e-3) rescale(model);
      const inv = 1 / model.scale;
      for (let j = 0; j < len; j++) scaled[j] = val[j]! * inv;
      // The same blocking as for the logits. A class drawn twice is still updated twice, in the same
      // order (each update rounds to float32), so the weights are unchanged.
      k = 0;
      for (; k + 4 <= n; k += 4) {
        const c0 = cs[k]!;
        const c1 = cs[k + 1]!;
        const c2 = cs[k + 2]!;
        const c3 = cs[k + 3]!;
        const g0 = p[k]!;
        const g1 = p[k + 1]!;
        const g2 = p[k + 2]!;
        const g3 = p[k + 3]!;
        for (let j = 0; j < len; j++) {
          const base = idx[j]!;
          const v = scaled[j]!;
          w[base + c0] = w[base + c0]! - g0 * v;
          w[base + c1] = w[base + c1]! - g1 * v;
          w[base + c2] = w[base + c2]! - g2 * v;
          w[base + c3] = w[base + c3]! - g3 * v;
        }
      }
      for (; k < n; k++) {
        const c = cs[k]!;
        const g = p[k]!;
        for (let j = 0; j < len; j++) w[idx[j]! + c] = w[idx[j]! + c]! - g * scaled[j]!;
      }
    }
  }
  rescale(model);
  return model;
}

function rescale(model: SoftmaxModel): void {
  for (let i = 0; i < model.w.length; i++) model.w[i] = model.w[i]! * model.scale;
  model.scale = 1;
}

/**
 * A multinomial naive-Bayes model over the same features: `logits(x)` are `log P(class) +
 * sum_f x_f log P(f | class)`, with `P(f | class)` estimated from the classes' training vectors (their
 * TF-IDF mass) with additive smoothing. A generative model, trained in one pass over the data, whose
 * errors differ from the discriminative model's (`model.ts` mixes the two). Stored sparsely: most
 * (feature, class) pairs were never seen and share their class's smoothed value, so a feature keeps
 * only its seen classes, with the difference to that value.
 */
export class NaiveBayesModel {
  /** Row `f` is `classOf` / `gain` [`start[f]`, `start[f + 1]`). */
  private readonly start: Int32Array;
  private readonly classOf: Int32Array;
  private readonly gain: Float32Array;
  /** log P(f | c) of a feature never seen with class `c`. */
  private readonly unseen: Float64Array;
  private readonly prior: Float64Array;

  constructor(
    xs: readonly SparseVector[],
    ys: ArrayLike<number>,
    features: number,
    readonly classes: number,
    smoothing: number,
  ) {
    const C = classes;
    const total = new Float64Array(C);
    const size = new Float64Array(C);
    xs.forEach((x, i) => {
      size[ys[i]!]!++;
      for (let j = 0; j < x.idx.length; j++) total[ys[i]!]! += x.val[j]!;
    });
    const norm = Float64Array.from(total, (t) => Math.log(t + smoothing * features));
    this.unseen = Float64Array.from(norm, (n) => Math.log(smoothing) - n);
    const n = xs.length;
    this.prior = Float64Array.from(size, (s) => Math.log(s + smoothing) - Math.log(n + smoothing * C));
    // Each (feature, class) pair seen in training: log(mass + a) - log(total + aF), less the unseen
    // value log(a) - log(total + aF).
    const { start, classOf, sum } = classSums(xs, ys, features, C, Float64Array);
    this.start = start;
    this.classOf = classOf;
    this.gain = Float32Array.from(sum, (m) => Math.log(m + smoothing) - Math.log(smoothing));
  }

  /** Writes the class scores of `x` into `out` (length `classes`). */
  logits(x: SparseVector, out: Float32Array): Float32Array {
    let mass = 0;
    for (let j = 0; j < x.val.length; j++) mass += x.val[j]!;
    for (let c = 0; c < this.classes; c++) out[c] = this.prior[c]! + mass * this.unseen[c]!;
    for (let j = 0; j < x.idx.length; j++) {
      const f = x.idx[j]!;
      const v = x.val[j]!;
      for (let k = this.start[f]!; k < this.start[f + 1]!; k++)
        out[this.classOf[k]!] = out[this.classOf[k]!]! + v * this.gain[k]!;
    }
    return out;
  }
}
