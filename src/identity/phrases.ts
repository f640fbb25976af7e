import type { RedeemRefusal } from './codes.ts';

/**
 * What the gateway says about identity and portability, in English, French, Spanish and Portuguese
 * (other languages get English). Placeholders are filled by `say`.
 */

export type IdentityLanguage = 'en' | 'fr' | 'es' | 'pt';

const CHANNEL_NAMES: Record<IdentityLanguage, Record<string, string>> = {
  en: { whatsapp: 'WhatsApp', telegram: 'Telegram', webchat: 'the web chat' },
  fr: { whatsapp: 'WhatsApp', telegram: 'Telegram', webchat: 'le chat du site' },
  es: { whatsapp: 'WhatsApp', telegram: 'Telegram', webchat: 'el chat web' },
  pt: { whatsapp: 'WhatsApp', telegram: 'Telegram', webchat: 'o chat do site' },
};

type Key =
  | 'code'
  | 'code_send_there'
  | 'linked'
  | 'already_linked'
  | 'unlinked'
  | 'not_linked'
  | 'export_link'
  | 'no_other_channel'
  | 'confirm_link'
  | 'confirm_button'
  | RedeemRefusal;

const TEXT: Record<IdentityLanguage, Record<Key, string>> = {
  en: {
    code: 'Your link code is {code}. It works once, for {minutes} minutes, and only for you: never share it.',
    code_send_there: 'To continue on another app, open one of these links, or send "LINK {code}" there:',
    linked:
      'Done: this chat is now linked with your {channel} conversation. Your history and the assistant follow you here.',
    already_linked: 'This chat is already linked with that account.',
    unlinked: 'This chat is no longer linked to your other apps. Each keeps the messages written there.',
    not_linked: 'This chat is not linked to any other app.',
    export_link: 'Here is your conversation history (the link works for {minutes} minutes): {url}',
    no_other_channel: 'There is no other app to link this chat with yet.',
    confirm_link:
      'You opened a link that joins this chat with the app where code {code} was asked for: that app will then see the messages of this chat. Link only if you asked for this code yourself.',
    confirm_button: 'Link',
    unknown: 'That code is not valid. Check it, or ask for a new one with "link" in the other app.',
    expired: 'That code has expired. Ask for a new one with "link" in the other app.',
    used: 'That code has already been used. Ask for a new one with "link" in the other app.',
    own_code: 'This code is for your other app: send it from there, not from this chat.',
    same_channel:
      'This code links a different app: use it from Telegram, WhatsApp or the web chat, not from {channel}.',
    conflict:
      'This chat is already linked with another {channel} account. Send "unlink" first, then try again.',
    locked: 'Too many wrong codes. Please try again in {minutes} minutes.',
  },
  fr: {
    code: 'Votre code de liaison est {code}. Il sert une seule fois, pendant {minutes} minutes, et à vous seul : ne le partagez pas.',
    code_send_there:
      'Pour continuer sur une autre application, ouvrez un de ces liens, ou envoyez « LINK {code} » là-bas :',
    linked:
      "C'est fait : cette conversation est maintenant liée à celle sur {channel}. Votre historique et l'assistant vous suivent ici.",
    already_linked: 'Cette conversation est déjà liée à ce compte.',
    unlinked:
      "Cette conversation n'est plus liée à vos autres applications. Chacune garde les messages qui y ont été écrits.",
    not_linked: "Cette conversation n'est liée à aucune autre application.",
    export_link: 'Voici votre historique de conversation (le lien est valable {minutes} minutes) : {url}',
    no_other_channel: "Il n'y a pas encore d'autre application à lier à cette conversation.",
    confirm_link:
      "Vous avez ouvert un lien qui relie cette conversation à l'application où le code {code} a été demandé : elle verra alors les messages d'ici. Ne liez que si vous avez demandé ce code vous-même.",
    confirm_button: 'Lier',
    unknown:
      "Ce code n'est pas valable. Vérifiez-le, ou demandez-en un nouveau en écrivant « lier » dans l'autre application.",
    expired: "Ce code a expiré. Demandez-en un nouveau en écrivant « lier » dans l'autre application.",
    used: "Ce code a déjà servi. Demandez-en un nouveau en écrivant « lier » dans l'autre application.",
    own_code: "Ce code est pour votre autre application : envoyez-le depuis celle-ci, pas d'ici.",
    same_channel:
      'Ce code lie une autre application : utilisez-le depuis Telegram, WhatsApp ou le chat du site, pas depuis {channel}.',
    conflict:
      'Cette conversation est déjà liée à un autre compte {channel}. Envoyez « délier » puis réessayez.',
    locked: 'Trop de codes erronés. Réessayez dans {minutes} minutes.',
  },
  es: {
    code: 'Tu código de vinculación es {code}. Sirve una sola vez, durante {minutes} minutos, y solo para ti: no lo compartas.',
    code_send_there:
      'Para continuar en otra aplicación, abre uno de estos enlaces o envía «LINK {code}» allí:',
    linked:
      'Listo: este chat ya está vinculado con tu conversación de {channel}. Tu historial y el asistente te siguen aquí.',
    already_linked: 'Este chat ya está vinculado con esa cuenta.',
    unlinked:
      'Este chat ya no está vinculado a tus otras aplicaciones. Cada una conserva los mensajes escritos allí.',
    not_linked: 'Este chat no está vinculado a ninguna otra aplicación.',
    export_link: 'Aquí tienes tu historial de conversación (el enlace funciona {minutes} minutos): {url}',
    no_other_channel: 'Todavía no hay otra aplicación con la que vincular este chat.',
    confirm_link:
      'Ha abierto un enlace que une este chat con la aplicación donde se pidió el código {code}: esa aplicación verá los mensajes de aquí. Vincule solo si pidió usted mismo este código.',
    confirm_button: 'Vincular',
    unknown:
      'Ese código no es válido. Revísalo o pide uno nuevo escribiendo «vincular» en la otra aplicación.',
    expired: 'Ese código ha caducado. Pide uno nuevo escribiendo «vincular» en la otra aplicación.',
    used: 'Ese código ya se ha usado. Pide uno nuevo escribiendo «vincular» en la otra aplicación.',
    own_code: 'Este código es para tu otra aplicación: envíalo desde allí, no desde este chat.',
    same_channel:
      'Este código vincula otra aplicación: úsalo desde Telegram, WhatsApp o el chat web, no desde {channel}.',
    conflict:
      'Este chat ya está vinculado con otra cuenta de {channel}. Envía «desvincular» y vuelve a intentarlo.',
    locked: 'Demasiados códigos incorrectos. Inténtalo de nuevo dentro de {minutes} minutos.',
  },
  pt: {
    code: 'Seu código de vinculação é {code}. Ele funciona uma vez, por {minutes} minutos, e só para você: não o compartilhe.',
    code_send_there: 'Para continuar em outro aplicativo, abra um destes links ou envie "LINK {code}" lá:',
    linked:
      'Pronto: este chat agora está vinculado à sua conversa no {channel}. Seu histórico e o assistente seguem você aqui.',
    already_linked: 'Este chat já está vinculado a essa conta.',
    unlinked:
      'Este chat não está mais vinculado aos seus outros aplicativos. Cada um mantém as mensagens escritas nele.',
    not_linked: 'Este chat não está vinculado a nenhum outro aplicativo.',
    export_link: 'Aqui está seu histórico de conversa (o link funciona por {minutes} minutos): {url}',
    no_other_channel: 'Ainda não há outro aplicativo para vincular a este chat.',
    confirm_link:
      'Você abriu um link que junta esta conversa ao aplicativo onde o código {code} foi pedido: esse aplicativo verá as mensagens daqui. Só vincule se você mesmo pediu este código.',
    confirm_button: 'Vincular',
    unknown:
      'Esse código não é válido. Confira ou peça um novo escrevendo "vincular conta" no outro aplicativo.',
    expired: 'Esse código expirou. Peça um novo escrevendo "vincular conta" no outro aplicativo.',
    used: 'Esse código já foi usado. Peça um novo escrevendo "vincular conta" no outro aplicativo.',
    own_code: 'Este código é para o seu outro aplicativo: envie de lá, não deste chat.',
    same_channel:
      'Este código vincula outro aplicativo: use-o no Telegram, WhatsApp ou chat do site, não no {channel}.',
    conflict:
      'Este chat já está vinculado a outra conta do {channel}. Envie "desvincular conta" e tente de novo.',
    locked: 'Muitos códigos errados. Tente de novo em {minutes} minutos.',
  },
};

export function identityLanguage(...candidates: (string | null | undefined)[]): IdentityLanguage {
  for (const c of candidates) {
    const l = c?.slice(0, 2).toLowerCase();
    if (l && l in TEXT) return l as IdentityLanguage;
  }
  return 'en';
}

export function channelName(language: IdentityLanguage, channel: string): string {
  return CHANNEL_NAMES[language][channel] ?? channel;
}

export function say(
  language: IdentityLanguage,
  key: Key,
  vars: Record<string, string | number> = {},
): string {
  return TEXT[language][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}
