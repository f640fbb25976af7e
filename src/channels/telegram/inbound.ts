/**
 * Telegram updates → `InboundEvent[]` (Bot API, Update). Pure: no I/O, no clock unless the caller
 * gives none (`receivedAt`). The webhook secret must have been checked first; this module only reads
 * the parsed JSON. The same function serves webhook bodies and `getUpdates` results.
 *
 * - `message`: one `message` event. Private chats are answered; in groups the event carries
 *   `groupId` and is recorded, not answered (as for WhatsApp groups).
 * - `callback_query` (a button press): one `message` event with `choice` content, like a WhatsApp
 *   button reply. Its provider id is `<chat>:cb:<query id>` so the mark-as-read step answers it.
 * - `edited_message`: one `other` event (field `edited_message`) with the new content: kept for the
 *   record, never answered a second time.
 * - anything else (`my_chat_member` when a person blocks the bot, channel posts, polls…): one `other`
 *   event with the update as received.
 */
import type { z } from 'zod';
import type { ContactAddress } from '../../core/channel.ts';
import type { InboundEvent, InboundMessageEvent, OtherEvent } from '../../core/events.ts';
import { decodeCallbackData } from './callback-data.ts';
import { callbackRef, messageRef } from './ids.ts';
import { prune, toContent } from './inbound-content.ts';
import {
  TgCallbackQuery,
  TgChatMemberUpdated,
  TgMessage,
  TgUpdate,
  type TgChat,
  type TgUser,
} from './types.ts';

/** Outcome of `parseUpdate`: the events of an update, or why it cannot be read at all. */
export type ParseResult =
  { ok: true; events: InboundEvent[] } | { ok: false; error: 'malformed'; message: string };

export interface ParseOptions {
  /** The bot's id (the number before the colon of its token): the `account` of every event. */
  botId: string;
  /** When the update arrived (Unix ms), the time of updates that carry none. Default `Date.now()`. */
  receivedAt?: number;
}

/**
 * Reads one update. Only an update without a numeric `update_id` is `malformed`; an update whose
 * payload we cannot read becomes an `other` event of field `malformed`, kept for operators, so that
 * Telegram does not redeliver it forever and nothing is silently lost.
 */
export function parseUpdate(body: unknown, opts: ParseOptions): ParseResult {
  const env = TgUpdate.safeParse(body);
  if (!env.success) return { ok: false, error: 'malformed', message: 'not a Telegram update (no update_id)' };
  const update = env.data as Record<string, unknown> & TgUpdate;
  const ctx: Ctx = { botId: opts.botId, receivedAt: opts.receivedAt ?? Date.now(), update };
  const field = Object.keys(update).find((k) => k !== 'update_id') ?? 'empty';
  try {
    return { ok: true, events: [eventOf(field, update[field], ctx)] };
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    return { ok: true, events: [malformed(ctx, field, err.message)] };
  }
}

/** Parses a batch (a `getUpdates` result), one update at a time; unreadable ones are skipped. */
export function parseUpdates(updates: readonly unknown[], opts: ParseOptions): InboundEvent[] {
  return updates.flatMap((u) => {
    const r = parseUpdate(u, opts);
    return r.ok ? r.events : [];
  });
}

interface Ctx {
  botId: string;
  receivedAt: number;
  update: TgUpdate & Record<string, unknown>;
}

class Malformed extends Error {}

function eventOf(field: string, value: unknown, ctx: Ctx): InboundEvent {
  switch (field) {
    case 'message':
      return messageEvent(read(TgMessage, value, field), ctx);
    case 'edited_message':
      return editEvent(read(TgMessage, value, field), ctx);
    case 'callback_query':
      return callbackEvent(read(TgCallbackQuery, value, field), ctx);
    case 'my_chat_member': {
      const m = read(TgChatMemberUpdated, value, field);
      // `kicked` in a private chat: the person blocked the bot; `member` again: unblocked.
      return { ...otherEvent(ctx, field, value), timestamp: m.date * 1000 };
    }
    default:
      return otherEvent(ctx, field, value);
  }
}

function messageEvent(msg: TgMessage, ctx: Ctx): InboundMessageEvent {
  const chatId = msg.chat.id;
  const from = msg.from ? sender(msg.from) : chatSender(msg.chat);
  const event: InboundMessageEvent = {
    kind: 'message',
    channel: 'telegram',
    account: ctx.botId,
    // Message ids are unique per chat, and stable across redeliveries, webhook and polling alike.
    dedupeKey: `msg:${ctx.botId}:${messageRef(chatId, msg.message_id)}`,
    orderingKey: orderingKey(ctx.botId, chatId),
    timestamp: msg.date * 1000,
    providerMessageId: messageRef(chatId, msg.message_id),
    from,
    content: toContent(msg),
  };
  if (msg.chat.type !== 'private') event.groupId = String(chatId);
  const context = prune({
    messageId: msg.reply_to_message ? messageRef(chatId, msg.reply_to_message.message_id) : undefined,
    forwarded: msg.forward_origin !== undefined || msg.is_automatic_forward ? true : undefined,
  });
  if (Object.keys(context).length > 0) event.context = context;
  return event;
}

/**
 * A button press. The chat is the one of the message that carried the keyboard, else (inline-mode
 * messages) the person's private chat with the bot. The title is the pressed button's label, read
 * from that message's keyboard as Telegram echoes it.
 */
function callbackEvent(q: TgCallbackQuery, ctx: Ctx): InboundMessageEvent {
  if (q.data === undefined) throw new Malformed(`callback_query ${q.id} carries no data (a game?)`);
  const chat = q.message?.chat;
  const chatId = chat?.id ?? q.from.id;
  const button = q.message?.reply_markup?.inline_keyboard?.flat().find((b) => b.callback_data === q.data);
  const decoded = decodeCallbackData(q.data);
  const event: InboundMessageEvent = {
    kind: 'message',
    channel: 'telegram',
    account: ctx.botId,
    dedupeKey: `cbq:${ctx.botId}:${q.id}`,
    orderingKey: orderingKey(ctx.botId, chatId),
    // Callback queries carry no date.
    timestamp: ctx.receivedAt,
    providerMessageId: callbackRef(chatId, q.id),
    from: sender(q.from),
    content: prune({
      type: 'choice',
      source: 'button_reply',
      // A reference (`~<index>:<hash>`) is resolved to the full id at ingest (`resolveChoiceRefs`).
      choiceId: decoded.kind === 'id' ? decoded.id : q.data,
      title: button?.text ?? q.data,
    }),
  };
  if (chat && chat.type !== 'private') event.groupId = String(chat.id);
  if (q.message) event.context = { messageId: messageRef(chatId, q.message.message_id) };
  return event;
}

/** An edit: kept as an `other` event with the new content, so it is on record but never answered. */
function editEvent(msg: TgMessage, ctx: Ctx): OtherEvent {
  const editDate = msg.edit_date ?? msg.date;
  return {
    kind: 'other',
    channel: 'telegram',
    account: ctx.botId,
    dedupeKey: `edit:${ctx.botId}:${messageRef(msg.chat.id, msg.message_id)}:${editDate}`,
    orderingKey: orderingKey(ctx.botId, msg.chat.id),
    timestamp: editDate * 1000,
    field: 'edited_message',
    value: {
      providerMessageId: messageRef(msg.chat.id, msg.message_id),
      editedAt: editDate * 1000,
      from: msg.from ? sender(msg.from) : chatSender(msg.chat),
      content: toContent(msg),
      update: ctx.update,
    },
  };
}

function otherEvent(ctx: Ctx, field: string, value: unknown): OtherEvent {
  const chatId = chatIdOf(value);
  return {
    kind: 'other',
    channel: 'telegram',
    account: ctx.botId,
    dedupeKey: `upd:${ctx.botId}:${ctx.update.update_id}:${field}`,
    orderingKey: chatId === undefined ? `telegram:${ctx.botId}:${field}` : orderingKey(ctx.botId, chatId),
    timestamp: ctx.receivedAt,
    field,
    value,
  };
}

function malformed(ctx: Ctx, field: string, problem: string): OtherEvent {
  return {
    ...otherEvent(ctx, field, ctx.update[field]),
    field: 'malformed',
    value: { problem, update: ctx.update },
  };
}

/** One conversation per bot and chat. */
function orderingKey(botId: string, chatId: number | string): string {
  return `telegram:${botId}:${chatId}`;
}

/**
 * The person, by Telegram user id. In a private chat the chat id is the user id, so `address` is
 * also where replies go.
 */
function sender(u: TgUser): ContactAddress {
  const name = [u.first_name, u.last_name].filter(Boolean).join(' ');
  return prune({
    channel: 'telegram',
    address: String(u.id),
    userId: String(u.id),
    username: u.username,
    displayName: name || undefined,
  });
}

/** A channel post or an anonymous group admin has no `from`: the chat speaks. */
function chatSender(chat: TgChat): ContactAddress {
  return prune({
    channel: 'telegram',
    address: String(chat.id),
    username: chat.username,
    displayName: chat.title,
  });
}

function chatIdOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const chat = (value as { chat?: unknown }).chat;
  const id = typeof chat === 'object' && chat !== null ? (chat as { id?: unknown }).id : undefined;
  return typeof id === 'number' ? id : undefined;
}

function read<S extends z.ZodType>(schema: S, value: unknown, field: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 3)
    .map((i) => `${[field, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  throw new Malformed(issues);
}
