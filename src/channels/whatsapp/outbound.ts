/**
 * The sending half of the WhatsApp channel: `MessageContent` → Graph send body (spec §2.1–2.2), and
 * the `ChannelOutbound` the dispatcher calls. Translation is pure and validates first
 * (`outbound-rules.ts`); only `WhatsAppOutbound` does I/O, through a `GraphClient`.
 */
import type { ChannelOutbound, DeliveryFailure, OutboundSend } from '../../core/delivery.ts';
import type {
  ButtonsContent,
  ListContent,
  MediaKind,
  MediaRef,
  MessageContent,
  TemplateContent,
  TemplateParameter,
} from '../../core/content.ts';
import { describeWhatsAppFailure, WhatsAppApiError } from './errors.ts';
import type { GraphClient } from './graph-client.ts';
import {
  checkMax,
  checkUnique,
  formatRecipient,
  LIMITS,
  reject,
  requireText,
  TEMPLATE_NAME_RE,
} from './outbound-rules.ts';

type GraphBody = Record<string, unknown>;

/**
 * Builds the JSON body of `POST /<PHONE_NUMBER_ID>/messages` for one send (spec §2.1–2.2). Pure.
 * Throws a local `WhatsAppApiError` (code 100 / 131008 / 131009, HTTP 400) for anything Meta would
 * refuse, and for inbound-only content (a choice, an order, …), so nothing doomed reaches Meta.
 */
export function toGraphMessage(req: OutboundSend): GraphBody {
  const [type, payload] = contentPayload(req.content);
  if (req.replyTo !== undefined && req.content.type === 'reaction') {
    reject(100, 'context (a reply) is not allowed with a reaction'); // spec §2.2
  }
  checkMax(req.callbackData, LIMITS.callbackData, 'biz_opaque_callback_data', 100);
  const body: GraphBody = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: formatRecipient(req.to),
  };
  if (req.replyTo !== undefined) body.context = { message_id: req.replyTo };
  body.type = type;
  body[type] = payload;
  if (req.callbackData !== undefined) body.biz_opaque_callback_data = req.callbackData;
  return body;
}

function contentPayload(c: MessageContent): [string, unknown] {
  switch (c.type) {
    case 'text': {
      const text = requireText(c.text, LIMITS.textBody, "text['body']", 100);
      return [
        'text',
        c.previewUrl === undefined ? { body: text } : { preview_url: c.previewUrl, body: text },
      ];
    }
    case 'media':
      return [c.kind, mediaObject(c.kind, c.media)];
    case 'location':
      if (!(Math.abs(c.latitude) <= 90) || !(Math.abs(c.longitude) <= 180)) {
        reject(100, `location (${c.latitude}, ${c.longitude}) is out of range`);
      }
      // spec §2.2: location sends carry the coordinates as strings
      return [
        'location',
        defined({
          latitude: String(c.latitude),
          longitude: String(c.longitude),
          name: c.name,
          address: c.address,
        }),
      ];
    case 'contacts':
      if (c.contacts.length === 0) reject(131008, 'contacts must hold at least one contact');
      return ['contacts', c.contacts];
    case 'reaction':
      requireText(c.messageId, Infinity, "reaction['message_id']", 100);
      // an empty emoji removes our reaction
      return ['reaction', { message_id: c.messageId, emoji: c.emoji ?? '' }];
    case 'buttons':
      return ['interactive', buttonsInteractive(c)];
    case 'list':
      return ['interactive', listInteractive(c)];
    case 'template':
      return ['template', templateObject(c)];
    default:
      return reject(100, `content type "${c.type}" is inbound-only and cannot be sent`);
  }
}

/** spec §2.2: one of `id` or `link`; caption for image, video and document; filename for documents. */
function mediaObject(kind: MediaKind, m: MediaRef, allowCaption = true): GraphBody {
  if (m.id === undefined && m.link === undefined) reject(131008, `${kind} needs an id or a link`);
  if (m.id !== undefined && m.link !== undefined) reject(100, `${kind} takes an id or a link, not both`);
  if (m.caption !== undefined && (!allowCaption || kind === 'audio' || kind === 'sticker')) {
    reject(100, `${kind} does not take a caption`);
  }
  if (m.filename !== undefined && kind !== 'document') reject(100, `${kind} does not take a filename`);
  checkMax(m.caption, LIMITS.caption, `${kind}['caption']`, 100);
  return defined({ id: m.id, link: m.link, caption: m.caption, filename: m.filename });
}

function textHeader(header: string | undefined): GraphBody | undefined {
  checkMax(header, LIMITS.header, 'header text', 131009);
  return header === undefined ? undefined : { type: 'text', text: header };
}

function footer(text: string | undefined): GraphBody | undefined {
  checkMax(text, LIMITS.footer, 'footer text', 131009);
  return text === undefined ? undefined : { text };
}

/** spec §2.2 reply buttons: at most 3, titles ≤ 20 and unique, ids ≤ 256, body ≤ 1024. */
function buttonsInteractive(c: ButtonsContent): GraphBody {
  if (c.buttons.length === 0) reject(131008, 'at least one button is required');
  if (c.buttons.length > LIMITS.buttons)
    reject(131009, `at most ${LIMITS.buttons} buttons (got ${c.buttons.length})`);
  for (const b of c.buttons) {
    requireText(b.title, LIMITS.buttonTitle, 'button title', 131009);
    requireText(b.id, LIMITS.buttonId, 'button id', 131009);
  }
  checkUnique(
    c.buttons.map((b) => b.title),
    'button titles',
  );
  checkUnique(
    c.buttons.map((b) => b.id),
    'button ids',
  );
  return defined({
    type: 'button',
    header: textHeader(c.header),
    body: { text: requireText(c.body, LIMITS.buttonsBody, 'body text', 131009) },
    footer: footer(c.footer),
    action: { buttons: c.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
  });
}

/** spec §2.2 list: ≤ 10 sections, ≤ 10 rows in total, titles ≤ 24, descriptions ≤ 72. */
function listInteractive(c: ListContent): GraphBody {
  const rows = c.sections.flatMap((s) => s.rows);
  if (c.sections.length === 0 || rows.length === 0) reject(131008, 'a list needs at least one row');
  if (c.sections.length > LIMITS.listSections) reject(131009, `at most ${LIMITS.listSections} sections`);
  if (rows.length > LIMITS.listRows)
    reject(131009, `at most ${LIMITS.listRows} rows in total (got ${rows.length})`);
  for (const s of c.sections) {
    if (c.sections.length > 1) requireText(s.title, LIMITS.sectionTitle, 'section title', 131009);
    else checkMax(s.title, LIMITS.sectionTitle, 'section title', 131009);
  }
  for (const r of rows) {
    requireText(r.id, LIMITS.rowId, 'row id', 131009);
    requireText(r.title, LIMITS.rowTitle, 'row title', 131009);
    checkMax(r.description, LIMITS.rowDescription, 'row description', 131009);
  }
  checkUnique(
    rows.map((r) => r.id),
    'row ids',
  );
  return defined({
    type: 'list',
    header: textHeader(c.header),
    body: { text: requireText(c.body, LIMITS.listBody, 'body text', 131009) },
    footer: footer(c.footer),
    action: {
      button: requireText(c.buttonText, LIMITS.listButton, 'list button text', 131009),
      sections: c.sections.map((s) =>
        defined({
          title: s.title,
          rows: s.rows.map((r) => defined({ id: r.id, title: r.title, description: r.description })),
        }),
      ),
    },
  });
}

/** spec §2.2 template: named parameters carry `parameter_name`, positional ones omit it. */
function templateObject(c: TemplateContent): GraphBody {
  const name = requireText(c.name, LIMITS.templateName, "template['name']", 100);
  if (!TEMPLATE_NAME_RE.test(name))
    reject(100, `template name "${name}" must be lowercase letters, digits and _`);
  const language = requireText(c.language, 20, "template['language']['code']", 100);
  const components: GraphBody[] = [];
  if (c.header && c.header.length > 0)
    components.push({ type: 'header', parameters: templateParams(c.header) });
  if (c.body && c.body.length > 0) components.push({ type: 'body', parameters: templateParams(c.body) });
  for (const b of c.buttons ?? []) {
    if (!Number.isInteger(b.index) || b.index < 0 || b.index > 9)
      reject(100, `button index ${b.index} not in 0–9`);
    components.push({
      type: 'button',
      sub_type: b.subType,
      index: String(b.index),
      parameters: templateParams(b.parameters),
    });
  }
  return defined({
    name,
    language: { code: language },
    components: components.length > 0 ? components : undefined,
  });
}

function templateParams(params: readonly TemplateParameter[]): GraphBody[] {
  const nameable = params.filter((p) => p.type === 'text' || p.type === 'currency' || p.type === 'date_time');
  const named = nameable.filter((p) => p.name !== undefined).length;
  if (named > 0 && named < nameable.length)
    reject(100, 'template parameters are either all named or all positional');
  return params.map(templateParam);
}

function templateParam(p: TemplateParameter): GraphBody {
  if ('name' in p && p.name !== undefined && !TEMPLATE_NAME_RE.test(p.name)) {
    reject(100, `parameter name "${p.name}" must be lowercase letters, digits and _`);
  }
  switch (p.type) {
    case 'text':
      return defined({ type: 'text', parameter_name: p.name, text: p.text });
    case 'payload':
      return { type: 'payload', payload: p.payload };
    case 'media':
      return { type: p.kind, [p.kind]: mediaObject(p.kind, p.media, false) };
    case 'currency':
      return defined({
        type: 'currency',
        parameter_name: p.name,
        currency: { fallback_value: p.fallback, code: p.code, amount_1000: p.amount1000 },
      });
    case 'date_time':
      return defined({
        type: 'date_time',
        parameter_name: p.name,
        date_time: { fallback_value: p.fallback },
      });
  }
}

/** Copies `o` without its `undefined` properties: Graph bodies never carry explicit nulls. */
function defined(o: GraphBody): GraphBody {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Picks the `GraphClient` for a sending account (phone number id). */
export type GraphClientResolver = (account: string) => GraphClient;

/**
 * `ChannelOutbound` for WhatsApp. Give it one `GraphClient` when a single token serves every number
 * (each send goes out from `req.account`), or a resolver when numbers have tokens of their own.
 */
export class WhatsAppOutbound implements ChannelOutbound {
  readonly channel = 'whatsapp' as const;
  readonly #clientFor: GraphClientResolver;

  constructor(clients: GraphClient | GraphClientResolver) {
    this.#clientFor = typeof clients === 'function' ? clients : () => clients;
  }

  /** Validates and sends one message; resolves with Meta's wamid once *accepted* (spec §2.3). */
  async send(req: OutboundSend): Promise<{ providerMessageId: string }> {
    const body = toGraphMessage(req);
    const res = await this.#clientFor(req.account).sendMessage(body, {
      phoneNumberId: req.account || undefined,
    });
    const first = res.messages[0];
    if (!first)
      throw new WhatsAppApiError({ code: 'invalid_response', title: 'no message id', httpStatus: 200 });
    return { providerMessageId: first.id };
  }

  /** Marks an inbound message read, with the typing indicator when `typing` (spec §2.2). */
  async markRead(account: string, providerMessageId: string, opts: { typing: boolean }): Promise<void> {
    await this.#clientFor(account).markRead(providerMessageId, {
      typing: opts.typing,
      phoneNumberId: account || undefined,
    });
  }

  /** Classifies by Meta's error code (spec §2.4); see `describeWhatsAppFailure`. */
  describeFailure(err: unknown): DeliveryFailure {
    return describeWhatsAppFailure(err);
  }
}
