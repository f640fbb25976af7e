import { normaliseKeyword } from './inbound.ts';

/**
 * The texts that confirm an opt-out or an opt-in, in the person's language. Each names the word that
 * undoes it, so the person always knows the way back; the defaults name words of the default lists.
 * Pure data and lookup; the texts are overridable per language in the policy file.
 */

export type ConfirmationKind = 'opt_out' | 'opt_in';

/** Texts by kind, then by primary language subtag (`en`, `fr`…). */
export type Confirmations = Record<ConfirmationKind, Record<string, string>>;

export const DEFAULT_CONFIRMATIONS: Confirmations = {
  opt_out: {
    en: 'You will no longer receive messages from us. Reply START to receive them again.',
    fr: 'Vous ne recevrez plus de messages de notre part. Répondez REPRENDRE pour les recevoir à nouveau.',
    es: 'Ya no recibirá mensajes nuestros. Responda ALTA para volver a recibirlos.',
    pt: 'Você não receberá mais mensagens nossas. Responda COMEÇAR para voltar a recebê-las.',
  },
  opt_in: {
    en: 'You will receive our messages again. Reply STOP at any time to stop them.',
    fr: 'Vous recevrez à nouveau nos messages. Répondez ARRÊT à tout moment pour les arrêter.',
    es: 'Volverá a recibir nuestros mensajes. Responda BAJA en cualquier momento para dejar de recibirlos.',
    pt: 'Você voltará a receber nossas mensagens. Responda PARAR a qualquer momento para interrompê-las.',
  },
};

/** The language of the default keywords that belong to one language (`CANCELAR` is es and pt). */
// prettier-ignore
const KEYWORD_LANGUAGES: Readonly<Record<string, string>> = {
  'stop': 'en', 'stop all': 'en', 'unsubscribe': 'en', 'start': 'en', 'unstop': 'en', 'subscribe': 'en',
  'arret': 'fr', 'desabonner': 'fr', 'desinscrire': 'fr', 'reprendre': 'fr',
  'baja': 'es', 'dar de baja': 'es', 'alta': 'es', 'dar de alta': 'es',
  'parar': 'pt', 'descadastrar': 'pt', 'comecar': 'pt',
};

/**
 * The language to confirm an opt-out or opt-in in: the keyword's own language when it has one other
 * than English ("ARRÊT" is French), else the person's known language, else the keyword's, else
 * English. English words (STOP) are used everywhere, so they say little about the person.
 */
export function confirmationLanguage(
  word: string | undefined,
  personLanguage: string | null | undefined,
): string {
  const own = word === undefined ? undefined : KEYWORD_LANGUAGES[normaliseKeyword(word)];
  if (own && own !== 'en') return own;
  return personLanguage ?? own ?? 'en';
}

/** The reply intents of the confirmations: `outboundPolicy` lets the opt-out one through to an opted-out person. */
export const CONFIRMATION_INTENTS: Readonly<Record<ConfirmationKind, string>> = {
  opt_out: 'opt_out_confirmation',
  opt_in: 'opt_in_confirmation',
};

/**
 * The confirmation text for `kind` in `language` (`fr`, `fr-FR`, `pt_BR`: the primary subtag counts),
 * falling back to English, then to any language the profile has. Call it when `inboundPolicy` reported
 * an opt-out or opt-in, and send the text with intent `CONFIRMATION_INTENTS[kind]`.
 */
export function confirmation(
  profile: { confirmations: Confirmations },
  kind: ConfirmationKind,
  language: string | undefined,
): { language: string; text: string } {
  const texts = profile.confirmations[kind];
  const primary = (language ?? 'en').split(/[-_]/)[0]!.toLowerCase();
  for (const lang of [primary, 'en', ...Object.keys(texts)]) {
    const text = texts[lang];
    if (text) return { language: lang, text };
  }
  throw new Error(`policy: no ${kind} confirmation text in any language`);
}
