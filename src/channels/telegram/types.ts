/**
 * Wire types of the Telegram Bot API updates, as zod schemas (Bot API "Getting updates", "Available
 * types"). Every object is loose: fields Telegram adds tomorrow pass through untouched, and only the
 * fields this adapter reads are checked. The request side uses grammY's own types. Nothing outside
 * `channels/telegram` should import from here.
 */
import { z } from 'zod';

const Id = z.number().int();

export const TgUser = z.looseObject({
  id: Id,
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});
export type TgUser = z.infer<typeof TgUser>;

export const TgChat = z.looseObject({
  id: Id,
  /** `private`, `group`, `supergroup` or `channel`. */
  type: z.string(),
  title: z.string().optional(),
  username: z.string().optional(),
});
export type TgChat = z.infer<typeof TgChat>;

/** A file Telegram keeps: `file_id` is how the bot sends or downloads it again. */
const FileFields = {
  file_id: z.string().min(1),
  file_unique_id: z.string().optional(),
  file_size: z.number().optional(),
};

export const TgPhotoSize = z.looseObject({ ...FileFields, width: z.number(), height: z.number() });
export const TgFile = z.looseObject({
  ...FileFields,
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
});
export const TgSticker = z.looseObject({
  ...FileFields,
  is_animated: z.boolean().optional(),
  is_video: z.boolean().optional(),
  emoji: z.string().optional(),
});
export const TgLocation = z.looseObject({ latitude: z.number(), longitude: z.number() });
export const TgVenue = z.looseObject({
  location: TgLocation,
  title: z.string().optional(),
  address: z.string().optional(),
});
export const TgContact = z.looseObject({
  phone_number: z.string(),
  first_name: z.string(),
  last_name: z.string().optional(),
  user_id: z.number().optional(),
  vcard: z.string().optional(),
});
export type TgContact = z.infer<typeof TgContact>;
export const TgEntity = z.looseObject({ type: z.string(), offset: z.number(), length: z.number() });

/** One inline keyboard button, as Telegram echoes it in a callback query's `message`. */
export const TgInlineButton = z.looseObject({ text: z.string(), callback_data: z.string().optional() });

/**
 * A message. Only its envelope is checked strictly (id, date, chat); what it carries is read by
 * `inbound-content.ts`, which never throws on a kind it does not know.
 */
export const TgMessage = z.looseObject({
  message_id: Id,
  date: z.number(),
  chat: TgChat,
  from: TgUser.optional(),
  edit_date: z.number().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(TgEntity).optional(),
  reply_to_message: z.looseObject({ message_id: Id }).optional(),
  forward_origin: z.unknown().optional(),
  is_automatic_forward: z.boolean().optional(),
  reply_markup: z.looseObject({ inline_keyboard: z.array(z.array(TgInlineButton)).optional() }).optional(),
});
export type TgMessage = z.infer<typeof TgMessage>;

/**
 * A button press. `message` is the bot's message that carried the keyboard (absent for inline-mode
 * messages, which have `inline_message_id` instead); callback queries carry no date.
 */
export const TgCallbackQuery = z.looseObject({
  id: z.string().min(1),
  from: TgUser,
  message: z
    .looseObject({
      message_id: Id,
      chat: TgChat,
      reply_markup: z
        .looseObject({ inline_keyboard: z.array(z.array(TgInlineButton)).optional() })
        .optional(),
    })
    .optional(),
  inline_message_id: z.string().optional(),
  data: z.string().optional(),
  game_short_name: z.string().optional(),
});
export type TgCallbackQuery = z.infer<typeof TgCallbackQuery>;

/** `my_chat_member`: the bot's own membership changed, e.g. a person blocked or unblocked it. */
export const TgChatMemberUpdated = z.looseObject({
  chat: TgChat,
  from: TgUser,
  date: z.number(),
  new_chat_member: z.looseObject({ status: z.string() }),
});

/** The envelope every update shares: exactly one optional field besides `update_id` is set. */
export const TgUpdate = z.looseObject({ update_id: Id });
export type TgUpdate = z.infer<typeof TgUpdate>;
