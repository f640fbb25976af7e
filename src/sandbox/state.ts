import type { WebhookErrorObject } from './errors.ts';

/** How a simulated user is created. `userId: true` derives a BSUID; omit `waId` for a username-only user. */
export interface UserInput {
  waId?: string;
  name: string;
  userId?: string | true;
  username?: string;
  countryCode?: string;
}

/**
 * A simulated WhatsApp user ("phone"). `key` names the user in the sandbox API: the `waId` when the
 * user has a phone number, else the BSUID (spec §1.7: identity is not phone-only).
 */
export interface SimUser {
  key: string;
  /** Digits only; `''` for a username-only user. */
  waId: string;
  name: string;
  userId?: string;
  username?: string;
  countryCode?: string;
}

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

/** One status the business was (or will be) notified of. `at` is the status timestamp (sandbox ms). */
export interface StatusRecord {
  status: StatusName;
  at: number;
  errors?: WebhookErrorObject[];
}

/** The `pricing` object of status webhooks (spec §1.5). */
export interface Pricing {
  billable: boolean;
  pricing_model: 'PMP';
  type: 'regular' | 'free_customer_service';
  category: 'service' | 'marketing' | 'utility' | 'authentication';
}

/** A message the business sent to a simulated user, with its status history. */
export interface OutboundMessage {
  direction: 'out';
  id: string;
  userKey: string;
  at: number;
  /** The Graph `type` (`text`, `image`, `interactive`, `template`, `reaction`…). */
  type: string;
  /** The `<type>` object of the send request, as received. */
  payload: Record<string, unknown>;
  /** `context.message_id` of the send (a quoted reply). */
  replyTo?: string;
  bizOpaque?: string;
  /** For templates: what the phone shows. */
  template?: { name: string; language: string; category: string; text?: string; quickReplies: QuickReply[] };
  pricing: Pricing;
  /** Highest status reached so far (`accepted` until `sent`). */
  status: StatusName | 'accepted';
  statuses: StatusRecord[];
}

/** A template quick-reply button as the phone shows it; tapping sends `payload` (spec §1.4 `button`). */
export interface QuickReply {
  index: number;
  text: string;
  payload: string;
}

/** A message a simulated user sent; `message` is the exact `messages[]` object of the webhook. */
export interface InboundMessage {
  direction: 'in';
  id: string;
  userKey: string;
  at: number;
  type: string;
  message: Record<string, unknown>;
  /** The business marked it read (spec §2.2 mark-as-read). */
  readByBusiness: boolean;
}

export type ConversationItem = OutboundMessage | InboundMessage;

/** What changed, for the phone page's live stream. */
export type SandboxEvent =
  | { type: 'user'; user: SimUser }
  | { type: 'item'; item: ConversationItem }
  | { type: 'typing'; userKey: string; until: number }
  | { type: 'clock'; now: number };

const STATUS_RANK: Record<OutboundMessage['status'], number> = {
  accepted: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
};

/** True when `next` moves a message's displayed status forward (statuses may arrive out of order). */
export function isLaterStatus(current: OutboundMessage['status'], next: StatusName): boolean {
  return STATUS_RANK[next] > STATUS_RANK[current];
}

/**
 * The emulator's memory: simulated users, each user's conversation with the business, and the last
 * inbound message time per (phone number id, user) that opens the 24-hour window (spec §3).
 * Everything is in RAM: a sandbox starts empty (plus `users` from its options).
 */
export class SandboxState {
  readonly users = new Map<string, SimUser>();
  readonly #items = new Map<string, ConversationItem>();
  readonly #byUser = new Map<string, ConversationItem[]>();
  readonly #lastInbound = new Map<string, number>();
  readonly #listeners = new Set<(e: SandboxEvent) => void>();

  /** Adds a user; a user with the same key is replaced (so re-creating from the phone page is harmless). */
  addUser(user: SimUser): SimUser {
    this.users.set(user.key, user);
    this.emit({ type: 'user', user });
    return user;
  }

  /** Finds a user by key, wa_id (with or without `+`) or BSUID. */
  findUser(ref: string): SimUser | undefined {
    const direct = this.users.get(ref);
    if (direct) return direct;
    const digits = ref.replace(/^\+/, '');
    for (const u of this.users.values()) if ((u.waId && u.waId === digits) || u.userId === ref) return u;
    return undefined;
  }

  add(item: ConversationItem): void {
    this.#items.set(item.id, item);
    const list = this.#byUser.get(item.userKey) ?? [];
    list.push(item);
    this.#byUser.set(item.userKey, list);
    this.emit({ type: 'item', item });
  }

  get(id: string): ConversationItem | undefined {
    return this.#items.get(id);
  }

  /** The user's conversation, oldest first. */
  conversation(userKey: string): ConversationItem[] {
    return [...(this.#byUser.get(userKey) ?? [])];
  }

  /** Tells listeners that an item changed (status, read mark). */
  touch(item: ConversationItem): void {
    this.emit({ type: 'item', item });
  }

  /** Records an inbound message: opens or resets the 24-hour window (spec §3). */
  noteInbound(phoneNumberId: string, userKey: string, at: number): void {
    this.#lastInbound.set(`${phoneNumberId}:${userKey}`, at);
  }

  /** Time of the last inbound message from the user to that number, if any. */
  lastInbound(phoneNumberId: string, userKey: string): number | undefined {
    return this.#lastInbound.get(`${phoneNumberId}:${userKey}`);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(fn: (e: SandboxEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  emit(e: SandboxEvent): void {
    for (const fn of this.#listeners) fn(e);
  }
}
