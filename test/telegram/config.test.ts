import { describe, expect, it } from 'vitest';
import { telegramSettingsFrom } from '../../src/channels/telegram/settings.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const TOKEN = '7100000001:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';
const load = (env: Record<string, string>) => loadConfig({ env, file: false });
const problems = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('no ConfigError');
};

describe('Telegram configuration', () => {
  it('has no Telegram channel without a token', () => {
    expect(telegramSettingsFrom(load({}))).toBeUndefined();
  });

  it('polls without a webhook secret, and uses the webhook with one', () => {
    expect(telegramSettingsFrom(load({ TELEGRAM_BOT_TOKEN: TOKEN }))).toMatchObject({
      mode: 'polling',
      botId: '7100000001',
      apiUrl: 'https://api.telegram.org',
      webhookUrl: undefined,
    });
    const hook = telegramSettingsFrom(
      load({
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_WEBHOOK_SECRET: 's3cr3t_-',
        PUBLIC_URL: 'https://bot.example.com/',
      }),
    );
    expect(hook).toMatchObject({ mode: 'webhook', webhookUrl: 'https://bot.example.com/webhooks/telegram' });
  });

  it('names the key of a malformed token without repeating it', () => {
    const p = problems({ TELEGRAM_BOT_TOKEN: 'not-a-token' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^TELEGRAM_BOT_TOKEN: expected a bot token/);
    expect(p[0]).not.toContain('not-a-token');
  });

  it('refuses a secret Telegram would refuse, and webhook mode without a secret', () => {
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 'has space' })[0]).toMatch(
      /^TELEGRAM_WEBHOOK_SECRET: expected 1 to 256 characters/,
    );
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_MODE: 'webhook' })[0]).toMatch(
      /^TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE is "webhook"/,
    );
    expect(problems({ TELEGRAM_WEBHOOK_SECRET: 'abc' })[0]).toBe(
      'TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_SECRET is set',
    );
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_TIMEOUT_MS: '40000' })[0]).toMatch(
      /^OUTBOX_LEASE_MS: expected more than TELEGRAM_TIMEOUT_MS/,
    );
  });
});
