import { describe, expect, it } from 'vitest';
import { NaiveBayesModel } from '../../src/assistant/kb/classifier.ts';
import type { SparseVector } from '../../src/assistant/kb/features.ts';

const vec = (pairs: [number, number][]): SparseVector => ({
  idx: Int32Array.from(pairs, ([f]) => f),
  val: Float32Array.from(pairs, ([, v]) => v),
});

// Four features, three classes (class 2 has no example). Class 0 saw f0 twice and f1 once, class 1 saw f2.
const xs = [
  vec([[0, 1]]),
  vec([
    [0, 0.5],
    [1, 0.5],
  ]),
  vec([[2, 1]]),
];
const ys = [0, 0, 1];
const a = 0.1;
const F = 4;
const model = new NaiveBayesModel(xs, ys, F, 3, a);

/** The textbook dense formula the sparse model must reproduce. */
function reference(x: SparseVector): number[] {
  const mass = [
    [1.5, 0.5, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 0],
  ];
  const size = [2, 1, 0];
  return [0, 1, 2].map((c) => {
    const total = mass[c]!.reduce((s, m) => s + m, 0);
    let z = Math.log(size[c]! + a) - Math.log(xs.length + a * 3);
    for (let j = 0; j < x.idx.length; j++)
      z += x.val[j]! * (Math.log(mass[c]![x.idx[j]!]! + a) - Math.log(total + a * F));
    return z;
  });
}

describe('naive-Bayes model', () => {
  it('scores like the dense formula, seen and unseen features alike', () => {
    for (const x of [
      vec([[0, 1]]),
      vec([
        [1, 0.6],
        [3, 0.8],
      ]),
      vec([]),
    ]) {
      const got = Array.from(model.logits(x, new Float32Array(3)));
      reference(x).forEach((r, c) => expect(got[c]).toBeCloseTo(r, 5));
    }
  });

  it('estimates a probability distribution over the features of each class', () => {
    const prior = model.logits(vec([]), new Float32Array(3));
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let f = 0; f < F; f++)
        sum += Math.exp(model.logits(vec([[f, 1]]), new Float32Array(3))[c]! - prior[c]!);
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it('ranks the class whose examples share the message features first', () => {
    const out = model.logits(vec([[2, 1]]), new Float32Array(3));
    expect(out[1]).toBeGreaterThan(out[0]!);
    expect(out[1]).toBeGreaterThan(out[2]!);
  });
});
