import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURES, FeatureSpace } from '../../src/assistant/kb/features.ts';
import { SpellingCorrector, osaDistance } from '../../src/assistant/kb/spelling.ts';

/** Each word with the number of times it is listed. */
function counted(words: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

describe('spelling correction of unknown words', () => {
  const words = [
    'coming',
    'coming',
    'dinner',
    'reservations',
    'calendar',
    'return',
    'order',
    'balance',
    'balances',
  ];
  const corrector = new SpellingCorrector(counted(words));

  it('corrects one missing, doubled, wrong or swapped letter to a word of the KB', () => {
    expect(corrector.correct('comng')).toBe('coming'); // missing
    expect(corrector.correct('dinnner')).toBe('dinner'); // doubled
    expect(corrector.correct('calender')).toBe('calendar'); // wrong
    expect(corrector.correct('retrun')).toBe('return'); // swapped
    expect(corrector.correct('rerservations')).toBe('reservations');
  });

  it('leaves known, short, numeric and far-off words alone', () => {
    expect(corrector.correct('order')).toBeUndefined();
    expect(corrector.correct('ordr')).toBe('order');
    expect(corrector.correct('odr')).toBeUndefined(); // three letters: too short to guess
    expect(corrector.correct('ord3r')).toBeUndefined();
    expect(corrector.correct('weather')).toBeUndefined();
  });

  it('reads a contraction typed without its apostrophe as the contraction, not as a nearer word', () => {
    const vocabulary = counted(['want', 'want', 'want', "won't", 'rent', "aren't", 'there', "they're"]);
    const c = new SpellingCorrector(vocabulary);
    expect(c.correct('wont')).toBe("won't"); // not "want": that would turn "my card wont work" around
    expect(c.correct('arent')).toBe("aren't");
    expect(c.correct('theyre')).toBe("they're");
  });

  it('does not turn other real words into the KB’s: the first letter stays, and short words are left out', () => {
    const c = new SpellingCorrector(counted(['like', 'soon', 'hair', 'age', 'may', 'are']));
    expect(c.correct('bike')).toBeUndefined();
    expect(c.correct('moon')).toBeUndefined();
    expect(c.correct('chair')).toBeUndefined();
    expect(c.correct('page')).toBeUndefined();
    expect(c.correct('mayo')).toBeUndefined(); // "may" is too short to correct into
    expect(c.correct('fare')).toBeUndefined();
  });

  it('prefers the closest word, then the most used, then the first in alphabetical order', () => {
    // "balancs" is one edit from "balance" and from "balances": both used once → alphabetical.
    expect(corrector.correct('balancs')).toBe('balance');
    const more = new SpellingCorrector(counted(['balances', 'balances', 'balance']));
    expect(more.correct('balancs')).toBe('balances');
    // "balanse" is one edit from "balance" and two from "balances": the closer wins over the more used.
    expect(more.correct('balanse')).toBe('balance');
  });

  it('measures the optimal-string-alignment distance', () => {
    expect(osaDistance('abc', 'abc')).toBe(0);
    expect(osaDistance('ab', 'ba')).toBe(1);
    expect(osaDistance('kitten', 'sitting')).toBe(3);
    expect(osaDistance('kitten', 'sitting', 1)).toBe(2); // stops early: any value above the limit
  });

  it('gives a misspelt message the features of the word it stands for, so it is no longer unknown', () => {
    const texts = ['are you coming to dinner', 'show my calendar', 'i want to return my order'].map(
      (text) => ({
        text,
        language: 'en',
      }),
    );
    const on = new FeatureSpace(texts);
    const off = new FeatureSpace(texts, { ...DEFAULT_FEATURES, spelling: false });
    const typo = on.featurise('i want to retrun my order', 'en');
    const right = on.featurise('i want to return my order', 'en');
    expect(typo.unknownWords).toBe(0);
    expect(Array.from(typo.vector.idx)).toEqual(Array.from(right.vector.idx));
    expect(off.featurise('i want to retrun my order', 'en').unknownWords).toBeCloseTo(1 / 6);
  });

  it('corrects into a function word on a sparse KB, where function words are not features of their own', () => {
    const texts = ['what do you sell', 'i want a bike', 'what time do you open'].map((text) => ({
      text,
      language: 'en',
    }));
    const sparse = new FeatureSpace(texts, { ...DEFAULT_FEATURES, functionWordsInBigramsOnly: true });
    const typo = sparse.featurise('waht do you sell', 'en');
    expect(Array.from(typo.vector.idx)).toEqual(
      Array.from(sparse.featurise('what do you sell', 'en').vector.idx),
    );
  });
});
