/**
 * The sending half of the Telegram channel: `MessageContent` → one Bot API call (pure), and
 * `TelegramOutbound`, the `ChannelOutbound` the dispatcher calls. Translation checks Telegram's limits
 * first, so nothing doomed is sent; only `TelegramOutbound` does I/O, through grammY's `Api`.
 */
import type { Api } from 'grammy';
import type { ButtonsContent, ListContent, MediaContent, MessageContent } from '../../core/content.ts';
import type { ChannelOutbound, DeliveryFailure, OutboundSend } from '../../core/delivery.ts';
import { encodeCallbackData } from './callback-data.ts';
import { describeTelegramFailure, TelegramRequestError } from './errors.ts';
import { messageRef, parseRef } from './ids.ts';

/** Bot API limits (sendMessage, send* captions, InlineKeyboardMarkup). */
export const TELEGRAM_LIMITS = {
  /** Characters of a text message, after entity parsing. */
  text: 4096,
  caption: 1024,
  /** Buttons in one inline keyboard. */
  buttons: 100,
} as const;

/** One Bot API call: the method and its JSON parameters. */
export interface TelegramRequest {
  method:
    | 'sendMessage'
    | 'sendPhoto'
    | 'sendVideo'
    | 'sendAnimation'
    | 'sendAudio'
    | 'sendVoice'
    | 'sendDocument'
    | 'sendSticker'
    | 'sendLocation'
    | 'sendVenue'
    | 'sendContact';
  params: Record<string, unknown>;
}

type Params = Record<string, unknown>;

/**
 * The Bot API call for one send. Pure. Throws `TelegramRequestError` (code 400, permanent) for content
 * Telegram would refuse or cannot carry (a template, a reaction, an inbound-only kind).
 * - `buttons` and `list`: a text message with an inline keyboard, one button per row; ids longer than
 *   `callback_data` allows travel as references (`callback-data.ts`);
 * - `media`: `sendPhoto`/`sendVideo`/… with the Telegram `file_id` or a public URL.
 */
export function toTelegramRequest(req: OutboundSend): TelegramRequest {
  const base: Params = { chat_id: chatId(req.to) };
  const reply = replyParameters(req.to, req.replyTo);
  if (reply) base.reply_parameters = reply;
  const [method, params] = contentCall(req.content);
  return { method, params: { ...base, ...params } };
}

function contentCall(c: MessageContent): [TelegramRequest['method'], Params] {
  switch (c.type) {
    case 'text':
      return [
        'sendMessage',
        prune({
          text: text(c.text, TELEGRAM_LIMITS.text, 'message text'),
          // WhatsApp shows no link preview unless asked; say so explicitly when the reply did.
          link_preview_options: c.previewUrl === undefined ? undefined : { is_disabled: !c.previewUrl },
        }),
      ];
    case 'buttons':
      return ['sendMessage', keyboardMessage(c)];
    case 'list':
      return ['sendMessage', keyboardMessage(c)];
    case 'media':
      return mediaCall(c);
    case 'location':
      if (!(Math.abs(c.latitude) <= 90) || !(Math.abs(c.longitude) <= 180))
        refuse(`location (${c.latitude}, ${c.longitude}) is out of range`);
      if (c.name && c.address)
        return [
          'sendVenue',
          { latitude: c.latitude, longitude: c.longitude, title: c.name, address: c.address },
        ];
      return ['sendLocation', { latitude: c.latitude, longitude: c.longitude }];
    case 'contacts':
      return ['sendContact', contactParams(c.contacts)];
    default:
      return refuse(`Telegram cannot send content of type "${c.type}"`);
  }
}

/** Header, body and footer as one text, the choices as an inline keyboard, one per row. */
function keyboardMessage(c: ButtonsContent | ListContent): Params {
  const choices =
    c.type === 'buttons'
      ? c.buttons.map((b) => ({ id: b.id, title: b.title, description: undefined }))
      : c.sections.flatMap((s) => s.rows);
  if (choices.length === 0) refuse('a keyboard needs at least one button');
  if (choices.length > TELEGRAM_LIMITS.buttons) refuse(`at most ${TELEGRAM_LIMITS.buttons} buttons`);
  const ids = choices.map((b) => b.id);
  if (new Set(ids).size !== ids.length) refuse('button ids must be unique');
  // List rows' descriptions have no place on a button: they go under the body.
  const described = choices.filter((r) => r.description).map((r) => `• ${r.title}: ${r.description}`);
  const parts = [c.header, c.body, described.join('\n'), c.footer].filter((p) => p && p.trim() !== '');
  return {
    text: text(parts.join('\n\n'), TELEGRAM_LIMITS.text, 'message text'),
    reply_markup: {
      inline_keyboard: choices.map((b, i) => {
        if (!b.id) refuse('a button needs an id');
        return [{ text: text(b.title, 200, 'button title'), callback_data: encodeCallbackData(b.id, i) }];
      }),
    },
  };
}

const MEDIA_METHODS = {
  image: ['sendPhoto', 'photo'],
  video: ['sendVideo', 'video'],
  document: ['sendDocument', 'document'],
  sticker: ['sendSticker', 'sticker'],
} as const;

function mediaCall(c: MediaContent): [TelegramRequest['method'], Params] {
  // A Telegram file_id (what we received, sent again) or a public URL Telegram fetches itself.
  const file = c.media.id ?? c.media.link;
  if (!file) refuse('media needs a Telegram file_id or a public link');
  const [method, field] =
    c.kind === 'audio'
      ? c.media.voice
        ? (['sendVoice', 'voice'] as const)
        : (['sendAudio', 'audio'] as const)
      : c.kind === 'video' && c.media.animated
        ? (['sendAnimation', 'animation'] as const)
        : MEDIA_METHODS[c.kind];
  const caption = c.kind === 'sticker' ? undefined : c.media.caption;
  return [
    method,
    prune({
      [field]: file,
      caption: caption === undefined ? undefined : text(caption, TELEGRAM_LIMITS.caption, 'caption', true),
    }),
  ];
}

/** One shared contact, from the vCard-like shape every channel uses (`name`, `phones[]`). */
function contactParams(contacts: unknown[]): Params {
  if (contacts.length !== 1) refuse('Telegram sends one contact per message');
  const card = contacts[0] as {
    name?: { formatted_name?: string; first_name?: string; last_name?: string };
    phones?: { phone?: string }[];
    vcard?: string;
  };
  const phone = card.phones?.find((p) => p.phone)?.phone;
  const first = card.name?.first_name ?? card.name?.formatted_name;
  if (!phone || !first) refuse('a contact needs a phone number and a first name');
  return prune({
    phone_number: phone,
    first_name: first,
    last_name: card.name?.last_name,
    vcard: card.vcard,
  });
}

/** A numeric chat id as a number (Telegram's own type); anything else (`@channel`) as given. */
function chatId(to: string): number | string {
  return /^-?\d+$/.test(to) ? Number(to) : to;
}

/** Quotes the message replied to, if it is a message of the same chat; sends anyway if it is gone. */
function replyParameters(to: string, replyTo: string | undefined): Params | undefined {
  const ref = replyTo === undefined ? undefined : parseRef(replyTo);
  if (!ref || ref.kind !== 'message' || ref.chatId !== to) return undefined;
  return { message_id: ref.messageId, allow_sending_without_reply: true };
}

function text(s: string | undefined, max: number, what: string, allowEmpty = false): string {
  if (s === undefined || (!allowEmpty && s.trim() === '')) refuse(`${what} is required`);
  if (s.length > max) refuse(`${what} is ${s.length} characters, more than ${max}`);
  return s;
}

function refuse(description: string): never {
  throw new TelegramRequestError(`Bad Request: ${description}`);
}

function prune(o: Params): Params {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * `ChannelOutbound` for Telegram. `send` makes one Bot API call and resolves with the sent message's
 * reference, `<chat id>:<message id>`. `markRead` is Telegram's nearest equivalent of WhatsApp's read
 * receipt with typing indicator: bots cannot mark messages read, so it answers a button press
 * (`answerCallbackQuery`, which stops the button's spinner) and shows "typing…" (`sendChatAction`).
 */
export class TelegramOutbound implements ChannelOutbound {
  readonly channel = 'telegram' as const;
  constructor(private readonly api: Api) {}

  async send(req: OutboundSend): Promise<{ providerMessageId: string }> {
    const { method, params } = toTelegramRequest(req);
    const call = this.api.raw[method] as unknown as (p: Params) => Promise<unknown>;
    const sent = (await call(params)) as { message_id?: unknown; chat?: { id?: unknown } } | undefined;
    const chat = sent?.chat?.id;
    if (typeof sent?.message_id !== 'number' || (typeof chat !== 'number' && typeof chat !== 'string'))
      throw new TelegramRequestError(`${method} answered without a message id`);
    return { providerMessageId: messageRef(chat, sent.message_id) };
  }

  async markRead(_account: string, providerMessageId: string, opts: { typing: boolean }): Promise<void> {
    const ref = parseRef(providerMessageId);
    if (!ref) return;
    if (ref.kind === 'callback') {
      try {
        await this.api.answerCallbackQuery(ref.queryId);
      } catch (err) {
        // 400: the query is too old (Telegram waits about 15 s) or unknown. Nothing left to answer.
        if (describeTelegramFailure(err).code !== 400) throw err;
      }
    }
    if (opts.typing) await this.api.sendChatAction(chatId(ref.chatId), 'typing');
  }

  describeFailure(err: unknown): DeliveryFailure {
    return describeTelegramFailure(err);
  }
}
