/**
 * A gateway with the Telegram channel, whose Bot API is `telegram-test-api` (an independent emulator
 * from the npm registry) behind the tests' fault proxy, all on loopback. The emulator plays the
 * people: `client.sendMessage` is a person writing to the bot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type { Assistant } from '../../src/assistant/port.ts';
import { loadConfig } from '../../src/config.ts';
import { Gateway } from '../../src/gateway.ts';
import { freePort } from '../helpers/process.ts';
import { FaultProxy } from './fault-proxy.ts';

/** A token in @BotFather's format; the bot id is 7100000001. */
export const TOKEN = '7100000001:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';
export const BOT_ID = '7100000001';
export const SECRET = 'tg-webhook-secret_0123456789';

export interface TelegramStack {
  emulator: TelegramServer;
  proxy: FaultProxy;
  gateway: Gateway;
  /** Gateway base URL on loopback. */
  url: string;
  /** A person, chatting with the bot from a private chat whose id is their user id. */
  client(userId?: number, firstName?: string): ReturnType<TelegramServer['getClient']>;
  /** What the bot sent, as the emulator stored it (`sendMessage` bodies), oldest first. */
  botMessages(chatId?: number): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTelegramStack(
  opts: { mode?: 'polling' | 'webhook'; config?: Record<string, unknown>; assistant?: Assistant } = {},
): Promise<TelegramStack> {
  const emulator = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 60 });
  await emulator.start();
  const proxy = new FaultProxy(emulator.config.apiURL);
  await proxy.start();
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-tg-'));
  const port = await freePort();
  const webhook = opts.mode === 'webhook';
  const config = loadConfig({
    env: {},
    file: false,
    overrides: {
      PORT: port,
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
      LOG_LEVEL: 'silent',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_URL: proxy.url,
      OUTBOX_RETRY_UNIT_MS: 10,
      SHUTDOWN_TIMEOUT_MS: 3000,
      ...(webhook ? { TELEGRAM_WEBHOOK_SECRET: SECRET, PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
      ...opts.config,
    },
  });
  const gateway = await Gateway.create({ config, ...(opts.assistant ? { assistant: opts.assistant } : {}) });
  await gateway.start();
  return {
    emulator,
    proxy,
    gateway,
    url: gateway.localUrl,
    client: (userId = 42, firstName = 'Chloé') =>
      emulator.getClient(TOKEN, { userId, chatId: userId, firstName, userName: `user${userId}` }),
    botMessages: (chatId) =>
      emulator.storage.botMessages
        .filter(
          (m: { message: Record<string, unknown> }) =>
            chatId === undefined || Number(m.message.chat_id) === chatId,
        )
        .map((m: { message: Record<string, unknown>; messageId: number }) => ({
          ...(m.message as Record<string, unknown>),
          message_id: m.messageId,
        })),
    async close() {
      await gateway.stop();
      await proxy.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
