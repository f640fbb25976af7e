import type { MessageContent } from '../core/content.ts';

/**
 * What a person can ask of their identity from inside a chat, recognised from a message: link this
 * chat to another app (get a code), redeem a code from the other app, unlink this chat, get a
 * download link for their history. Words in English, French, Spanish, Portuguese and German, the
 * Telegram commands (`/link`, `/unlink`, `/export`, and `/start link_<code>` from a `t.me` deep link),
 * and the buttons the assistant or the web chat's menu send (`passerelle:link`, …).
 *
 * Only whole messages count: "link" alone is a request, "how do I link my account?" is a question
 * for the assistant.
 */
export type IdentityCommand =
  | { kind: 'link'; language?: string }
  | { kind: 'redeem'; code: string; language?: string }
  /** A deep link opened: ask before redeeming (the link may come from someone else). */
  | { kind: 'confirm'; code: string; language?: string }
  | { kind: 'unlink'; language?: string }
  | { kind: 'export'; language?: string };

type Kind = 'link' | 'unlink' | 'export';

/** Whole-message phrases, lower case without accents or punctuation, with their language. */
const PHRASES: Record<Kind, Record<string, string[]>> = {
  link: {
    en: ['link', 'link account', 'link my account', 'link accounts', 'connect my account', 'link code'],
    fr: [
      'lier',
      'lier mon compte',
      'associer',
      'associer mon compte',
      'relier mon compte',
      'code de liaison',
    ],
    es: ['vincular', 'vincular cuenta', 'vincular mi cuenta', 'enlazar mi cuenta'],
    pt: ['vincular conta', 'vincular minha conta', 'ligar conta', 'conectar minha conta'],
    de: ['verknupfen', 'konto verknupfen'],
  },
  unlink: {
    en: ['unlink', 'unlink account', 'unlink this chat'],
    fr: ['delier', 'delier ce compte', 'dissocier'],
    es: ['desvincular', 'desvincular cuenta'],
    pt: ['desvincular conta', 'desligar conta'],
    de: ['verknupfung aufheben'],
  },
  export: {
    en: ['export', 'export my data', 'export my history', 'my data', 'my history', 'download my history'],
    fr: ['exporter', 'exporter mes donnees', 'exporter mon historique', 'mes donnees', 'mon historique'],
    es: ['exportar', 'exportar mis datos', 'exportar mi historial', 'mis datos', 'mi historial'],
    pt: ['exportar meus dados', 'exportar meu historico', 'meus dados', 'meu historico'],
    de: ['exportieren', 'meine daten', 'mein verlauf'],
  },
};

/** Words that may precede a code: "LINK K7M4-QX2P", "lier K7M4QX2P", "código K7M4-QX2P". */
const REDEEM_WORDS: Record<string, string> = {
  link: 'en',
  code: 'en',
  lier: 'fr',
  associer: 'fr',
  vincular: 'es',
  codigo: 'es',
  verknupfen: 'de',
};

const LOOKUP = new Map<string, { kind: Kind; language: string }>();
for (const [kind, byLang] of Object.entries(PHRASES) as [Kind, Record<string, string[]>][])
  for (const [language, phrases] of Object.entries(byLang))
    for (const p of phrases) if (!LOOKUP.has(p)) LOOKUP.set(p, { kind, language });

const TELEGRAM_COMMANDS: Record<string, Kind> = { link: 'link', unlink: 'unlink', export: 'export' };

/** Button ids the assistant and the web chat's menu use. */
export const IDENTITY_BUTTONS = {
  link: 'passerelle:link',
  unlink: 'passerelle:unlink',
  export: 'passerelle:export',
} as const;

/** The `t.me/<bot>?start=` payload carrying a code: `link_K7M4QX2P` (Telegram allows [A-Za-z0-9_-]). */
export const START_PAYLOAD_PREFIX = 'link_';
/** The web chat's button id when opened from a `?link=` deep link: asks for the confirmation. */
export const LINK_PROMPT_PREFIX = 'passerelle:link-prompt:';
/** The confirmation's button id: redeems the code it carries. */
export const LINK_CONFIRM_PREFIX = 'passerelle:link:';

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const CODE_SHAPE = /^[0-9a-z]{4}-?[0-9a-z]{4}$/i;

export function identityCommand(content: MessageContent): IdentityCommand | undefined {
  if (content.type === 'request_welcome') {
    const p = content.payload;
    if (p?.startsWith(START_PAYLOAD_PREFIX))
      return { kind: 'confirm', code: p.slice(START_PAYLOAD_PREFIX.length) };
    return undefined;
  }
  if (content.type === 'choice') {
    if (content.choiceId.startsWith(LINK_CONFIRM_PREFIX))
      return { kind: 'redeem', code: content.choiceId.slice(LINK_CONFIRM_PREFIX.length) };
    if (content.choiceId.startsWith(LINK_PROMPT_PREFIX))
      return { kind: 'confirm', code: content.choiceId.slice(LINK_PROMPT_PREFIX.length) };
    for (const [kind, id] of Object.entries(IDENTITY_BUTTONS))
      if (content.choiceId === id) return { kind: kind as Kind };
    return undefined;
  }
  if (content.type !== 'text') return undefined;
  const raw = content.text.trim();
  if (raw.length > 80) return undefined;
  // Telegram commands, with or without the bot's name: "/link", "/export@acme_bot", "/link K7M4QX2P".
  const tg = /^\/([a-z]+)(?:@\w+)?(?:\s+(\S+))?$/i.exec(raw);
  if (tg) {
    const kind = TELEGRAM_COMMANDS[tg[1]!.toLowerCase()];
    if (!kind) return undefined;
    if (kind === 'link' && tg[2]) return { kind: 'redeem', code: tg[2] };
    return tg[2] ? undefined : { kind };
  }
  const words = fold(raw);
  const hit = LOOKUP.get(words);
  if (hit) return { kind: hit.kind, language: hit.language };
  // "<word> <code>": the word, then something shaped like a code.
  const m = /^(\S+)\s+(\S{4}-?\S{4})$/.exec(words);
  if (m && CODE_SHAPE.test(m[2]!)) {
    const language = REDEEM_WORDS[m[1]!];
    if (language) return { kind: 'redeem', code: m[2]!, language };
  }
  return undefined;
}
