import { tokenise } from './text.ts';

/**
 * Language detection of a (short) customer message among the languages the KB is written in: a character
 * 1–3-gram naive-Bayes profile per language, learned from the KB's own questions and from a built-in list
 * of function words and everyday words per language, plus a bonus for each function word only one of the
 * candidate languages has. No download: a KB in one language never needs to guess at all.
 */

/**
 * Function words per language: articles, pronouns, prepositions, auxiliaries, question words, and the
 * politeness of a chat message. They tell languages apart, and on a small KB the matcher keeps them out
 * of the word features (see `ModelOptions.functionWordsBelow`): they carry no topic.
 */
export const FUNCTION_WORDS: Record<string, string> = {
  en: `the a an and or of to in on at for with from by is are was were be been do does did have has
    i you he she we they it my your our their me us this that these those what when where why how which
    who can could would should will not no yes please thanks thank hello hi there here about`,
  fr: `le la les un une des du de et ou à au aux en dans sur pour avec par est sont était être avoir ai
    as avez ont je tu il elle nous vous ils elles mon ma mes ton votre vos notre nos ce cette ces quoi
    quand où pourquoi comment quel quelle quels qui que peux pouvez puis-je voudrais faut pas ne oui non
    merci bonjour bonsoir s'il plaît svp est-ce`,
  es: `el la los las un una unos unas de del y o a al en con por para es son era ser estar está están
    tengo tiene tienen yo tú usted él ella nosotros ustedes ellos mi mis su sus nuestro este esta estos
    qué cuándo dónde cómo cuál quién puedo puede quiero necesito no sí gracias hola buenos favor también`,
  pt: `o a os as um uma uns umas de do da dos das e ou em no na nos nas com por para é são era ser estar
    está estão tenho tem têm eu tu você ele ela nós vocês eles meu minha meus seu sua nosso este esta
    isso que quando onde porque como qual quem posso pode quero preciso não sim obrigado obrigada olá
    oi bom favor também`,
  de: `der die das ein eine einen und oder von zu im in auf an für mit aus ist sind war sein haben habe
    hat ich du er sie wir ihr mein meine unser dies was wann wo warum wie welche wer kann können
    möchte nicht nein ja danke bitte hallo guten`,
  it: `il lo la i gli le un una di del della e o a al in nel con per da è sono era essere ho hai ha
    abbiamo io tu lui lei noi voi loro mio mia tuo suo nostro questo questa che cosa quando dove perché
    come quale chi posso può vorrei non no sì grazie ciao buongiorno favore`,
};

/** Everyday words of customer messages per language: more seed text for detection only. */
const EVERYDAY_WORDS: Record<string, string> = {
  en: 'order want need get much many price open today tomorrow delivery shop',
  fr: "combien ouvert commande livraison aujourd'hui demain magasin prix",
  es: 'cuánto cuesta abierto pedido envío hoy mañana año señor tienda precio',
  pt: 'quanto custa aberto pedido entrega hoje amanhã loja preço',
  de: 'wie viel kostet geöffnet bestellung lieferung heute morgen laden preis',
  it: 'quanto costa aperto ordine consegna oggi domani negozio prezzo',
};

const functionWordSets = new Map<string, Set<string>>();

/** Whether a (normalised) token is one of `language`'s built-in function words. */
export function isFunctionWord(token: string, language: string): boolean {
  let set = functionWordSets.get(language);
  if (!set) functionWordSets.set(language, (set = new Set(tokenise(FUNCTION_WORDS[language] ?? ''))));
  return set.has(token);
}

/** Weight of the built-in text relative to one KB question, so the seed survives a large KB. */
const SEED_WEIGHT = 20;

interface Profile {
  counts: Map<string, number>;
  total: number;
}

function grams(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenise(text)) {
    const w = ` ${token} `;
    for (let n = 1; n <= 3; n++) for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n));
  }
  return out;
}

/** A language guess and how sure it is (posterior probability among the candidate languages). */
export interface LanguageGuess {
  language: string;
  confidence: number;
}

/**
 * Detects which of the KB's languages a message is in. Build one per KB: the profiles learn the KB's
 * vocabulary (product names, jargon) in each language.
 */
export class LanguageDetector {
  readonly languages: string[];
  private readonly profiles = new Map<string, Profile>();
  private readonly exclusive = new Map<string, string>();
  /** Per character gram, its log-likelihood in each language (candidate order); built once. */
  private readonly table = new Map<string, Float64Array>();
  /** The same for a gram a language never showed. */
  private readonly unseen: Float64Array;

  /**
   * @param languages the candidate languages; the first is the fallback for empty or undecidable text.
   * @param samples texts whose language is known (the KB's questions).
   */
  constructor(languages: readonly string[], samples: readonly { text: string; language: string }[] = []) {
    this.languages = [...new Set(languages)];
    if (!this.languages.length) this.languages.push('en');
    for (const lang of this.languages) this.profiles.set(lang, { counts: new Map(), total: 0 });
    for (const lang of this.languages) {
      const seed = `${FUNCTION_WORDS[lang] ?? ''} ${EVERYDAY_WORDS[lang] ?? ''}`;
      this.learn(seed, lang, SEED_WEIGHT);
    }
    // One language: nothing to tell apart, nothing to learn.
    if (this.languages.length > 1) for (const s of samples) this.learn(s.text, s.language, 1);
    // Function words that belong to exactly one candidate language are strong evidence on their own.
    const owners = new Map<string, Set<string>>();
    for (const lang of this.languages)
      for (const w of tokenise(FUNCTION_WORDS[lang] ?? ''))
        owners.set(w, (owners.get(w) ?? new Set()).add(lang));
    for (const [w, langs] of owners) if (langs.size === 1) this.exclusive.set(w, [...langs][0]!);
    // Detection reads every gram of a message in every language: one lookup per gram, no logarithm.
    const profiles = this.languages.map((lang) => this.profiles.get(lang)!);
    const denominators = profiles.map((p) => Math.log(p.total + 5000));
    this.unseen = Float64Array.from(denominators, (d) => Math.log(0.5) - d);
    if (this.languages.length > 1)
      for (const p of profiles)
        for (const g of p.counts.keys())
          if (!this.table.has(g))
            this.table.set(
              g,
              Float64Array.from(
                profiles,
                (q, l) => Math.log((q.counts.get(g) ?? 0) + 0.5) - denominators[l]!,
              ),
            );
    // The counts are in the table now; only learning (above, once) reads them.
    this.profiles.clear();
  }

  /** The most likely language of `text` among the candidates. */
  detect(text: string): LanguageGuess {
    const first = this.languages[0]!;
    if (this.languages.length === 1) return { language: first, confidence: 1 };
    const gs = grams(text);
    if (!gs.length) return { language: first, confidence: 0 };
    const L = this.languages.length;
    const sums = new Float64Array(L);
    for (const g of gs) {
      const row = this.table.get(g) ?? this.unseen;
      for (let l = 0; l < L; l++) sums[l]! += row[l]!;
    }
    const scores = Array.from(sums, (s) => s / Math.sqrt(gs.length));
    for (const w of tokenise(text)) {
      const owner = this.exclusive.get(w);
      if (owner) scores[this.languages.indexOf(owner)]! += 3;
    }
    // Inverted question and exclamation marks are Spanish (tokenise() drops punctuation).
    const es = this.languages.indexOf('es');
    if (es >= 0 && /[¿¡]/.test(text)) scores[es]! += 3;
    const max = Math.max(...scores);
    const exp = scores.map((s) => Math.exp(s - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const best = scores.indexOf(max);
    return { language: this.languages[best]!, confidence: exp[best]! / sum };
  }

  private learn(text: string, language: string, weight: number): void {
    const p = this.profiles.get(language);
    if (!p) return;
    for (const g of grams(text)) {
      p.counts.set(g, (p.counts.get(g) ?? 0) + weight);
      p.total += weight;
    }
  }
}
