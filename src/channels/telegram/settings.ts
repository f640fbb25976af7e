/**
 * The Telegram settings in effect, from the validated configuration: whether the channel exists and
 * how updates arrive (webhook or long polling). Pure. The bot's send limits are policy data
 * (`policy/profiles.ts`, `telegram.rateLimits`: 30 per second, 1 per second per chat).
 */

/** The configuration keys the Telegram channel reads (see docs/configuration.md). */
export interface TelegramConfigKeys {
  TELEGRAM_BOT_TOKEN?: string | undefined;
  TELEGRAM_API_URL: string;
  TELEGRAM_WEBHOOK_SECRET?: string | undefined;
  TELEGRAM_MODE?: 'webhook' | 'polling' | undefined;
  TELEGRAM_TIMEOUT_MS: number;
  PUBLIC_URL?: string | undefined;
}

export interface TelegramSettings {
  token: string;
  /** The number before the colon of the token. */
  botId: string;
  apiUrl: string;
  /**
   * `webhook`: Telegram posts updates to `POST /webhooks/telegram` with the secret header.
   * `polling`: the gateway asks with `getUpdates`; for development, or when Telegram cannot reach it.
   */
  mode: 'webhook' | 'polling';
  secret: string | undefined;
  /** Where to register the webhook at start (`PUBLIC_URL` + `/webhooks/telegram`), if known. */
  webhookUrl: string | undefined;
  timeoutMs: number;
}

/** Bot tokens from @BotFather: the bot's numeric id, a colon, then 30 or more URL-safe characters. */
export const BOT_TOKEN_RE = /^\d{1,20}:[A-Za-z0-9_-]{30,}$/;

/** Bot API, setWebhook: `secret_token` is 1-256 characters of A-Z, a-z, 0-9, _ and -. */
export const WEBHOOK_SECRET_RE = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The mode: `TELEGRAM_MODE` when given, else `webhook` when a webhook secret is set, else `polling`.
 * Webhook mode needs the secret: the route refuses every request without one.
 */
export function telegramSettingsFrom(cfg: TelegramConfigKeys): TelegramSettings | undefined {
  const token = cfg.TELEGRAM_BOT_TOKEN;
  if (token === undefined) return undefined;
  const mode = cfg.TELEGRAM_MODE ?? (cfg.TELEGRAM_WEBHOOK_SECRET ? 'webhook' : 'polling');
  return {
    token,
    botId: token.slice(0, token.indexOf(':')),
    apiUrl: cfg.TELEGRAM_API_URL.replace(/\/+$/, ''),
    mode,
    secret: cfg.TELEGRAM_WEBHOOK_SECRET,
    webhookUrl:
      mode === 'webhook' && cfg.PUBLIC_URL
        ? `${cfg.PUBLIC_URL.replace(/\/+$/, '')}/webhooks/telegram`
        : undefined,
    timeoutMs: cfg.TELEGRAM_TIMEOUT_MS,
  };
}

/** Rules that span several keys, each problem naming the key to fix. */
export function telegramConfigProblems(cfg: TelegramConfigKeys & { OUTBOX_LEASE_MS: number }): string[] {
  const problems: string[] = [];
  if (cfg.TELEGRAM_BOT_TOKEN === undefined) {
    for (const k of ['TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_MODE'] as const)
      if (cfg[k] !== undefined) problems.push(`TELEGRAM_BOT_TOKEN: required when ${k} is set`);
    return problems;
  }
  if (cfg.TELEGRAM_MODE === 'webhook' && cfg.TELEGRAM_WEBHOOK_SECRET === undefined)
    problems.push(
      'TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE is "webhook" (the webhook refuses every request without it)',
    );
  if (cfg.OUTBOX_LEASE_MS <= cfg.TELEGRAM_TIMEOUT_MS)
    problems.push(
      `OUTBOX_LEASE_MS: expected more than TELEGRAM_TIMEOUT_MS (${cfg.TELEGRAM_TIMEOUT_MS}), got ${cfg.OUTBOX_LEASE_MS}`,
    );
  return problems;
}
