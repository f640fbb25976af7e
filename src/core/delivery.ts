import type { ChannelName } from './channel.ts';
import type { MessageContent } from './content.ts';

/**
 * What kind of failure a send met, decided by the channel adapter from the provider's own error data
 * (never from message strings). The outbox's retry policy acts on the class alone.
 */
export type FailureClass =
  /** Too many messages: for the whole account (WhatsApp 130429) or one recipient (131056). */
  | { kind: 'throttled'; scope: 'account' | 'recipient'; retryAfterMs?: number }
  /** Worth retrying as is: 5xx, a connection that was never made, temporary unavailability. */
  | { kind: 'transient' }
  /**
   * The request may have reached the provider and been acted on (a timeout, a connection lost after
   * the request was written): resending at once could deliver twice. The outbox waits for proof
   * (a status echoing our idempotency key) before sending again.
   */
  | { kind: 'in_doubt' }
  /** The customer-service window is closed: only a template may go (WhatsApp 131047). */
  | { kind: 'window_closed' }
  /**
   * The provider refused our credentials (expired or revoked token, missing permission): every send
   * from the account fails the same way until an operator fixes them. Nothing is wrong with the
   * message: it waits, and sends from the account pause, instead of dead-lettering every reply.
   */
  | { kind: 'unauthorized' }
  /** Retrying the same request cannot succeed (bad parameters, blocked user, auth, policy…). */
  | { kind: 'permanent' };

/** A failed send, described with the provider's own identifiers so operators can trace it. */
export interface DeliveryFailure {
  failure: FailureClass;
  /** Provider error code (WhatsApp numeric code, Telegram error_code, or a local code like `timeout`). */
  code: number | string;
  message: string;
  details?: string;
  /** Provider trace id (WhatsApp `fbtrace_id`). */
  traceId?: string;
}

/** One send handed to a channel adapter by the dispatcher. */
export interface OutboundSend {
  /** Business account to send from (WhatsApp phone number id). */
  account: string;
  /** Recipient address as the channel knows it (phone number, BSUID, chat id…). */
  to: string;
  content: MessageContent;
  /** Provider id of the message this one replies to. */
  replyTo?: string;
  /** Opaque data the provider echoes in status notifications (our idempotency key). */
  callbackData?: string;
}

/** The outbound half of a channel: what the dispatcher calls. */
export interface ChannelOutbound {
  readonly channel: ChannelName;
  /** Sends one message; resolves with the provider's id for it, or throws. */
  send(req: OutboundSend): Promise<{ providerMessageId: string }>;
  /** Marks an inbound message read, optionally showing a typing indicator (WhatsApp spec §2.2). */
  markRead?(account: string, providerMessageId: string, opts: { typing: boolean }): Promise<void>;
  /** Maps anything `send` or `markRead` threw to a classified failure. */
  describeFailure(err: unknown): DeliveryFailure;
}
