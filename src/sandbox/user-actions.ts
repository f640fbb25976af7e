import type { SandboxContext } from './context.ts';
import { newWamid } from './ids.ts';
import type { InboundMessage, OutboundMessage, SimUser } from './state.ts';
import { messageObject } from './webhook-bodies.ts';

type Json = Record<string, unknown>;
export type UserMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/**
 * What a simulated user can send (spec §1.4). Media without `data` gets a small placeholder file;
 * `data` may be bytes or base64. A `tap` answers an interactive reply button, a list row or a
 * template quick-reply button of the business message `messageId`, by id or by title.
 */
export type UserContent =
  | { type: 'text'; text: string; forwarded?: boolean; replyTo?: string }
  | {
      type: UserMediaType;
      data?: Buffer | string;
      mimeType?: string;
      caption?: string;
      filename?: string;
      voice?: boolean;
    }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string; url?: string }
  | { type: 'contacts'; contacts: Json[] }
  | { type: 'reaction'; messageId: string; emoji: string | null }
  | { type: 'tap'; messageId: string; choice: string };

/** A simulated user asked for something impossible (unknown user, message or choice). */
export class SandboxUserError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'SandboxUserError';
  }
}

const PLACEHOLDERS: Record<UserMediaType, { mime: string; bytes: Buffer; filename?: string }> = {
  image: {
    mime: 'image/png',
    bytes: Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    ),
  },
  audio: { mime: 'audio/ogg; codecs=opus', bytes: Buffer.from('OggS\0sandbox-voice-note') },
  video: { mime: 'video/mp4', bytes: Buffer.from('\0\0\0\x18ftypmp42sandbox-video') },
  document: {
    mime: 'application/pdf',
    bytes: Buffer.from('%PDF-1.4\n% sandbox document\n'),
    filename: 'document.pdf',
  },
  sticker: { mime: 'image/webp', bytes: Buffer.from('RIFF\x1a\0\0\0WEBPVP8 sandbox-sticker') },
};

/**
 * The simulated user sends `content` to the business: builds the Meta-shaped message, records it,
 * opens or resets the 24-hour window and queues the webhook. Returns the recorded message.
 */
export function userSends(ctx: SandboxContext, userRef: string, content: UserContent): InboundMessage {
  const user = ctx.state.findUser(userRef);
  if (!user) throw new SandboxUserError(`No simulated user "${userRef}".`, 404);
  const { type, payload, context } = messageParts(ctx, user, content);
  const at = ctx.clock.now();
  const id = newWamid(user.waId || user.key, 'user');
  const message = messageObject(
    user,
    { id, timestamp: ctx.clock.unixSeconds(at), type, payload, context },
    ctx.settings.bsuid,
  );
  const item: InboundMessage = {
    direction: 'in',
    id,
    userKey: user.key,
    at,
    type,
    message,
    readByBusiness: false,
  };
  ctx.state.add(item);
  ctx.state.noteInbound(ctx.business.phoneNumberId, user.key, at);
  ctx.dispatcher.enqueue({ kind: 'message', user, message });
  return item;
}

function messageParts(
  ctx: SandboxContext,
  user: SimUser,
  c: UserContent,
): { type: string; payload: Json; context?: Json } {
  switch (c.type) {
    case 'text': {
      if (!c.text) throw new SandboxUserError('A text message needs some text.');
      let context: Json | undefined;
      if (c.replyTo) context = quote(ctx, user, c.replyTo);
      if (c.forwarded) context = { ...context, forwarded: true };
      return { type: 'text', payload: { body: c.text }, context };
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return { type: c.type, payload: mediaPayload(ctx, c) };
    case 'location': {
      const { latitude, longitude, name, address, url } = c;
      return { type: 'location', payload: { address, latitude, longitude, name, url } };
    }
    case 'contacts':
      if (!Array.isArray(c.contacts) || c.contacts.length === 0)
        throw new SandboxUserError('No contacts to share.');
      return { type: 'contacts', payload: c.contacts as unknown as Json };
    case 'reaction': {
      businessMessage(ctx, user, c.messageId);
      // spec §1.4: removing a reaction omits `emoji`.
      const payload: Json = { message_id: c.messageId, ...(c.emoji ? { emoji: c.emoji } : {}) };
      return { type: 'reaction', payload };
    }
    case 'tap':
      return tap(ctx, user, c.messageId, c.choice);
  }
}

/** The `context` of a quoted reply: `from` is whoever wrote the quoted message. */
function quote(ctx: SandboxContext, user: SimUser, messageId: string): Json {
  const quoted = ctx.state.get(messageId);
  if (!quoted || quoted.userKey !== user.key)
    throw new SandboxUserError(`No message ${messageId} in this chat.`, 404);
  return { from: quoted.direction === 'out' ? ctx.business.displayPhoneNumber : user.waId, id: messageId };
}

function businessMessage(ctx: SandboxContext, user: SimUser, messageId: string): OutboundMessage {
  const item = ctx.state.get(messageId);
  if (!item || item.direction !== 'out' || item.userKey !== user.key) {
    throw new SandboxUserError(`No business message ${messageId} in this chat.`, 404);
  }
  return item;
}

function tap(
  ctx: SandboxContext,
  user: SimUser,
  messageId: string,
  choice: string,
): { type: string; payload: Json; context: Json } {
  const msg = businessMessage(ctx, user, messageId);
  const context = { from: ctx.business.displayPhoneNumber, id: messageId };
  if (msg.template) {
    const qr = msg.template.quickReplies.find((q) => q.payload === choice || q.text === choice);
    if (qr) return { type: 'button', payload: { payload: qr.payload, text: qr.text }, context };
  }
  const interactive = msg.payload as {
    type?: string;
    action?: { buttons?: unknown[]; sections?: unknown[] };
  };
  if (msg.type === 'interactive' && interactive.type === 'button') {
    const replies = (interactive.action?.buttons ?? []) as { reply: { id: string; title: string } }[];
    const b = replies.find((x) => x.reply.id === choice || x.reply.title === choice);
    if (b) {
      const payload = { type: 'button_reply', button_reply: { id: b.reply.id, title: b.reply.title } };
      return { type: 'interactive', payload, context };
    }
  }
  if (msg.type === 'interactive' && interactive.type === 'list') {
    const sections = (interactive.action?.sections ?? []) as {
      rows: { id: string; title: string; description?: string }[];
    }[];
    const row = sections.flatMap((s) => s.rows).find((r) => r.id === choice || r.title === choice);
    if (row) {
      const listReply = {
        id: row.id,
        title: row.title,
        ...(row.description ? { description: row.description } : {}),
      };
      return { type: 'interactive', payload: { type: 'list_reply', list_reply: listReply }, context };
    }
  }
  throw new SandboxUserError(`Message ${messageId} has no button or row "${choice}".`);
}

function mediaPayload(ctx: SandboxContext, c: Extract<UserContent, { type: UserMediaType }>): Json {
  const placeholder = PLACEHOLDERS[c.type];
  const bytes =
    c.data === undefined
      ? placeholder.bytes
      : Buffer.isBuffer(c.data)
        ? c.data
        : Buffer.from(c.data, 'base64');
  const mimeType = c.mimeType ?? placeholder.mime;
  const filename = c.type === 'document' ? (c.filename ?? placeholder.filename) : undefined;
  const media = ctx.media.put(bytes, mimeType, filename);
  return {
    ...(c.caption && c.type !== 'audio' && c.type !== 'sticker' ? { caption: c.caption } : {}),
    ...(filename ? { filename } : {}),
    mime_type: mimeType,
    sha256: media.sha256,
    id: media.id,
    url: ctx.media.issueUrl(media.id, ctx.baseUrl()),
    ...(c.type === 'audio' ? { voice: c.voice ?? true } : {}),
    ...(c.type === 'sticker' ? { animated: false } : {}),
  };
}
