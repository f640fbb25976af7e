import { describe, expect, it } from 'vitest';
import { decide, predictedEntry } from '../../src/assistant/kb/decide.ts';
import type { Thresholds } from '../../src/assistant/kb/decide.ts';

const t: Thresholds = { scope: 0.2, answer: 0.6, closeRatio: 0.5, source: 'test' };
const ranked = (...c: [string, number][]) => ({
  language: 'en',
  candidates: c.map(([id, confidence]) => ({ id, confidence })),
});

describe('decision', () => {
  it('answers when the top confidence reaches the answer threshold', () => {
    expect(decide(ranked(['a', 0.7], ['b', 0.65]), t)).toEqual({ kind: 'answer', id: 'a', confidence: 0.7 });
  });

  it('offers the close candidates (at most three) between the scope and answer thresholds', () => {
    const d = decide(ranked(['a', 0.4], ['b', 0.3], ['c', 0.21], ['d', 0.2]), t);
    expect(d).toEqual({ kind: 'choose', candidates: ranked(['a', 0.4], ['b', 0.3], ['c', 0.21]).candidates });
  });

  it('answers the top entry when no runner-up is close enough to offer', () => {
    expect(decide(ranked(['a', 0.4], ['b', 0.1]), t)).toMatchObject({ kind: 'answer', id: 'a' });
  });

  it('declines below the scope threshold, and when there is no candidate', () => {
    expect(decide(ranked(['a', 0.19]), t)).toEqual({ kind: 'out_of_scope', confidence: 0.19 });
    expect(decide(ranked(), t)).toEqual({ kind: 'out_of_scope', confidence: 0 });
  });

  it('points an evaluation at the first button of a choice', () => {
    expect(predictedEntry({ kind: 'choose', candidates: ranked(['x', 0.3], ['y', 0.2]).candidates })).toBe(
      'x',
    );
    expect(predictedEntry({ kind: 'out_of_scope', confidence: 0 })).toBeNull();
  });
});
