import { stemmer as stemDe } from '@orama/stemmers/german';
import { stemmer as stemEn } from '@orama/stemmers/english';
import { stemmer as stemEs } from '@orama/stemmers/spanish';
import { stemmer as stemFr } from '@orama/stemmers/french';
import { stemmer as stemIt } from '@orama/stemmers/italian';
import { stemmer as stemPt } from '@orama/stemmers/portuguese';

/**
 * Text analysis shared by retrieval, the learned model and language detection: one normalisation, one
 * tokeniser and the Snowball stemmers, so that a KB question and a customer message are cut the same way.
 */

/** Languages with a Snowball stemmer here; any other language code is analysed without stemming. */
export const STEMMED_LANGUAGES = ['en', 'fr', 'es', 'pt', 'de', 'it'] as const;

const STEMMERS: Record<string, (word: string) => string> = {
  en: stemEn,
  fr: stemFr,
  es: stemEs,
  pt: stemPt,
  de: stemDe,
  it: stemIt,
};

/**
 * Lower-cases, applies Unicode compatibility folding (NFKC: full-width letters, ligatures) and unifies
 * apostrophes and dashes. Diacritics are kept: the French and Portuguese stemmers need them.
 */
export function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[\u2010-\u2015]/g, '-');
}

/** Removes combining accents ("réservé" → "reserve") so that a customer who types without them still matches. */
export function foldDiacritics(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return text.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
}

/**
 * Splits normalised text into word tokens (letters and digits). Elisions are cut off ("l'heure" → "heure",
 * "j'ai" → "ai") because French, Italian and Portuguese glue articles and pronouns to the next word;
 * the English possessive "'s" and contractions ("don't") are kept whole.
 */
export function tokenise(text: string): string[] {
  const out: string[] = [];
  for (const raw of normalise(text).split(/[^\p{L}\p{N}']+/u)) {
    const word = raw.replace(/^'+|'+$/g, '');
    if (!word) continue;
    const elided = /^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|dell|all|dall|nell|sull)'(.+)$/u.exec(word);
    out.push(elided ? elided[1]! : word);
  }
  return out;
}

const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 100_000;

/** The Snowball stem of one lower-case token, without diacritics; unknown languages only fold accents. */
export function stem(word: string, language: string): string {
  const key = `${language}:${word}`;
  const hit = stemCache.get(key);
  if (hit !== undefined) return hit;
  const stemmer = STEMMERS[language];
  const out = foldDiacritics(stemmer && word.length > 2 ? stemmer(word) : word);
  if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
  stemCache.set(key, out);
  return out;
}

/** Tokens of a text, stemmed for its language: the unit of the word features and of retrieval. */
export function stems(text: string, language: string): string[] {
  return tokenise(text).map((w) => stem(w, language));
}

/**
 * Character n-grams of each word, with word-boundary marks (" cat " → " ca", "cat", "at "): robust to
 * typos, inflections and compounds that stemming misses. Words are accent-folded first.
 */
export function charNgrams(tokens: readonly string[], min: number, max: number): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const w = ` ${foldDiacritics(token)} `;
    for (let n = min; n <= max; n++) {
      if (w.length < n) break;
      for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n));
    }
  }
  return out;
}
