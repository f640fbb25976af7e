import type { Logger } from 'pino';
import type { InboundMessageEvent } from '../../core/events.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { WorkQueue } from '../../queue/port.ts';
import type { Db } from '../../store/db.ts';
import { inboxIngest, type InboxIngest } from '../../store/inbox-ingest.ts';
import { WebchatHub } from './hub.ts';
import { originPolicy, type OriginPolicy } from './origin.ts';
import { WebchatOutbound } from './outbound.ts';
import { WEBCHAT_ACCOUNT, type ClientFrame } from './protocol.ts';
import { resolveWebchatSecret, type SecretSource } from './token.ts';

export interface WebchatSettings {
  /** `WEBCHAT_SECRET`, or undefined to use the generated one (see `resolveWebchatSecret`). */
  secret: string | undefined;
  databaseUrl: string;
  /** `WEBCHAT_ORIGINS`. */
  origins: string;
  publicUrl: string | undefined;
}

export type VisitorContent = Extract<ClientFrame, { type: 'message' }>['content'];

/**
 * The web chat channel: the sockets (`hub`), the outbound port the dispatcher calls, the signing key
 * of visitor tokens, the origins allowed to embed the widget, and the ingest that commits a visitor's
 * message to the inbox, exactly like a webhook does.
 */
export class WebchatChannel {
  readonly hub = new WebchatHub();
  readonly outbound: WebchatOutbound;
  readonly secret: SecretSource;
  readonly origins: OriginPolicy;
  private readonly inbox: InboxIngest;

  constructor(
    settings: WebchatSettings,
    private readonly deps: { db: Db; queue: WorkQueue; metrics: Metrics; logger: Logger },
  ) {
    this.outbound = new WebchatOutbound(this.hub);
    this.secret = resolveWebchatSecret(settings.secret, settings.databaseUrl);
    if (this.secret.origin === 'ephemeral')
      deps.logger.warn('WEBCHAT_SECRET is not set: web chat visitor tokens last until this process stops');
    this.origins = originPolicy(settings.origins, settings.publicUrl);
    this.inbox = inboxIngest(deps.db);
  }

  /** The inbound event of one visitor message. */
  static event(visitor: string, clientId: string, content: VisitorContent, now: number): InboundMessageEvent {
    return {
      kind: 'message',
      channel: 'webchat',
      account: WEBCHAT_ACCOUNT,
      dedupeKey: `webchat:${visitor}:${clientId}`,
      orderingKey: `webchat:${WEBCHAT_ACCOUNT}:${visitor}`,
      timestamp: now,
      providerMessageId: `${visitor}.${clientId}`,
      from: { channel: 'webchat', address: visitor },
      content,
    };
  }

  /**
   * Commits one visitor message to the inbox (a resend with the same client id is absorbed), then
   * hands it to the work queue. Resolves once committed: the caller acknowledges to the page then.
   */
  async ingest(visitor: string, clientId: string, content: VisitorContent): Promise<{ duplicate: boolean }> {
    const { metrics, queue, logger } = this.deps;
    const event = WebchatChannel.event(visitor, clientId, content, Date.now());
    const result = await this.inbox.commit([event]);
    metrics.inbound.inc({ channel: 'webchat', kind: 'message', outcome: 'received' });
    if (result.duplicates > 0) metrics.inbound.inc({ channel: 'webchat', kind: 'any', outcome: 'duplicate' });
    // After the commit: a failure to schedule now is recovered by the queue's sweep.
    queue.publish(result.accepted).catch((err: unknown) => logger.error({ err }, 'queue publish failed'));
    return { duplicate: result.duplicates > 0 };
  }
}
