import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/assistant/kb/decide.ts';
import { loadKnowledgeBase, SAMPLE_KB } from '../../src/assistant/kb/load.ts';
import { buildMatcher } from '../../src/assistant/kb/matcher.ts';
import type { MatchableEntry } from '../../src/assistant/kb/matcher.ts';

const bakery = JSON.parse(readFileSync(new URL('./fixtures/bakery.json', import.meta.url), 'utf8')) as {
  entries: MatchableEntry[];
};
const matcher = buildMatcher(bakery);
const decision = (text: string) => decide(matcher.rank(text), matcher.thresholds);

describe('KB matcher', () => {
  it.each([
    ['what time do you shut this evening', 'opening-hours'],
    ['anything for someone who cannot eat gluten?', 'gluten-free'],
    ['I want to order a cake for my son’s birthday', 'birthday-cake'],
    ['is there a peanut allergy risk in your pastries?', 'allergens'],
    ['any vacancies for a pastry chef?', 'jobs'],
  ])('ranks the right entry first for the paraphrase %j', (text, id) => {
    expect(matcher.rank(text).candidates[0]!.id).toBe(id);
  });

  it('returns at most k candidates, best first, with confidences in 0..1', () => {
    const { candidates } = matcher.rank('can I pay by card', { k: 2 });
    expect(candidates).toHaveLength(2);
    expect(candidates[0]!.confidence).toBeGreaterThanOrEqual(candidates[1]!.confidence);
    for (const c of candidates) expect(c.confidence).toBeGreaterThanOrEqual(0);
    for (const c of candidates) expect(c.confidence).toBeLessThanOrEqual(1);
  });

  it('offers a choice between close candidates', () => {
    const d = decision('how much does delivery cost?');
    expect(d.kind).toBe('choose');
    if (d.kind === 'choose')
      expect(d.candidates.map((c) => c.id).sort()).toEqual(['delivery-local', 'delivery-national']);
  });

  it.each(['what is the capital of australia', 'qwzx plorf blig', 'who won the football game last night'])(
    'declines the off-topic or nonsense message %j',
    (text) => {
      expect(decision(text).kind).toBe('out_of_scope');
    },
  );

  it('answers a clear question directly', () => {
    expect(decision('do you accept cash?')).toMatchObject({ kind: 'answer', id: 'payment' });
  });

  it('takes its thresholds from the cross-validated calibration, deterministically for a seed', () => {
    const again = buildMatcher(bakery);
    expect(matcher.thresholds.source).toMatch(/fold CV/);
    expect(again.thresholds).toEqual(matcher.thresholds);
    expect(matcher.thresholds.answer).toBeGreaterThanOrEqual(matcher.thresholds.scope);
    expect(again.rank('gluten free cakes')).toEqual(matcher.rank('gluten free cakes'));
  });

  it('reports its build time and vocabulary size', () => {
    expect(matcher.stats.buildMs).toBeGreaterThan(0);
    expect(matcher.stats.vocabulary).toBeGreaterThan(100);
    expect(matcher.stats).toMatchObject({ entries: 8, questions: 41 });
  });
});

describe('KB matcher on the four-language sample business', () => {
  const sample = buildMatcher(loadKnowledgeBase(SAMPLE_KB));

  it.each([
    ['can I pay with paypal', 'en', 'payment'],
    ['où se trouve votre boutique ?', 'fr', 'location'],
    ['quiero devolver un producto', 'es', 'returns'],
    ['quanto custa a entrega?', 'pt', 'delivery'],
  ])('matches %j in its language (%s) to %s', (text, language, id) => {
    const ranked = sample.rank(text);
    expect(ranked.language).toBe(language);
    expect(ranked.candidates[0]!.id).toBe(id);
  });
});
