/**
 * How Telegram's identifiers become Passerelle's. Telegram numbers messages per chat, so a message is
 * known by its chat and its number together: `<chat id>:<message id>`. A button press (a callback
 * query) is not a message of its own; it is known by its chat and query id: `<chat id>:cb:<query id>`,
 * which lets `markRead` answer the query and show the typing indicator in the right chat.
 */

/** A reference to something a person did in a chat, as stored in `provider_message_id`. */
export type TelegramRef =
  | { kind: 'message'; chatId: string; messageId: number }
  | { kind: 'callback'; chatId: string; queryId: string };

/** `<chat id>:<message id>`: a message, unique across the bot's chats. */
export function messageRef(chatId: number | string, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/** `<chat id>:cb:<query id>`: a button press in a chat. */
export function callbackRef(chatId: number | string, queryId: string): string {
  return `${chatId}:cb:${queryId}`;
}

/** Reads a reference made by `messageRef` or `callbackRef`; `undefined` for anything else. */
export function parseRef(ref: string): TelegramRef | undefined {
  const cb = /^(-?\d+):cb:(.+)$/.exec(ref);
  if (cb) return { kind: 'callback', chatId: cb[1]!, queryId: cb[2]! };
  const msg = /^(-?\d+):(\d+)$/.exec(ref);
  if (msg) return { kind: 'message', chatId: msg[1]!, messageId: Number(msg[2]) };
  return undefined;
}

/**
 * The bot's id: the number before the colon of its token (`123456789:AA…`). It is the `account` of
 * every Telegram event and outbox item, known without any call to Telegram.
 */
export function botIdFromToken(token: string): string {
  const m = /^(\d+):/.exec(token);
  if (!m) throw new Error('a Telegram bot token starts with the bot id and a colon');
  return m[1]!;
}
