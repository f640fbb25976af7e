import type { InboundMessageEvent } from '../../src/core/events.ts';

/** The business number's id in these events (a sample id from Meta's documentation). */
export const TEST_ACCOUNT = '106540352242922';

/**
 * A WhatsApp text message event as the webhook parser produces it: provider id `id`, from `from`,
 * deduplicated by `msg:<id>`, ordered by the sender's conversation.
 */
export function textEvent(
  id: string,
  from = '16505551234',
  opts: { text?: string; timestamp?: number } = {},
): InboundMessageEvent {
  return {
    kind: 'message',
    channel: 'whatsapp',
    account: TEST_ACCOUNT,
    dedupeKey: `msg:${id}`,
    orderingKey: `whatsapp:${TEST_ACCOUNT}:${from}`,
    timestamp: opts.timestamp ?? 1_750_000_000_000,
    providerMessageId: id,
    from: { channel: 'whatsapp', address: from, waId: from },
    content: { type: 'text', text: opts.text ?? 'hi' },
  };
}
