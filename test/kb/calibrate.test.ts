import { describe, expect, it } from 'vitest';
import { DEFAULT_CALIBRATION, chooseThresholds, wilsonLower } from '../../src/assistant/kb/calibrate.ts';
import type { HeldOutPoint } from '../../src/assistant/kb/calibrate.ts';
import { buildMatcher, matcherOptionsFor } from '../../src/assistant/kb/matcher.ts';
import bakery from './fixtures/bakery.json' with { type: 'json' };
import * as decideModule from '../../src/assistant/kb/decide.ts';

/** In-scope held-out points: right answers at high confidence, a few wrong ones lower down. */
function inScope(): HeldOutPoint[] {
  return [
    ...Array.from({ length: 90 }, (_, i) => ({ confidence: 0.9 + i / 1000, correct: true, oos: false })),
    ...Array.from({ length: 10 }, (_, i) => ({
      confidence: i < 3 ? 0.405 + i / 10 : 0.7 + i / 100,
      correct: true,
      oos: false,
    })),
  ];
}

describe('thresholds for a floor on out-of-scope recall', () => {
  it('bounds a proportion from below (one-sided 95% Wilson bound)', () => {
    expect(wilsonLower(63, 100)).toBeCloseTo(0.548, 3);
    expect(wilsonLower(64, 100)).toBeCloseTo(0.558, 3);
    expect(wilsonLower(5, 5)).toBeCloseTo(1 / (1 + 1.645 ** 2 / 5), 6);
    expect(wilsonLower(0, 0)).toBe(0);
  });

  it('picks the lowest threshold whose declined sentences reach the floor with 95% confidence', () => {
    // 100 out-of-scope sentences at confidences 0.00, 0.01 … 0.99: 64 must be declined for the bound.
    const oos = Array.from({ length: 100 }, (_, s) => ({
      confidence: s / 100,
      correct: false,
      oos: true,
      sentence: s,
    }));
    const { thresholds, heldOut } = chooseThresholds([...inScope(), ...oos], {
      ...DEFAULT_CALIBRATION,
      minOosRecall: 0.55,
    });
    expect(thresholds.scope).toBeCloseTo(0.635, 6); // between the 64th (0.63) and the 65th (0.64)
    expect(heldOut.oosRecall).toBeCloseTo(0.64, 6);
    expect(heldOut.accuracy).toBeCloseTo(0.97, 6); // the three right answers at 0.405, 0.505, 0.605 are declined
    expect(thresholds.source).toContain('out-of-scope recall >= 0.55 at 95% confidence');
    expect(heldOut.floorReached).toBe(true);
    // Without the floor, the default objective is used, and the source says which.
    const share = chooseThresholds([...inScope(), ...oos], DEFAULT_CALIBRATION);
    expect(share.thresholds.source).toContain('oosShare 0.2');
  });

  it('counts a sentence scored by every fold once, not once per scoring', () => {
    // 20 sentences, each scored by 5 folds: the bound is over 20 sentences, so about 15 must be declined
    // (a sentence declined by 4 folds of 5 counts 0.8); as 100 independent points, 64 scorings would
    // have looked enough.
    const oos = Array.from({ length: 100 }, (_, k) => {
      const sentence = Math.floor(k / 5);
      return { confidence: sentence / 20 + (k % 5) / 1000, correct: false, oos: true, sentence };
    });
    const { thresholds, heldOut } = chooseThresholds([...inScope(), ...oos], {
      ...DEFAULT_CALIBRATION,
      minOosRecall: 0.55,
    });
    expect(heldOut.oosRecall).toBeCloseTo(0.74, 6); // 14 sentences and 4 scorings of the 15th
    expect(thresholds.scope).toBeCloseTo((0.703 + 0.704) / 2, 6);
  });

  it('declines every held-out out-of-scope message, and says so, when the floor cannot be shown', () => {
    const oos = Array.from({ length: 5 }, (_, s) => ({
      confidence: 0.1 + s / 10,
      correct: false,
      oos: true,
      sentence: s,
    }));
    const { thresholds, heldOut } = chooseThresholds([...inScope(), ...oos], {
      ...DEFAULT_CALIBRATION,
      minOosRecall: 0.9,
    });
    expect(heldOut.oosRecall).toBe(1);
    expect(thresholds.scope).toBeGreaterThan(0.5);
    expect(thresholds.scope).toBeLessThan(0.9);
    expect(thresholds.source).toContain('not reachable');
    expect(heldOut.floorReached).toBe(false);
  });

  it('is what a KB asks for with outOfScope.minRecall, and the matcher uses it', () => {
    expect(matcherOptionsFor({ language: 'fr', outOfScope: { minRecall: 0.6 } })).toEqual({
      defaultLanguage: 'fr',
      calibration: { minOosRecall: 0.6 },
    });
    expect(matcherOptionsFor({ language: 'en', outOfScope: { share: 0.1 } })).toEqual({
      defaultLanguage: 'en',
      calibration: { oosShare: 0.1 },
    });
    expect(matcherOptionsFor({ language: 'en' })).toEqual({ defaultLanguage: 'en' });
    const strict = buildMatcher(
      bakery,
      matcherOptionsFor({ language: 'en', outOfScope: { minRecall: 0.5 } }),
    );
    expect(strict.thresholds.source).toContain('out-of-scope recall >= 0.5');
    const held = strict.calibration!;
    expect(held.oosRecall).toBeGreaterThanOrEqual(0.5);
    expect(strict.warnings).toEqual([]);
    // 26 built-in English sentences can show at most 90%: a floor of 95% is declined all round, and said.
    const tooHigh = buildMatcher(
      bakery,
      matcherOptionsFor({ language: 'en', outOfScope: { minRecall: 0.95 } }),
    );
    expect(tooHigh.calibration!.floorReached).toBe(false);
    expect(tooHigh.warnings.join()).toMatch(
      /^outOfScope\.minRecall 0\.95 cannot be shown with 26 out-of-scope examples/,
    );
  });

  it('can decline messages at confidence 1: the threshold then goes above 1', () => {
    const oos = Array.from({ length: 20 }, (_, s) => ({
      confidence: 1,
      correct: false,
      oos: true,
      sentence: s,
    }));
    const { thresholds, heldOut } = chooseThresholds([...inScope(), ...oos], {
      ...DEFAULT_CALIBRATION,
      minOosRecall: 0.5,
    });
    expect(thresholds.scope).toBeGreaterThan(1);
    expect(heldOut.oosRecall).toBe(1);
    expect(thresholds.answer).toBeGreaterThanOrEqual(thresholds.scope);
  });

  it('warns when nothing can be declined for lack of out-of-scope examples, and takes the KB’s own', () => {
    const q = (id: string, questions: string[]) => ({ id, questions, answer: id, language: 'nl' });
    // Dutch has no built-in out-of-scope sentences.
    const kb = {
      language: 'nl',
      entries: [
        q('openingstijden', [
          'wanneer zijn jullie open',
          'wat zijn de openingstijden',
          'zijn jullie op zondag open',
          'tot hoe laat open',
        ]),
        q('levering', [
          'bezorgen jullie aan huis',
          'hoe lang duurt de levering',
          'wat kost de verzending',
          'leveren jullie in het buitenland',
        ]),
        q('retour', [
          'kan ik iets terugsturen',
          'hoe werkt retourneren',
          'ik wil mijn geld terug',
          'kan ik ruilen',
        ]),
        q('betaling', [
          'kan ik met de kaart betalen',
          'nemen jullie contant geld aan',
          'betalen met paypal',
          'welke betaalmethodes zijn er',
        ]),
        q('reparatie', [
          'repareren jullie fietsen',
          'mijn fiets is kapot',
          'lekke band plakken',
          'wat kost een reparatie',
        ]),
      ],
    };
    const bare = buildMatcher(kb, matcherOptionsFor(kb));
    expect(bare.warnings.join()).toMatch(
      /no out-of-scope examples in the KB's languages \(nl; built in: en, fr, es, pt, de, it\)/,
    );
    const examples = [
      'wie wint de verkiezingen',
      'schrijf een gedicht voor me',
      'hoe hoog is de mount everest',
      'vertel me een mop',
      'wat is de hoofdstad van peru',
    ];
    const withOwn = { ...kb, outOfScope: { examples } };
    const own = buildMatcher(withOwn, matcherOptionsFor(withOwn));
    expect(own.warnings).toEqual([]);
    expect(own.thresholds.source).toMatch(/ \d+ out-of-scope held-out messages/);
    expect(own.calibration!.outOfScope).toBeGreaterThan(0);
  });

  it('has built-in out-of-scope examples for German and Italian too', () => {
    const q = (id: string, questions: string[]) => ({ id, questions, answer: id, language: 'de' });
    const kb = {
      language: 'de',
      entries: [
        q('oeffnungszeiten', [
          'wann haben sie geöffnet',
          'wie sind die öffnungszeiten',
          'sind sie am sonntag offen',
          'bis wann ist heute offen',
        ]),
        q('lieferung', [
          'liefern sie nach hause',
          'wie lange dauert die lieferung',
          'was kostet der versand',
          'liefern sie ins ausland',
        ]),
        q('zahlung', [
          'kann ich mit karte zahlen',
          'nehmen sie bargeld',
          'zahlung mit paypal',
          'welche zahlungsarten gibt es',
        ]),
        q('reparatur', [
          'reparieren sie fahrräder',
          'mein rad ist kaputt',
          'platten reifen flicken',
          'was kostet eine reparatur',
        ]),
      ],
    };
    const m = buildMatcher(kb, matcherOptionsFor(kb));
    expect(m.warnings).toEqual([]);
    expect(m.calibration!.outOfScope).toBeGreaterThan(0);
    const { decide } = decideModule;
    expect(decide(m.rank('wer ist der bundeskanzler'), m.thresholds).kind).toBe('out_of_scope');
    expect(decide(m.rank('was kostet der versand nach berlin'), m.thresholds)).toMatchObject({
      id: 'lieferung',
    });
  });
});
