/**
 * The Telegram channel as the gateway holds it: the Bot API client, the outbound adapter, and how
 * updates arrive. `start` begins long polling, or registers the webhook when the
 * public URL is known; `stop` ends polling. Updates always go to the `ingest` function given, which
 * commits them to the inbox: nothing is processed here.
 */
import type { Api } from 'grammy';
import type { Logger } from 'pino';
import { createTelegramApi } from './client.ts';
import { describeTelegramFailure } from './errors.ts';
import { TelegramOutbound } from './outbound.ts';
import { ALLOWED_UPDATES, TelegramPoller } from './polling.ts';
import type { TelegramSettings } from './settings.ts';

export class TelegramChannel {
  readonly api: Api;
  readonly outbound: TelegramOutbound;
  private poller: TelegramPoller | undefined;

  constructor(
    readonly settings: TelegramSettings,
    private readonly logger: Logger,
  ) {
    this.api = createTelegramApi({
      token: settings.token,
      apiUrl: settings.apiUrl,
      timeoutMs: settings.timeoutMs,
    });
    this.outbound = new TelegramOutbound(this.api);
  }

  get botId(): string {
    return this.settings.botId;
  }

  /**
   * Polling mode: starts the `getUpdates` loop (in the background; failures are retried, never fatal).
   * Webhook mode: registers `PUBLIC_URL/webhooks/telegram` with the secret, if `PUBLIC_URL` is set;
   * otherwise the operator registers it (docs/telegram.md). A failed registration is logged, not fatal:
   * a webhook set earlier keeps working.
   */
  async start(
    ingest: (updates: unknown[]) => Promise<unknown>,
    opts: { pollTimeoutSeconds?: number } = {},
  ): Promise<void> {
    const s = this.settings;
    if (s.mode === 'polling') {
      this.poller = new TelegramPoller({
        api: this.api,
        onUpdates: async (updates) => {
          await ingest(updates);
        },
        logger: this.logger,
        ...(opts.pollTimeoutSeconds !== undefined ? { timeoutSeconds: opts.pollTimeoutSeconds } : {}),
      });
      this.poller.start();
      this.logger.info({ botId: s.botId }, 'telegram: long polling');
      return;
    }
    if (s.webhookUrl === undefined) {
      this.logger.info(
        { botId: s.botId },
        'telegram: webhook mode; PUBLIC_URL is not set, so the webhook must be registered by hand (docs/telegram.md)',
      );
      return;
    }
    try {
      await this.api.setWebhook(s.webhookUrl, {
        secret_token: s.secret,
        allowed_updates: [...ALLOWED_UPDATES],
      });
      this.logger.info({ botId: s.botId, url: s.webhookUrl }, 'telegram: webhook registered');
    } catch (err) {
      const f = describeTelegramFailure(err);
      this.logger.error({ botId: s.botId, code: f.code, err: f.message }, 'telegram: setWebhook failed');
    }
  }

  /** The bot's username (`getMe`), for `t.me` links; undefined when the Bot API does not answer. */
  async username(): Promise<string | undefined> {
    try {
      return (await this.api.getMe()).username;
    } catch (err) {
      const f = describeTelegramFailure(err);
      this.logger.warn(
        { botId: this.botId, code: f.code, err: f.message },
        'telegram: getMe failed; no t.me links',
      );
      return undefined;
    }
  }

  /** Ends long polling (the call in flight is aborted); updates already stored are kept. */
  async stop(): Promise<void> {
    await this.poller?.stop();
  }
}
