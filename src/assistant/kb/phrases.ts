/**
 * What the offline assistant says in its own words (not from the knowledge base), in the sample KB's
 * languages and German and Italian (which the matcher stems and has out-of-scope examples for). A
 * message in another language gets the English phrases. Button labels stay within
 * WhatsApp's 20 characters (spec §2.2).
 */
export interface Phrases {
  didYouMean: string;
  /** `{business}` and `{topics}` are filled in. */
  decline: string;
  welcome: string;
  textOnly: string;
  talkToPerson: string;
  handoffAck: string;
  moreTopics: string;
}

const PHRASES: Record<string, Phrases> = {
  en: {
    didYouMean: 'Did you mean one of these?',
    decline:
      "Sorry, I can't help with that. I can answer questions about {business}: {topics}. Would you like to talk to a person?",
    welcome: 'Hello! I can answer questions about {business}: {topics}.',
    textOnly: 'Sorry, I can only read text messages. Could you type your question?',
    talkToPerson: 'Talk to a person',
    handoffAck: "I've asked a colleague to take over. They will reply here as soon as they can.",
    moreTopics: 'Topics',
  },
  fr: {
    didYouMean: 'Vouliez-vous dire :',
    decline:
      "Désolé, je ne peux pas vous aider sur ce sujet. Je réponds aux questions sur {business} : {topics}. Voulez-vous parler à quelqu'un ?",
    welcome: 'Bonjour ! Je réponds aux questions sur {business} : {topics}.',
    textOnly: 'Désolé, je ne lis que les messages texte. Pouvez-vous écrire votre question ?',
    talkToPerson: "Parler à quelqu'un",
    handoffAck: "J'ai demandé à un collègue de prendre le relais. Il vous répondra ici dès que possible.",
    moreTopics: 'Sujets',
  },
  es: {
    didYouMean: '¿Quería decir alguna de estas opciones?',
    decline:
      'Lo siento, no puedo ayudarle con eso. Respondo preguntas sobre {business}: {topics}. ¿Quiere hablar con una persona?',
    welcome: '¡Hola! Respondo preguntas sobre {business}: {topics}.',
    textOnly: 'Lo siento, solo puedo leer mensajes de texto. ¿Puede escribir su pregunta?',
    talkToPerson: 'Hablar con alguien',
    handoffAck: 'He pedido a un compañero que le atienda. Le responderá aquí lo antes posible.',
    moreTopics: 'Temas',
  },
  pt: {
    didYouMean: 'Quis dizer uma destas opções?',
    decline:
      'Desculpe, não posso ajudar com isso. Respondo a perguntas sobre {business}: {topics}. Quer falar com uma pessoa?',
    welcome: 'Olá! Respondo a perguntas sobre {business}: {topics}.',
    textOnly: 'Desculpe, só consigo ler mensagens de texto. Pode escrever a sua pergunta?',
    talkToPerson: 'Falar com alguém',
    handoffAck: 'Pedi a um colega que continue a conversa. Ele responderá aqui assim que possível.',
    moreTopics: 'Temas',
  },
  de: {
    didYouMean: 'Meinten Sie eines davon?',
    decline:
      'Entschuldigung, dabei kann ich nicht helfen. Ich beantworte Fragen zu {business}: {topics}. Möchten Sie mit jemandem sprechen?',
    welcome: 'Hallo! Ich beantworte Fragen zu {business}: {topics}.',
    textOnly: 'Entschuldigung, ich kann nur Textnachrichten lesen. Können Sie Ihre Frage schreiben?',
    talkToPerson: 'Mit jemandem reden',
    handoffAck:
      'Ich habe eine Kollegin oder einen Kollegen gebeten, zu übernehmen. Sie antworten hier, sobald sie können.',
    moreTopics: 'Themen',
  },
  it: {
    didYouMean: 'Intendeva una di queste?',
    decline:
      'Mi dispiace, non posso aiutarla su questo. Rispondo a domande su {business}: {topics}. Vuole parlare con una persona?',
    welcome: 'Buongiorno! Rispondo a domande su {business}: {topics}.',
    textOnly: 'Mi dispiace, posso leggere solo messaggi di testo. Può scrivere la sua domanda?',
    talkToPerson: 'Parla con qualcuno',
    handoffAck: 'Ho chiesto a un collega di continuare. Le risponderà qui appena possibile.',
    moreTopics: 'Argomenti',
  },
};

/** The phrases of a language (by its primary subtag), English when there are none. */
export function phrasesFor(language: string): Phrases & { language: string } {
  const lang = language.split('-')[0]!.toLowerCase();
  const p = PHRASES[lang];
  return p ? { ...p, language: lang } : { ...PHRASES.en!, language: 'en' };
}

/** Words by which a person asks for a human, in the six languages (compared after normalisation). */
export const HUMAN_WORDS = new Set([
  'human',
  'agent',
  'person',
  'operator',
  'talk to a person',
  'talk to a human',
  'speak to a person',
  'speak to a human',
  'talk to someone',
  'real person',
  'humain',
  'conseiller',
  'parler a quelqu un',
  'parler a un humain',
  'parler a une personne',
  'parler a un conseiller',
  'humano',
  'persona',
  'agente',
  'hablar con alguien',
  'hablar con una persona',
  'hablar con un agente',
  'pessoa',
  'atendente',
  'falar com alguem',
  'falar com uma pessoa',
  'falar com um atendente',
  'mensch',
  'mitarbeiter',
  'mit jemandem reden',
  'mit jemandem sprechen',
  'mit einem menschen sprechen',
  'mit einem mitarbeiter sprechen',
  'operatore',
  'parla con qualcuno',
  'parlare con qualcuno',
  'parlare con una persona',
  'parlare con un operatore',
]);

/** Lower case, accents and punctuation removed, spaces collapsed: for keyword comparison. */
export function normaliseKeyword(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
