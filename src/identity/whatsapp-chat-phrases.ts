/**
 * The words WhatsApp writes into an export instead of content — media placeholders, the edited and
 * deleted markers, its own notices — in the languages Passerelle's users export in (en, fr, es,
 * pt, de, it). Data only; `whatsapp-chat-content.ts` reads messages with it.
 *
 * Sources: exports published in public repositories and Q&A, and the string tables other open-source
 * parsers collected from WhatsApp's Android `strings.xml` and iOS `Localizable.strings`. Phrases
 * marked best-effort were found in neither; an unrecognised placeholder is not lost, it stays in
 * the message text.
 */
import type { ChatMediaKind } from './whatsapp-chat-content.ts';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (phrases: readonly string[]): string => phrases.map(escape).join('|');

// ── WhatsApp's own notices ──────────────────────────────────────────────────────────────────────

/**
 * Notices whose wording is specific enough to be recognised even with an author in front (iOS
 * writes the chat's name as the author of its notices) or a colon inside (Android).
 */
export const KNOWN_NOTICES = new RegExp(
  '^(?:' +
    [
      // End-to-end encryption, first line of every chat.
      'Messages and calls are end-to-end encrypted',
      'Messages to this (?:group|chat) are now secured with end-to-end encryption',
      'Messages you send to this (?:group|chat) and calls are now secured with end-to-end encryption',
      'Les messages et les appels sont chiffrés de bout en bout',
      'Los mensajes y las llamadas están cifrados de extremo a extremo',
      'As mensagens e (?:as )?(?:ligações|chamadas) são (?:protegidas com a criptografia|encriptadas) (?:de ponta a ponta|ponto a ponto)',
      'Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt',
      'I messaggi e le chiamate sono crittografati end-to-end',
      // Business accounts (the assistants users are leaving were ones). Best-effort outside en.
      'This business (?:uses|is now using|works with) ',
      'This chat is with a business account',
      'Cette entreprise (?:utilise|travaille avec) ',
      'Esta empresa (?:usa|utiliza|trabaja con) ',
      'Essa empresa (?:usa|utiliza) ',
      'Dieses Unternehmen (?:nutzt|verwendet|arbeitet mit) ',
      'Questa azienda (?:usa|utilizza|collabora con) ',
      // Security code changes.
      'Your security code with .+ changed',
      'Votre code de sécurité avec .+ a changé',
      'Tu código de seguridad con .+ cambió',
      'Cambió tu código de seguridad con ',
      'Seu código de segurança com .+ mudou',
      'O seu código de segurança .+ mudou',
      'Deine Sicherheitsnummer für .+ hat sich geändert',
      'Il tuo codice di sicurezza con .+ è cambiato',
    ].join('|') +
    ')',
  'iu',
);

/**
 * Wording of other notices (disappearing messages, blocking, group events). Too loose to trust
 * alone: only applied to an iOS body WhatsApp marked as generated (leading U+200E).
 */
export const NOTICE_HINTS = new RegExp(
  [
    'end-to-end|de bout en bout|de extremo a extremo|de ponta a ponta|Ende-zu-Ende',
    'disappearing messages|messages éphémères|mensajes temporales|mensagens temporárias|selbstlöschende Nachrichten|messaggi effimeri',
    'blocked this contact|unblocked this contact|avez (?:dé)?bloqué|(?:des)?bloqueaste|(?:des)?bloqueou|blockiert|freigegeben|(?:s)?bloccato',
    'security code|code de sécurité|código de seguridad|código de segurança|Sicherheitsnummer|codice di sicurezza',
    'business|entreprise|empresa|Unternehmen|azienda',
    'created group|added|removed|left|joined|changed the (?:subject|group)|changed this group',
    'a créé le groupe|a ajouté|a retiré|est parti|a quitté|creó el grupo|añadió|salió|criou o grupo|adicionou|removeu|saiu',
    'hat die Gruppe|hinzugefügt|entfernt|verlassen|ha creato il gruppo|ha aggiunto|ha rimosso|è uscit[oa]',
  ].join('|'),
  'iu',
);

// ── Edited and deleted markers ──────────────────────────────────────────────────────────────────

export const EDITED = new RegExp(
  '<(?:' +
    anyOf([
      'This message was edited',
      'Ce message a été modifié',
      'Se editó este mensaje', // Android es writes a final period inside the brackets.
      'Mensagem editada',
      'Esta mensagem foi editada', // best-effort (pt-PT)
      'Diese Nachricht wurde bearbeitet', // Android de writes a final period inside the brackets.
      'Questo messaggio è stato modificato', // best-effort
      'Messaggio modificato', // best-effort
    ]) +
    ')\\.?>$',
  'iu',
);

export const DELETED = new RegExp(
  '^(?:' +
    anyOf([
      'This message was deleted',
      'You deleted this message',
      'Ce message a été supprimé',
      'Vous avez supprimé ce message',
      'Se eliminó este mensaje',
      'Este mensaje fue eliminado',
      'Eliminaste este mensaje',
      'Esta mensagem foi apagada',
      'Mensagem apagada',
      'Você apagou esta mensagem',
      'Apagou esta mensagem',
      'Diese Nachricht wurde gelöscht',
      'Du hast diese Nachricht gelöscht',
      'Questo messaggio è stato eliminato',
      'Hai eliminato questo messaggio',
    ]) +
    ')\\.?$', // iOS ends them with a period, Android (en) does not
  'iu',
);

// ── Media placeholders ──────────────────────────────────────────────────────────────────────────

/** Android "Without media": one placeholder for every kind, the caption on the next lines. */
export const ANDROID_OMITTED = new RegExp(
  '^<\\s?(?:' +
    anyOf([
      'Media omitted',
      'Médias omis',
      'Média omis', // best-effort
      'Fichier omis', // best-effort (older fr)
      'Multimedia omitido',
      'Archivo omitido', // best-effort (older es)
      'Mídia oculta',
      'Mídia omitida', // best-effort
      'Arquivo de mídia oculto', // best-effort
      'Ficheiro não revelado', // best-effort (pt-PT)
      'Medien ausgeschlossen',
      'Medien weggelassen', // best-effort (older de)
      'Media omessi', // best-effort
      'Media omesso', // best-effort
    ]) +
    ')\\s?>$',
  'iu',
);

/** Android "Include media": `IMG-20211231-WA0001.jpg (file attached)`, the caption on the next lines. */
export const ANDROID_ATTACHED = new RegExp(
  '^(.+?) \\((?:' +
    anyOf([
      'file attached',
      'fichier joint',
      'archivo adjunto',
      'archivo adjuntado', // best-effort
      'arquivo anexado',
      'ficheiro anexado', // best-effort (pt-PT)
      'Datei angehängt',
      'file allegato', // best-effort
    ]) +
    ')\\)$',
  'iu',
);

/** iOS "Attach media": `<attached: 00000012-PHOTO-2021-12-31-23-59-59.jpg>`, maybe after a document title. */
export const IOS_ATTACHED = new RegExp(
  '^(?:.*?\\s)?<(?:' +
    // Only `attached` was seen in real exports; the translations are best-effort.
    anyOf(['attached', 'pièce jointe', 'adjunto', 'anexado', 'anexo', 'Anhang', 'angehängt', 'allegato']) +
    ')\\s?:\\s*(.+?)\\s*>$',
  'iu',
);

/**
 * iOS "Without media": one phrase per kind; a document's title may come first. Spellings from the
 * iOS string table (en, fr, es, pt-BR, pt-PT, de, it); best-effort, not seen in any table or
 * export: `document omis`, `GIF omis`, `vídeo ocultado`, `áudio omitido`, `GIF ocultado`,
 * `documento ocultado`, `Kontaktkarte weggelassen`, `sticker omesso`, `GIF omessa`.
 */
export const IOS_OMITTED: Record<Exclude<ChatMediaKind, 'location' | 'media'>, readonly string[]> = {
  image: [
    'image omitted',
    'image absente',
    'imagen omitida',
    'imagem ocultada',
    'imagem não revelada',
    'Bild weggelassen',
    'immagine omessa',
  ],
  video: [
    'video omitted',
    'vidéo absente',
    'video omitido',
    'vídeo omitido',
    'vídeo ocultado',
    'vídeo não revelado',
    'Video weggelassen',
    'video omesso',
  ],
  audio: [
    'audio omitted',
    'audio omis',
    'audio omitido',
    'áudio ocultado',
    'áudio omitido',
    'ficheiro de áudio não revelado',
    'Audio weggelassen',
    'audio omesso',
  ],
  sticker: [
    'sticker omitted',
    'sticker omis',
    'sticker omitido',
    'figurinha omitida',
    'sticker não revelado',
    'Sticker weggelassen',
    'sticker non incluso',
    'sticker omesso',
  ],
  gif: [
    'GIF omitted',
    'GIF retiré',
    'GIF omis',
    'GIF omitido',
    'GIF ocultado',
    'GIF não revelada',
    'GIF weggelassen',
    'GIF esclusa',
    'GIF omessa',
  ],
  document: [
    'document omitted',
    'document manquant',
    'document omis',
    'documento omitido',
    'documento ocultado',
    'documento não revelado',
    'Dokument weggelassen',
    'documento omesso',
  ],
  contact: [
    'Contact card omitted',
    'Fiche contact manquante',
    'Tarjeta de contacto omitida',
    'Cartão do contato omitido',
    'Contacto não revelado',
    'Kontaktkarte ausgelassen',
    'Kontaktkarte weggelassen',
    'Scheda contatto omessa',
  ],
};
export const IOS_OMITTED_KIND = new Map<string, ChatMediaKind>(
  Object.entries(IOS_OMITTED).flatMap(([kind, phrases]) =>
    phrases.map((p) => [p.toLowerCase(), kind as ChatMediaKind] as const),
  ),
);
/** Group 1: a document's title (`report.pdf • 3 pages`); group 2: the phrase. */
export const IOS_OMITTED_LINE = new RegExp(
  `^<?(?:(.+?)\\s+)?(${anyOf([...IOS_OMITTED_KIND.keys()])})\\.?>?$`,
  'iu',
);

/** A shared location: `location: https://maps.google.com/?q=…` (Android), `Place (City): https://…` (iOS). */
export const LOCATION = /^(?:.{0,300}?:\s*)?https:\/\/maps\.google\.com\/\?q=\S+$/u;
