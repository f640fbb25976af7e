/** Shared builders for the outbound tests. */
import type { MessageContent } from '../../src/core/content.ts';
import type { OutboundSend } from '../../src/core/delivery.ts';
import { WhatsAppApiError } from '../../src/channels/whatsapp/errors.ts';

export const TO = '16505551234';

export function send(content: MessageContent, extra: Partial<OutboundSend> = {}): OutboundSend {
  return { account: '106540352242922', to: TO, content, ...extra };
}

/** The common body of spec §2.1 around a type-specific object. */
export function envelope(type: string, payload: unknown): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '+16505551234',
    type,
    [type]: payload,
  };
}

export function rejection(fn: () => unknown): WhatsAppApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WhatsAppApiError) return err;
    throw err;
  }
  throw new Error('expected a WhatsAppApiError');
}
