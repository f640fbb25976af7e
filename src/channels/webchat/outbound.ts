import { contentSummary } from '../../core/content.ts';
import type { ChannelOutbound, DeliveryFailure, OutboundSend } from '../../core/delivery.ts';
import { newId } from '../../core/ids.ts';
import type { WebchatHub } from './hub.ts';

/** Inbound provider ids are `<visitorId>.<clientId>`: visitor ids have no dot. */
export function visitorOfProviderId(providerMessageId: string): string {
  const i = providerMessageId.indexOf('.');
  return i < 0 ? providerMessageId : providerMessageId.slice(0, i);
}

/**
 * The outbound half of the web chat: a send pushes the message to the visitor's open sockets and
 * resolves with a new time-ordered id. A visitor with no page open is not a failure: the message is
 * stored by the outbox like any other and replayed when the page reconnects (`history.ts`).
 */
export class WebchatOutbound implements ChannelOutbound {
  readonly channel = 'webchat' as const;
  constructor(private readonly hub: WebchatHub) {}

  async send(req: OutboundSend): Promise<{ providerMessageId: string }> {
    const id = newId();
    this.hub.push(req.to, {
      id,
      from: 'bot',
      at: Date.now(),
      content: req.content,
      text: contentSummary(req.content),
    });
    return { providerMessageId: id };
  }

  /** The pipeline's "we are on it": shows a typing indicator on the visitor's pages. */
  async markRead(_account: string, providerMessageId: string, opts: { typing: boolean }): Promise<void> {
    if (opts.typing) this.hub.send(visitorOfProviderId(providerMessageId), { type: 'typing', on: true });
  }

  describeFailure(err: unknown): DeliveryFailure {
    return {
      failure: { kind: 'transient' },
      code: 'webchat_error',
      message: (err as Error)?.message ?? String(err),
    };
  }
}
