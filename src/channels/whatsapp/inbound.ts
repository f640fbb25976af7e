/**
 * WhatsApp webhook bodies → `InboundEvent[]` (spec §1.3–1.6). Pure: no I/O, no clock unless the
 * caller gives none (`receivedAt`). The signature must have been checked on the raw bytes first
 * (`signature.ts`); this module only reads the parsed JSON.
 */
import type { ContactAddress } from '../../core/channel.ts';
import type {
  InboundEvent,
  InboundMessageEvent,
  OtherEvent,
  ProviderErrorEvent,
  StatusEvent,
} from '../../core/events.ts';
import { canonicalHash } from './canonical-json.ts';
import { prune, toContent, toProviderErrors } from './inbound-content.ts';
import type { WaChange, WaContact, WaMessage, WaMessagesValue, WaStatus } from './types.ts';
import { WaMessagesValue as MessagesValueSchema, WaWebhook } from './types.ts';

/** Outcome of `parseWebhook`: the events of a body, or why the body is not one we can read. */
export type ParseResult =
  { ok: true; events: InboundEvent[] } | { ok: false; error: 'not_whatsapp' | 'malformed'; message: string };

/** Options of `parseWebhook`. */
export interface ParseOptions {
  /**
   * When the body arrived (Unix ms): the timestamp of events whose body carries none (account-level
   * errors, most non-message fields). Defaults to `Date.now()`.
   */
  receivedAt?: number;
}

/** The `object` of every WhatsApp Business Account webhook (spec §1.3). */
export const WHATSAPP_OBJECT = 'whatsapp_business_account';

/**
 * Reads every entry → change → value of a webhook body (spec §1.3) into events, in body order. Only an
 * unreadable envelope is `malformed`; an unreadable change becomes an `other` event of field
 * `malformed` and the rest of the body is read.
 * - `field: "messages"`: one `message` event per `messages[]`, one `status` per `statuses[]`
 *   (spec §1.5) and one `error` event per change with `value.errors[]`; a change with none of the
 *   three (e.g. `user_actions`, link clicks) becomes one `other` event;
 * - any other field (history, echoes, account and template updates…): one `other` event per change,
 *   which never creates an inbound message (history and echoes carry message ids of their own).
 *
 * Lenient where Meta may grow (unknown fields, unknown message types → `unknown` content), strict
 * where we cannot work without (envelope, message and status ids, a sender): those give `malformed`.
 */
export function parseWebhook(body: unknown, opts: ParseOptions = {}): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'malformed', message: 'body is not a JSON object' };
  }
  const object = (body as Record<string, unknown>).object;
  if (typeof object === 'string' && object !== WHATSAPP_OBJECT) {
    return { ok: false, error: 'not_whatsapp', message: `object is "${object}", not "${WHATSAPP_OBJECT}"` };
  }
  const env = WaWebhook.safeParse(body);
  if (!env.success) return { ok: false, error: 'malformed', message: summarise(env.error.issues) };

  const receivedAt = opts.receivedAt ?? Date.now();
  const events: InboundEvent[] = [];
  env.data.entry.forEach((entry, i) => {
    entry.changes.forEach((change, j) => {
      const where = `entry[${i}].changes[${j}]`;
      const ctx: ChangeContext = { entryId: entry.id, entryTime: entry.time, change, receivedAt, where };
      try {
        events.push(...changeEvents(ctx));
      } catch (err) {
        // One unreadable change must not cost the rest of the body: refusing the POST would make Meta
        // redeliver the same body for 7 days, and every valid event in it would be lost with it.
        if (!(err instanceof Malformed)) throw err;
        events.push(malformedEvent(ctx, err.message));
      }
    });
  });
  return { ok: true, events };
}

/** True for `kind: 'message'` events: what the pipeline answers, as opposed to statuses and the rest. */
export function isInboundMessage(e: InboundEvent): e is InboundMessageEvent {
  return e.kind === 'message';
}

interface ChangeContext {
  entryId: string;
  entryTime: number | undefined;
  change: WaChange;
  receivedAt: number;
  where: string;
}

class Malformed extends Error {}

function changeEvents(ctx: ChangeContext): InboundEvent[] {
  if (ctx.change.field !== 'messages') return [otherEvent(ctx)];
  const parsed = MessagesValueSchema.safeParse(ctx.change.value);
  if (!parsed.success) throw new Malformed(`${ctx.where}.value: ${summarise(parsed.error.issues)}`);
  const value = parsed.data;
  const account = value.metadata?.phone_number_id ?? ctx.entryId;
  const contacts = value.contacts ?? [];
  const events: InboundEvent[] = [
    ...(value.messages ?? []).map((m, k) =>
      messageEvent(m, account, contacts, ctx, `${ctx.where}.value.messages[${k}]`),
    ),
    ...(value.statuses ?? []).map((s) => statusEvent(s, account, contacts, ctx)),
  ];
  if (value.errors && value.errors.length > 0) events.push(errorEvent(value, account, ctx));
  // spec §1.5 shares `field: "messages"` with notifications that are neither (user_actions…)
  return events.length > 0 ? events : [otherEvent(ctx)];
}

function messageEvent(
  msg: WaMessage,
  account: string,
  contacts: readonly WaContact[],
  ctx: ChangeContext,
  where: string,
): InboundMessageEvent {
  const from = sender(msg, contacts, where);
  const event: InboundMessageEvent = {
    kind: 'message',
    channel: 'whatsapp',
    account,
    // spec §1.6: at-least-once for up to 7 days; dedupe on messages[].id
    dedupeKey: `msg:${msg.id}`,
    orderingKey: `whatsapp:${account}:${msg.group_id ?? from.address}`,
    timestamp: toMs(msg.timestamp) ?? ctx.receivedAt,
    providerMessageId: msg.id,
    from,
    content: toContent(msg),
  };
  if (msg.group_id) event.groupId = msg.group_id;
  const context = prune({
    messageId: msg.context?.id,
    from: msg.context?.from,
    forwarded: msg.context?.forwarded,
    frequentlyForwarded: msg.context?.frequently_forwarded,
    referral: msg.referral,
  });
  if (Object.keys(context).length > 0) event.context = context;
  return event;
}

/**
 * The sender, by phone number (`from`/`wa_id`) and, when present, business-scoped user id (spec
 * §1.7). `address` is the phone number when known, else the BSUID: `from` may be `""` for users who
 * adopted a username.
 */
function sender(msg: WaMessage, contacts: readonly WaContact[], where: string): ContactAddress {
  const contact = findContact(contacts, msg.from, msg.from_user_id);
  const waId = nonEmpty(msg.from) ?? nonEmpty(contact?.wa_id);
  const userId = nonEmpty(msg.from_user_id) ?? nonEmpty(contact?.user_id);
  const address = waId ?? userId;
  if (address === undefined)
    throw new Malformed(`${where}: message ${msg.id} has no sender (from / from_user_id)`);
  return prune({
    channel: 'whatsapp',
    address,
    waId,
    userId,
    username: contact?.profile?.username,
    countryCode: contact?.profile?.country_code,
    displayName: contact?.profile?.name,
  });
}

function statusEvent(
  s: WaStatus,
  account: string,
  contacts: readonly WaContact[],
  ctx: ChangeContext,
): StatusEvent {
  const participant = nonEmpty(s.recipient_participant_id);
  const event: StatusEvent = {
    kind: 'status',
    channel: 'whatsapp',
    account,
    // spec §1.6: dedupe on (statuses[].id, status); aggregated group statuses differ by participant
    dedupeKey: `st:${s.id}:${s.status}${participant ? `:${participant}` : ''}`,
    orderingKey: `whatsapp:status:${s.id}`,
    timestamp: toMs(s.timestamp) ?? ctx.receivedAt,
    providerMessageId: s.id,
    status: s.status,
    recipient: recipient(s, participant, contacts),
  };
  if (s.errors && s.errors.length > 0) event.errors = toProviderErrors(s.errors);
  if (s.pricing) {
    const { billable, pricing_model, type, category } = s.pricing;
    event.pricing = prune({ billable, pricingModel: pricing_model, type, category });
  }
  if (s.conversation) {
    const { id, expiration_timestamp, origin } = s.conversation;
    event.conversation = prune({ id, expiresAt: toMs(expiration_timestamp), originType: origin?.type });
  }
  if (s.biz_opaque_callback_data !== undefined) event.callbackData = s.biz_opaque_callback_data;
  return event;
}

/** Group statuses name the group in `recipient_id` and the member in `recipient_participant_id`. */
function recipient(
  s: WaStatus,
  participant: string | undefined,
  contacts: readonly WaContact[],
): StatusEvent['recipient'] {
  if (s.recipient_type === 'group' || participant !== undefined) {
    const groupId = nonEmpty(s.recipient_id);
    return prune({ address: groupId ?? '', groupId, participant });
  }
  const contact = findContact(contacts, s.recipient_id, s.recipient_user_id);
  const waId = nonEmpty(s.recipient_id);
  const userId = nonEmpty(s.recipient_user_id) ?? nonEmpty(contact?.user_id);
  return prune({ address: waId ?? userId ?? '', waId, userId });
}

function errorEvent(value: WaMessagesValue, account: string, ctx: ChangeContext): ProviderErrorEvent {
  return {
    kind: 'error',
    channel: 'whatsapp',
    account,
    dedupeKey: `err:${changeHash(ctx)}`,
    orderingKey: `whatsapp:errors:${account}`,
    timestamp: entryTimeMs(ctx),
    errors: toProviderErrors(value.errors ?? []),
  };
}

function otherEvent(ctx: ChangeContext): OtherEvent {
  const value = ctx.change.value;
  const metadata = isRecord(value) && isRecord(value.metadata) ? value.metadata : undefined;
  const phoneNumberId = typeof metadata?.phone_number_id === 'string' ? metadata.phone_number_id : undefined;
  return {
    kind: 'other',
    channel: 'whatsapp',
    account: phoneNumberId ?? ctx.entryId,
    dedupeKey: `other:${changeHash(ctx)}`,
    orderingKey: `whatsapp:${ctx.change.field}`,
    timestamp: entryTimeMs(ctx),
    field: ctx.change.field,
    value,
  };
}

/**
 * A change we could not read (no message id, no sender, a value of the wrong shape): kept as received,
 * with the problem, as an `other` event of field `malformed`, so an operator can see it.
 */
function malformedEvent(ctx: ChangeContext, problem: string): OtherEvent {
  return {
    ...otherEvent(ctx),
    field: 'malformed',
    value: { problem, field: ctx.change.field, value: ctx.change.value },
  };
}

/**
 * Stable content hash of one change, for notifications without ids. The entry id and time are part
 * of it so that the same notification for two accounts, or on two days, is not taken as a duplicate.
 * Limit: `value.errors` changes carry no time, so a repeat of the same account error within one body
 * shape dedupes to the first.
 */
function changeHash(ctx: ChangeContext): string {
  return canonicalHash({ entry: ctx.entryId, time: ctx.entryTime ?? null, change: ctx.change });
}

function entryTimeMs(ctx: ChangeContext): number {
  return ctx.entryTime === undefined ? ctx.receivedAt : ctx.entryTime * 1000;
}

function findContact(contacts: readonly WaContact[], waId?: string, userId?: string): WaContact | undefined {
  const w = nonEmpty(waId);
  const u = nonEmpty(userId);
  return contacts.find((c) => (w !== undefined && c.wa_id === w) || (u !== undefined && c.user_id === u));
}

/** spec §1.3: Unix seconds, usually as a string → Unix ms; `undefined` when absent or unreadable. */
function toMs(ts: string | number | undefined): number | undefined {
  const seconds = typeof ts === 'string' && /^\d+(\.\d+)?$/.test(ts.trim()) ? Number(ts) : ts;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function summarise(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}
