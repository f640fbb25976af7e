/**
 * Typed message content, shared by every channel. Inbound kinds mirror what users can send (spec §1.4);
 * outbound-only kinds (buttons, list, template) mirror what a business can send (spec §2.2). Channel
 * adapters translate to and from their provider's wire format; the core never sees provider JSON.
 */

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

export const MEDIA_KINDS: ReadonlySet<string> = new Set<MediaKind>([
  'image',
  'audio',
  'video',
  'document',
  'sticker',
]);

/** A media object: by provider media id, or by public link (outbound), with the provider's metadata. */
export interface MediaRef {
  id?: string;
  link?: string;
  /** Download URL given by the provider (short-lived). */
  url?: string;
  mimeType?: string;
  /** Base64 SHA-256 as the provider gives it. */
  sha256?: string;
  caption?: string;
  filename?: string;
  voice?: boolean;
  animated?: boolean;
}

/** An error object as a provider reports it (WhatsApp: `errors[]`). */
export interface ProviderError {
  code: number;
  title?: string;
  message?: string;
  details?: string;
  href?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
  previewUrl?: boolean;
}

export interface MediaContent {
  type: 'media';
  kind: MediaKind;
  media: MediaRef;
}

export interface LocationContent {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}

export interface ContactsContent {
  type: 'contacts';
  /** vCard-like objects as sent by the provider. */
  contacts: unknown[];
}

export interface ReactionContent {
  type: 'reaction';
  /** Provider id of the message reacted to. */
  messageId: string;
  /** `null` when the user removed their reaction (spec §1.4: emoji omitted). */
  emoji: string | null;
}

/** The user picked a choice: a reply button, a list row, or a template quick-reply button. */
export interface ChoiceContent {
  type: 'choice';
  source: 'button_reply' | 'list_reply' | 'template_button';
  choiceId: string;
  title: string;
  description?: string;
}

/** Structured replies we store but do not interpret yet (Flows `nfm_reply`, payment methods, …). */
export interface StructuredReplyContent {
  type: 'structured_reply';
  subtype: string;
  data: unknown;
}

export interface OrderContent {
  type: 'order';
  order: unknown;
}

export interface SystemContent {
  type: 'system';
  systemType: string;
  body?: string;
  /** For `user_changed_number`: the user's new id. */
  newWaId?: string;
}

/**
 * The person opened the chat: WhatsApp's first-contact `request_welcome`, Telegram's `/start`. A
 * deep link (`t.me/<bot>?start=<payload>`) adds its payload, e.g. a link code to redeem.
 */
export interface RequestWelcomeContent {
  type: 'request_welcome';
  payload?: string;
}

/** The provider told us it could not represent the message (WhatsApp 131051). */
export interface UnsupportedContent {
  type: 'unsupported';
  unsupportedType?: string;
  errors?: ProviderError[];
}

/** A kind we do not know yet: stored as received, never a crash. */
export interface UnknownContent {
  type: 'unknown';
  providerType: string;
  raw: unknown;
}

export interface ButtonsContent {
  type: 'buttons';
  body: string;
  header?: string;
  footer?: string;
  buttons: { id: string; title: string }[];
}

export interface ListContent {
  type: 'list';
  body: string;
  header?: string;
  footer?: string;
  buttonText: string;
  sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
}

export type TemplateParameter =
  | { type: 'text'; text: string; name?: string }
  | { type: 'payload'; payload: string }
  | { type: 'media'; kind: 'image' | 'video' | 'document'; media: MediaRef }
  | { type: 'currency'; fallback: string; code: string; amount1000: number; name?: string }
  | { type: 'date_time'; fallback: string; name?: string };

/** An approved message template. Named parameters carry `name`; positional ones do not (spec §2.2). */
export interface TemplateContent {
  type: 'template';
  name: string;
  language: string;
  header?: TemplateParameter[];
  body?: TemplateParameter[];
  buttons?: { subType: 'quick_reply' | 'url'; index: number; parameters: TemplateParameter[] }[];
}

export type MessageContent =
  | TextContent
  | MediaContent
  | LocationContent
  | ContactsContent
  | ReactionContent
  | ChoiceContent
  | StructuredReplyContent
  | OrderContent
  | SystemContent
  | RequestWelcomeContent
  | UnsupportedContent
  | UnknownContent
  | ButtonsContent
  | ListContent
  | TemplateContent;

/** A short human-readable rendering of any content, for logs, transcripts and the assistant. */
export function contentSummary(c: MessageContent): string {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'media':
      return c.media.caption ? `[${c.kind}] ${c.media.caption}` : `[${c.kind}]`;
    case 'location':
      return `[location] ${c.name ?? ''} ${c.address ?? ''} (${c.latitude}, ${c.longitude})`.replace(
        /\s+/g,
        ' ',
      );
    case 'contacts':
      return `[contacts ×${c.contacts.length}]`;
    case 'reaction':
      return c.emoji ? `[reaction ${c.emoji}]` : '[reaction removed]';
    case 'choice':
      return c.title;
    case 'structured_reply':
      return `[${c.subtype}]`;
    case 'order':
      return '[order]';
    case 'system':
      return `[system ${c.systemType}] ${c.body ?? ''}`.trim();
    case 'request_welcome':
      return '[opened the chat]';
    case 'unsupported':
      return `[unsupported${c.unsupportedType ? ` ${c.unsupportedType}` : ''}]`;
    case 'unknown':
      return `[${c.providerType}]`;
    case 'buttons':
      return `${c.body} [${c.buttons.map((b) => b.title).join(' | ')}]`;
    case 'list':
      return `${c.body} [${c.buttonText}]`;
    case 'template':
      return `[template ${c.name}/${c.language}]`;
  }
}
