import { describe, expect, it } from 'vitest';
import { charNgrams, foldDiacritics, stem, stems, tokenise } from '../../src/assistant/kb/text.ts';

describe('text analysis', () => {
  it('tokenises on letters and digits, lower-cased, and cuts French elisions', () => {
    expect(tokenise("Quelle est l'heure d'ouverture, SVP ?")).toEqual([
      'quelle',
      'est',
      'heure',
      'ouverture',
      'svp',
    ]);
    expect(tokenise('Order #1234 — where is it?')).toEqual(['order', '1234', 'where', 'is', 'it']);
  });

  it('stems English, French, Spanish and Portuguese with Snowball, without accents', () => {
    expect(stems('deliveries delivered', 'en')).toEqual(['deliveri', 'deliv']);
    expect(stems('livraisons livrées', 'fr')).toEqual(['livraison', 'livr']);
    expect(stems('entregas envíos', 'es')).toEqual(['entreg', 'envi']);
    expect(stems('entregas horários', 'pt')).toEqual(['entreg', 'horari']);
  });

  it('brings inflected forms of one word to the same stem in each language', () => {
    expect(stem('opening', 'en')).toBe(stem('opens', 'en'));
    expect(stem('remboursement', 'fr')).toBe(stem('remboursements', 'fr'));
    expect(stem('reembolsos', 'es')).toBe(stem('reembolso', 'es'));
    expect(stem('devoluções', 'pt')).toBe(stem('devolução', 'pt'));
  });

  it('leaves words of a language without a stemmer whole, accents folded', () => {
    expect(stem('żółwie', 'pl')).toBe('zołwie'); // ł is a letter, not an accent
    expect(foldDiacritics('réservé à São Paulo')).toBe('reserve a Sao Paulo');
  });

  it('cuts character n-grams inside word boundaries', () => {
    expect(charNgrams(['cat'], 3, 3)).toEqual([' ca', 'cat', 'at ']);
  });
});
