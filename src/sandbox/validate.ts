import { invalidParameter, invalidValue, missingParameter, paramRequired } from './errors.ts';
import { validateInteractive } from './validate-interactive.ts';
import { validateTemplate } from './validate-template.ts';
import type { Json } from './validate-util.ts';
import { isObject, onlyKeys, optionalString, pathOf, requireObject, requireString } from './validate-util.ts';

export const SEND_TYPES = [
  'audio',
  'contacts',
  'document',
  'image',
  'interactive',
  'location',
  'reaction',
  'sticker',
  'template',
  'text',
  'video',
] as const;
export type SendType = (typeof SEND_TYPES)[number];

/** A request to `POST /<PHONE_NUMBER_ID>/messages` that passed Meta's checks (spec §2). */
export type MessagesRequest =
  | { kind: 'read'; messageId: string; typing: boolean }
  | {
      kind: 'send';
      /** Digits of the phone number, or the BSUID as given. */
      recipient: string;
      /** `to` exactly as sent (echoed as `contacts[].input`). */
      input: string;
      isBsuid: boolean;
      type: SendType;
      payload: Json;
      replyTo?: string;
      bizOpaque?: string;
    };

/**
 * Checks a messages request the way the Cloud API does and says what it asks for. Throws a
 * `GraphError` carrying Meta's code (100 / 131008 / 131009) and details on the first problem found.
 * `bsuid`: whether `to` may be a business-scoped user id (spec §1.7).
 */
export function validateMessagesRequest(body: unknown, opts: { bsuid: boolean }): MessagesRequest {
  if (!isObject(body)) throw paramRequired('messaging_product');
  if (body.messaging_product === undefined) throw paramRequired('messaging_product');
  if (body.messaging_product !== 'whatsapp') {
    throw invalidParameter(
      `Param messaging_product must be one of {WHATSAPP} - got "${String(body.messaging_product)}".`,
    );
  }
  if (body.status !== undefined) return validateRead(body);

  const input = requireString(body.to, 'to');
  const { recipient, isBsuid } = parseRecipient(input, opts.bsuid);
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    throw invalidParameter(
      body.recipient_type === 'group'
        ? 'Group messaging is not available in the sandbox.'
        : `Param recipient_type must be one of {INDIVIDUAL, GROUP} - got "${String(body.recipient_type)}".`,
    );
  }
  const type = body.type ?? 'text';
  if (typeof type !== 'string' || !(SEND_TYPES as readonly string[]).includes(type)) {
    throw invalidParameter(
      `Param type must be one of {${SEND_TYPES.map((t) => t.toUpperCase()).join(', ')}} - got "${String(type)}".`,
    );
  }
  const sendType = type as SendType;
  // `contacts` is an array on the wire; keep every payload an object for the records.
  const payload =
    sendType === 'contacts' ? { contacts: body.contacts } : requireObject(body[sendType], sendType);
  validatePayload(sendType, payload);

  let replyTo: string | undefined;
  if (body.context !== undefined) {
    if (sendType === 'reaction')
      throw invalidParameter('Param context is not supported for reaction messages.');
    replyTo = requireString(
      requireObject(body.context, 'context').message_id,
      pathOf('context', 'message_id'),
    );
  }
  const bizOpaque = optionalString(body.biz_opaque_callback_data, 'biz_opaque_callback_data', 512);
  return { kind: 'send', recipient, input, isBsuid, type: sendType, payload, replyTo, bizOpaque };
}

function validateRead(body: Json): MessagesRequest {
  if (body.status !== 'read') {
    throw invalidParameter(`Param status must be one of {READ} - got "${String(body.status)}".`);
  }
  const messageId = requireString(body.message_id, 'message_id');
  let typing = false;
  if (body.typing_indicator !== undefined) {
    const t = requireObject(body.typing_indicator, 'typing_indicator');
    if (t.type !== 'text') throw invalidValue('typing_indicator.type must be "text".');
    typing = true;
  }
  return { kind: 'read', messageId, typing };
}

/** `+1 650-555-1234` → `16505551234`; `user.…` only with the BSUID flag. */
function parseRecipient(to: string, bsuid: boolean): { recipient: string; isBsuid: boolean } {
  if (/^user\./.test(to)) {
    if (!bsuid)
      throw invalidValue('Invalid WhatsApp phone number: business-scoped user ids are not enabled.');
    return { recipient: to, isBsuid: true };
  }
  const digits = to.replace(/[\s\-().]/g, '').replace(/^\+/, '');
  if (!/^\d{5,15}$/.test(digits)) throw invalidValue(`Recipient phone number "${to}" is not valid.`);
  return { recipient: digits, isBsuid: false };
}

function validatePayload(type: SendType, p: Json): void {
  switch (type) {
    case 'text':
      onlyKeys(p, ['body', 'preview_url'], 'text');
      requireString(p.body, pathOf('text', 'body'), 4096);
      return;
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return validateMedia(type, p);
    case 'location':
      return validateLocation(p);
    case 'contacts':
      return validateContacts(p);
    case 'reaction':
      onlyKeys(p, ['message_id', 'emoji'], 'reaction');
      requireString(p.message_id, pathOf('reaction', 'message_id'));
      if (typeof p.emoji !== 'string') throw paramRequired(pathOf('reaction', 'emoji'));
      if ([...p.emoji].length > 8) throw invalidValue('Reaction emoji must be a single emoji.');
      return;
    case 'interactive':
      return validateInteractive(p);
    case 'template':
      return validateTemplate(p);
  }
}

const MEDIA_KEYS: Record<string, string[]> = {
  image: ['id', 'link', 'caption'],
  video: ['id', 'link', 'caption'],
  document: ['id', 'link', 'caption', 'filename'],
  audio: ['id', 'link'],
  sticker: ['id', 'link'],
};

function validateMedia(type: string, p: Json): void {
  onlyKeys(p, MEDIA_KEYS[type] ?? [], type);
  if ((p.id === undefined) === (p.link === undefined)) {
    if (p.id === undefined) throw missingParameter(`Param ${type} must contain either id or link.`);
    throw invalidParameter(`Param ${type} must contain either id or link, not both.`);
  }
  if (p.id !== undefined) requireString(p.id, pathOf(type, 'id'));
  if (p.link !== undefined) {
    const link = requireString(p.link, pathOf(type, 'link'));
    if (!/^https?:\/\/[^\s]+$/i.test(link)) throw invalidValue(`Param ${type}['link'] is not a valid URL.`);
  }
  optionalString(p.caption, pathOf(type, 'caption'), 1024);
  optionalString(p.filename, pathOf(type, 'filename'), 240);
}

function validateLocation(p: Json): void {
  onlyKeys(p, ['latitude', 'longitude', 'name', 'address'], 'location');
  for (const [key, limit] of [
    ['latitude', 90],
    ['longitude', 180],
  ] as const) {
    const v = p[key];
    if (v === undefined || v === '') throw paramRequired(pathOf('location', key));
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n) || Math.abs(n) > limit)
      throw invalidValue(`Param location['${key}'] is not valid.`);
  }
  optionalString(p.name, pathOf('location', 'name'), 1000);
  optionalString(p.address, pathOf('location', 'address'), 1000);
}

function validateContacts(p: Json): void {
  const list = p.contacts;
  if (!Array.isArray(list) || list.length === 0) throw paramRequired('contacts');
  list.forEach((c: unknown, i) => {
    const contact = requireObject(c, pathOf('contacts', i));
    const name = requireObject(contact.name, pathOf('contacts', i, 'name'));
    requireString(name.formatted_name, pathOf('contacts', i, 'name', 'formatted_name'));
  });
}
