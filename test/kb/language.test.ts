import { describe, expect, it } from 'vitest';
import { LanguageDetector } from '../../src/assistant/kb/language.ts';

const detector = new LanguageDetector(['en', 'fr', 'es', 'pt']);

describe('language detection', () => {
  it.each([
    ['when are you open?', 'en'],
    ['do you deliver to my office', 'en'],
    ['vous êtes ouverts quand ?', 'fr'],
    ['je veux un remboursement', 'fr'],
    ['¿cuándo abren?', 'es'],
    ['quiero un reembolso', 'es'],
    ['quando vocês abrem?', 'pt'],
    ['onde fica a loja?', 'pt'],
  ])('detects the language of the short message %j', (text, language) => {
    expect(detector.detect(text).language).toBe(language);
  });

  it('learns a KB vocabulary: a product word seen only in French questions points to French', () => {
    const d = new LanguageDetector(['en', 'fr'], [{ text: 'avez-vous des chouquettes', language: 'fr' }]);
    expect(d.detect('chouquettes').language).toBe('fr');
  });

  it('never guesses for a one-language KB', () => {
    expect(new LanguageDetector(['pt']).detect('hello there')).toEqual({ language: 'pt', confidence: 1 });
  });
});
