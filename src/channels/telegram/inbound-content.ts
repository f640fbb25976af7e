/**
 * One Telegram message → `MessageContent` (Bot API, Message). Pure and total: a kind we do not read
 * becomes `unknown` (kept as received), a service message (someone joined, a pin…) becomes `system`;
 * nothing is dropped and nothing throws.
 */
import type { MediaRef, MessageContent } from '../../core/content.ts';
import type { TgMessage } from './types.ts';
import { TgContact, TgFile, TgLocation, TgPhotoSize, TgSticker, TgVenue } from './types.ts';

/**
 * Service messages: things that happened in a chat rather than things a person said. Recorded as
 * `system`, never answered.
 */
const SERVICE_FIELDS = [
  'new_chat_members',
  'left_chat_member',
  'new_chat_title',
  'new_chat_photo',
  'delete_chat_photo',
  'group_chat_created',
  'supergroup_chat_created',
  'channel_chat_created',
  'message_auto_delete_timer_changed',
  'migrate_to_chat_id',
  'migrate_from_chat_id',
  'pinned_message',
  'write_access_allowed',
  'users_shared',
  'chat_shared',
  'connected_website',
  'proximity_alert_triggered',
  'boost_added',
  'chat_background_set',
  'forum_topic_created',
  'forum_topic_edited',
  'forum_topic_closed',
  'forum_topic_reopened',
  'general_forum_topic_hidden',
  'general_forum_topic_unhidden',
  'video_chat_scheduled',
  'video_chat_started',
  'video_chat_ended',
  'video_chat_participants_invited',
  'successful_payment',
  'refunded_payment',
] as const;

/** Fields of a message that say what it carries; the first present one names an unknown kind. */
const CONTENT_FIELDS = [
  'text',
  'animation',
  'photo',
  'document',
  'audio',
  'voice',
  'video',
  'video_note',
  'sticker',
  'venue',
  'location',
  'contact',
  'poll',
  'dice',
  'game',
  'invoice',
  'story',
  'paid_media',
  'checklist',
] as const;

/** The `/start` command, with or without the bot's username, and its deep-link payload. */
const START_RE = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/;

/**
 * What the message carries. `/start [payload]` (the person opened the bot, maybe from a
 * `t.me/<bot>?start=<payload>` deep link) becomes `request_welcome` with the payload kept.
 */
export function toContent(msg: TgMessage): MessageContent {
  const m = msg as Record<string, unknown>;
  if (msg.text !== undefined) {
    const start = startCommand(msg);
    if (start !== undefined) return start;
    return { type: 'text', text: msg.text };
  }
  const caption = msg.caption;
  // An animation (GIF) also carries a `document` copy: read it first.
  if (m.animation !== undefined)
    return fileContent('video', TgFile, m.animation, caption, { animated: true });
  if (Array.isArray(m.photo) && m.photo.length > 0) return photoContent(m.photo, caption, m);
  if (m.document !== undefined) return fileContent('document', TgFile, m.document, caption);
  if (m.audio !== undefined) return fileContent('audio', TgFile, m.audio, caption);
  if (m.voice !== undefined) return fileContent('audio', TgFile, m.voice, caption, { voice: true });
  if (m.video !== undefined) return fileContent('video', TgFile, m.video, caption);
  if (m.video_note !== undefined) return fileContent('video', TgFile, m.video_note, caption);
  if (m.sticker !== undefined) {
    const s = TgSticker.safeParse(m.sticker);
    if (!s.success) return unknown('sticker', m.sticker);
    return media('sticker', { id: s.data.file_id, animated: s.data.is_animated || s.data.is_video });
  }
  if (m.venue !== undefined) {
    const v = TgVenue.safeParse(m.venue);
    if (!v.success) return unknown('venue', m.venue);
    const { latitude, longitude } = v.data.location;
    return prune({ type: 'location', latitude, longitude, name: v.data.title, address: v.data.address });
  }
  if (m.location !== undefined) {
    const l = TgLocation.safeParse(m.location);
    if (!l.success) return unknown('location', m.location);
    return { type: 'location', latitude: l.data.latitude, longitude: l.data.longitude };
  }
  if (m.contact !== undefined) {
    const c = TgContact.safeParse(m.contact);
    if (!c.success) return unknown('contact', m.contact);
    return { type: 'contacts', contacts: [contactCard(c.data)] };
  }
  const service = SERVICE_FIELDS.find((f) => m[f] !== undefined);
  if (service !== undefined) return { type: 'system', systemType: service };
  const field = CONTENT_FIELDS.find((f) => m[f] !== undefined) ?? 'message';
  return unknown(field, field === 'message' ? msg : m[field]);
}

/** `/start` as the first entity, a bot command at offset 0 (a plain "/start" typed is one too). */
function startCommand(msg: TgMessage): MessageContent | undefined {
  const first = msg.entities?.[0];
  if (first && !(first.type === 'bot_command' && first.offset === 0)) return undefined;
  const m = START_RE.exec(msg.text ?? '');
  if (!m) return undefined;
  const payload = m[1]?.trim();
  return payload ? { type: 'request_welcome', payload } : { type: 'request_welcome' };
}

function photoContent(sizes: unknown[], caption: string | undefined, raw: unknown): MessageContent {
  // Telegram lists the sizes smallest first; keep the largest readable one.
  const readable = sizes.map((s) => TgPhotoSize.safeParse(s)).filter((r) => r.success);
  const largest = readable
    .map((r) => r.data)
    .reduce<(typeof readable)[number]['data'] | undefined>(
      (best, s) => (!best || s.width * s.height >= best.width * best.height ? s : best),
      undefined,
    );
  if (!largest) return unknown('photo', raw);
  return media('image', prune({ id: largest.file_id, caption }));
}

function fileContent(
  kind: 'video' | 'document' | 'audio',
  schema: typeof TgFile,
  value: unknown,
  caption: string | undefined,
  extra: Pick<MediaRef, 'voice' | 'animated'> = {},
): MessageContent {
  const f = schema.safeParse(value);
  if (!f.success) return unknown(kind, value);
  return media(
    kind,
    prune({
      id: f.data.file_id,
      mimeType: f.data.mime_type,
      filename: f.data.file_name,
      caption,
      ...extra,
    }),
  );
}

function media(kind: MediaRefKind, ref: MediaRef): MessageContent {
  return { type: 'media', kind, media: prune(ref) };
}
type MediaRefKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/** A shared contact, in the vCard-like shape WhatsApp uses, so every channel reads the same. */
function contactCard(c: TgContact): Record<string, unknown> {
  const formatted = [c.first_name, c.last_name].filter(Boolean).join(' ');
  return prune({
    name: prune({ formatted_name: formatted, first_name: c.first_name, last_name: c.last_name }),
    phones: [prune({ phone: c.phone_number, telegram_user_id: c.user_id?.toString() })],
    vcard: c.vcard,
  });
}

function unknown(providerType: string, raw: unknown): MessageContent {
  return { type: 'unknown', providerType, raw };
}

/** Copies `o` without its `undefined` properties. */
export function prune<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
