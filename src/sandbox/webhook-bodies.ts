import { escapeNonAscii } from '../channels/whatsapp/signature.ts';
import type { WebhookErrorObject } from './errors.ts';
import type { OutboundMessage, SimUser, StatusRecord } from './state.ts';

type Json = Record<string, unknown>;

/** The business side of every webhook: `entry[].id` is the WABA id, not the number id (spec §1.3). */
export interface Business {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/** One thing to notify: a user's message, a status of a business message, or an account-level error. */
export type WebhookItem =
  | { kind: 'message'; user: SimUser; message: Json }
  | { kind: 'status'; user: SimUser; status: Json }
  | { kind: 'error'; error: WebhookErrorObject };

/** `contacts[]` entry: profile name, digits-only `wa_id`; BSUID fields only with the flag (spec §1.7). */
export function contactObject(user: SimUser, bsuid: boolean): Json {
  const profile: Json = { name: user.name };
  if (bsuid && user.username) profile.username = user.username;
  if (bsuid && user.countryCode) profile.country_code = user.countryCode;
  const contact: Json = { profile, wa_id: user.waId };
  if (bsuid && user.userId) contact.user_id = user.userId;
  return contact;
}

/** A `messages[]` object in Meta's key order: context, from, (from_user_id), id, timestamp, type, payload. */
export function messageObject(
  user: SimUser,
  m: { id: string; timestamp: string; type: string; payload?: Json; context?: Json },
  bsuid: boolean,
): Json {
  return {
    ...(m.context ? { context: m.context } : {}),
    from: user.waId,
    ...(bsuid && user.userId ? { from_user_id: user.userId } : {}),
    id: m.id,
    timestamp: m.timestamp,
    type: m.type,
    ...(m.payload ? { [m.type]: m.payload } : {}),
  };
}

/**
 * A `statuses[]` object (spec §1.5): `pricing` only when asked (on `sent` and one later status),
 * `biz_opaque_callback_data` only when set at send time, never a `conversation` (v24+).
 */
export function statusObject(
  msg: OutboundMessage,
  rec: StatusRecord,
  user: SimUser,
  opts: { bsuid: boolean; pricing: boolean },
): Json {
  return {
    id: msg.id,
    status: rec.status,
    timestamp: String(Math.floor(rec.at / 1000)),
    recipient_id: user.waId,
    ...(opts.bsuid && user.userId ? { recipient_user_id: user.userId } : {}),
    ...(msg.bizOpaque !== undefined ? { biz_opaque_callback_data: msg.bizOpaque } : {}),
    ...(opts.pricing ? { pricing: { ...msg.pricing } } : {}),
    ...(rec.errors ? { errors: rec.errors } : {}),
  };
}

/**
 * One webhook POST body for one or more items: user messages share one `value` (with one contact
 * per user), statuses share another; each becomes a `changes[]` entry with `field: "messages"`.
 */
export function webhookBody(business: Business, items: WebhookItem[], bsuid: boolean): Json {
  const metadata = {
    display_phone_number: business.displayPhoneNumber,
    phone_number_id: business.phoneNumberId,
  };
  const changes: Json[] = [];
  const messages = items.filter((i) => i.kind === 'message');
  const statuses = items.filter((i) => i.kind === 'status');
  const errors = items.filter((i) => i.kind === 'error');
  if (messages.length > 0) {
    changes.push({
      value: {
        messaging_product: 'whatsapp',
        metadata,
        contacts: uniqueUsers(messages).map((u) => contactObject(u, bsuid)),
        messages: messages.map((i) => i.message),
      },
      field: 'messages',
    });
  }
  if (statuses.length > 0) {
    // Meta adds `contacts` to status values only for BSUID-era payloads (fixtures 33 and 34).
    const contacts = bsuid ? { contacts: uniqueUsers(statuses).map((u) => contactObject(u, true)) } : {};
    changes.push({
      value: {
        messaging_product: 'whatsapp',
        metadata,
        ...contacts,
        statuses: statuses.map((i) => i.status),
      },
      field: 'messages',
    });
  }
  if (errors.length > 0) {
    // spec §1.4: system- or account-level errors come as `value.errors` with no messages.
    changes.push({
      value: { messaging_product: 'whatsapp', metadata, errors: errors.map((i) => i.error) },
      field: 'messages',
    });
  }
  return { object: 'whatsapp_business_account', entry: [{ id: business.wabaId, changes }] };
}

/** The exact bytes Meta would send: JSON with non-ASCII escaped as `\uxxxx` (spec §1.2). */
export function serializeWebhook(body: unknown): string {
  return escapeNonAscii(JSON.stringify(body));
}

function uniqueUsers(items: WebhookItem[]): SimUser[] {
  const seen = new Map<string, SimUser>();
  for (const i of items) if (i.kind !== 'error' && !seen.has(i.user.key)) seen.set(i.user.key, i.user);
  return [...seen.values()];
}
