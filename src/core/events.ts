import type { ChannelName, ContactAddress } from './channel.ts';
import type { MessageContent, ProviderError } from './content.ts';

/** Fields every inbound event carries, whatever its kind. */
interface EventBase {
  channel: ChannelName;
  /**
   * The business account the event is addressed to (WhatsApp: `metadata.phone_number_id`; Telegram:
   * the bot id). Replies go out through the same account.
   */
  account: string;
  /**
   * Unique key of this event for de-duplication: a repeated key is acknowledged and has no further
   * effect (spec §1.6). WhatsApp: `msg:<wamid>` for messages, `st:<wamid>:<status>[:<participant>]`
   * for statuses, a content hash for the rest.
   */
  dedupeKey: string;
  /** Events with the same key are processed one at a time, in arrival order. */
  orderingKey: string;
  /** Provider timestamp, Unix milliseconds. */
  timestamp: number;
}

/** A person sent us something. */
export interface InboundMessageEvent extends EventBase {
  kind: 'message';
  providerMessageId: string;
  from: ContactAddress;
  content: MessageContent;
  /** Group the message was sent in, when it was not a one-to-one chat. */
  groupId?: string;
  context?: {
    /** Provider id of the message this one replies to. */
    messageId?: string;
    from?: string;
    forwarded?: boolean;
    frequentlyForwarded?: boolean;
    /** Click-to-WhatsApp ad referral, as received. */
    referral?: unknown;
  };
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted' | 'warning';

/** A provider reports what happened to a message we sent (spec §1.5). */
export interface StatusEvent extends EventBase {
  kind: 'status';
  providerMessageId: string;
  status: DeliveryStatus | (string & {});
  recipient: { address: string; waId?: string; userId?: string; participant?: string; groupId?: string };
  errors?: ProviderError[];
  pricing?: { billable?: boolean; pricingModel?: string; type?: string; category?: string };
  conversation?: { id?: string; expiresAt?: number; originType?: string };
  /** `biz_opaque_callback_data` echoed back: we set it to the outbox idempotency key. */
  callbackData?: string;
}

/** Account-level errors with no message attached (WhatsApp `value.errors`). */
export interface ProviderErrorEvent extends EventBase {
  kind: 'error';
  errors: ProviderError[];
}

/**
 * A notification that is not a message or a status (history sync, echoes, account and template
 * updates, user preferences…). Stored as received for operators and later features; never creates an
 * inbound message.
 */
export interface OtherEvent extends EventBase {
  kind: 'other';
  field: string;
  value: unknown;
}

export type InboundEvent = InboundMessageEvent | StatusEvent | ProviderErrorEvent | OtherEvent;
