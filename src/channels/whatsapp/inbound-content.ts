/**
 * One inbound WhatsApp message object → the gateway's `MessageContent` (spec §1.4). Pure and total:
 * a type we do not know, or a known type whose object does not have the expected shape, becomes
 * `{ type: 'unknown', providerType, raw }` so it is stored as received instead of crashing the webhook.
 */
import {
  MEDIA_KINDS,
  type ChoiceContent,
  type MediaKind,
  type MediaRef,
  type MessageContent,
  type ProviderError,
} from '../../core/content.ts';
import type { WaError, WaMessage } from './types.ts';
import {
  WaButton,
  WaChoice,
  WaInteractive,
  WaLocation,
  WaMedia,
  WaReaction,
  WaSystem,
  WaText,
  WaUnsupported,
} from './types.ts';

/** Converts WhatsApp `errors[]` items to the gateway's `ProviderError` (details from `error_data`). */
export function toProviderErrors(errors: readonly WaError[]): ProviderError[] {
  return errors.map((e) =>
    prune({ code: e.code, title: e.title, message: e.message, details: e.error_data?.details, href: e.href }),
  );
}

/**
 * Reads the typed content of one `messages[]` item. Never throws: see the module comment.
 * Interactive `nfm_reply` (Flows, address messages) and `payment_method` become `structured_reply`
 * with their object kept as received; we store them without interpreting them yet.
 */
export function toContent(msg: WaMessage): MessageContent {
  const unknown: MessageContent = { type: 'unknown', providerType: msg.type, raw: msg };
  const body: unknown = (msg as Record<string, unknown>)[msg.type];

  if (MEDIA_KINDS.has(msg.type)) return mediaContent(msg.type as MediaKind, body) ?? unknown;

  switch (msg.type) {
    case 'text': {
      const t = WaText.safeParse(body);
      return t.success ? { type: 'text', text: t.data.body } : unknown;
    }
    case 'location': {
      const l = WaLocation.safeParse(body);
      if (!l.success) return unknown;
      const { latitude, longitude, name, address, url } = l.data;
      return prune({ type: 'location', latitude, longitude, name, address, url });
    }
    case 'contacts':
      return Array.isArray(body) ? { type: 'contacts', contacts: body } : unknown;
    case 'reaction': {
      const r = WaReaction.safeParse(body);
      if (!r.success) return unknown;
      // spec §1.4: a removed reaction omits `emoji` (the docs' mirror also shows it empty)
      return { type: 'reaction', messageId: r.data.message_id, emoji: r.data.emoji || null };
    }
    case 'button': {
      const b = WaButton.safeParse(body);
      if (!b.success) return unknown;
      // spec §1.4: `payload` is what the business set at send time, defaulting to the label
      return {
        type: 'choice',
        source: 'template_button',
        choiceId: b.data.payload ?? b.data.text,
        title: b.data.text,
      };
    }
    case 'interactive':
      return interactiveContent(msg, body) ?? unknown;
    case 'order':
      return isObject(body) ? { type: 'order', order: body } : unknown;
    case 'system': {
      const s = WaSystem.safeParse(body);
      if (!s.success) return unknown;
      return prune({
        type: 'system',
        systemType: s.data.type ?? 'unknown',
        body: s.data.body,
        newWaId: s.data.wa_id ?? s.data.new_wa_id,
      });
    }
    case 'request_welcome':
      return { type: 'request_welcome' };
    case 'unsupported': {
      // spec §1.4: errors[] carries 131051 (130501 in groups); `unsupported.type` may be absent
      const u = WaUnsupported.safeParse(body);
      return prune({
        type: 'unsupported',
        unsupportedType: u.success ? u.data.type : undefined,
        errors: msg.errors ? toProviderErrors(msg.errors) : undefined,
      });
    }
    default:
      return unknown;
  }
}

/** spec §1.4: image, audio (`voice`), video, document (`filename`) and sticker (`animated`). */
function mediaContent(kind: MediaKind, body: unknown): MessageContent | undefined {
  const m = WaMedia.safeParse(body);
  if (!m.success) return undefined;
  const media: MediaRef = prune({
    id: m.data.id,
    url: m.data.url,
    mimeType: m.data.mime_type,
    sha256: m.data.sha256,
    caption: m.data.caption,
    filename: m.data.filename,
    voice: m.data.voice,
    animated: m.data.animated,
  });
  return { type: 'media', kind, media };
}

function interactiveContent(msg: WaMessage, body: unknown): MessageContent | undefined {
  const i = WaInteractive.safeParse(body);
  if (!i.success) return undefined;
  const sub: unknown = (i.data as Record<string, unknown>)[i.data.type];
  switch (i.data.type) {
    case 'button_reply':
    case 'list_reply': {
      const c = WaChoice.safeParse(sub);
      if (!c.success) return undefined;
      return prune<ChoiceContent>({
        type: 'choice',
        source: i.data.type,
        choiceId: c.data.id,
        title: c.data.title,
        description: c.data.description,
      });
    }
    case 'nfm_reply':
    case 'payment_method':
      return sub === undefined ? undefined : { type: 'structured_reply', subtype: i.data.type, data: sub };
    default:
      return { type: 'unknown', providerType: `interactive.${i.data.type}`, raw: msg };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops `undefined` properties, so events compare and serialise cleanly. */
export function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
