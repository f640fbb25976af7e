import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { createTelegramApi } from '../../src/channels/telegram/client.ts';
import { TelegramPoller } from '../../src/channels/telegram/polling.ts';
import { freePort } from '../helpers/process.ts';
import { waitFor } from '../helpers/stack.ts';
import { FaultProxy } from './fault-proxy.ts';
import { TOKEN } from './stack.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup() {
  const emulator = new TelegramServer({ port: await freePort(), host: '127.0.0.1' });
  await emulator.start();
  const proxy = new FaultProxy(emulator.config.apiURL);
  await proxy.start();
  const api = createTelegramApi({ token: TOKEN, apiUrl: proxy.url, timeoutMs: 2000 });
  const client = emulator.getClient(TOKEN, { userId: 7, chatId: 7 });
  return { emulator, proxy, api, client };
}

describe('long polling', () => {
  it('removes the webhook first, then asks for updates after the last one stored', async () => {
    const { emulator, proxy, api, client } = await setup();
    const seen: number[] = [];
    const poller = new TelegramPoller({
      api,
      logger: pino({ level: 'silent' }),
      timeoutSeconds: 1,
      onUpdates: async (updates) => {
        seen.push(...updates.map((u) => (u as { update_id: number }).update_id));
      },
    });
    cleanup = async () => {
      await poller.stop();
      await proxy.close();
      await emulator.stop();
    };
    poller.start();
    await client.sendMessage(client.makeMessage('one'));
    await client.sendMessage(client.makeMessage('two'));
    await waitFor(() => seen.length === 2, 4000, 'two updates');
    expect(proxy.calls[0]!.method).toBe('deleteWebhook');
    expect(proxy.calls[0]!.params).toEqual({ drop_pending_updates: false });
    await waitFor(() => poller.nextOffset === Math.max(...seen) + 1, 3000, 'offset');
    const polls = proxy.callsOf('getUpdates');
    expect(polls[0]!.params).toMatchObject({
      timeout: 1,
      allowed_updates: expect.arrayContaining(['callback_query']),
    });
    await waitFor(() => proxy.callsOf('getUpdates').some((c) => c.params.offset === Math.max(...seen) + 1));
  });

  it('asks for the same batch again when it could not be stored, after a pause', async () => {
    const { emulator, proxy, api, client } = await setup();
    const attempts: number[][] = [];
    const poller = new TelegramPoller({
      api,
      logger: pino({ level: 'silent' }),
      timeoutSeconds: 1,
      backoffMs: 50,
      onUpdates: async (updates) => {
        attempts.push(updates.map((u) => (u as { update_id: number }).update_id));
        if (attempts.length === 1) throw new Error('store unavailable');
      },
    });
    cleanup = async () => {
      await poller.stop();
      await proxy.close();
      await emulator.stop();
    };
    poller.start();
    await client.sendMessage(client.makeMessage('keep me'));
    await waitFor(() => attempts.length >= 2, 4000, 'a second attempt');
    expect(attempts[1]).toEqual(attempts[0]);
  });

  it('keeps polling through 5xx and 429 answers', async () => {
    const { emulator, proxy, api, client } = await setup();
    proxy.inject({ method: 'getUpdates', times: 1, error: { error_code: 502, description: 'Bad Gateway' } });
    proxy.inject({
      method: 'getUpdates',
      times: 1,
      error: {
        error_code: 429,
        description: 'Too Many Requests: retry after 1',
        parameters: { retry_after: 1 },
      },
    });
    const seen: unknown[] = [];
    const poller = new TelegramPoller({
      api,
      logger: pino({ level: 'silent' }),
      timeoutSeconds: 1,
      backoffMs: 20,
      onUpdates: async (updates) => {
        seen.push(...updates);
      },
    });
    cleanup = async () => {
      await poller.stop();
      await proxy.close();
      await emulator.stop();
    };
    poller.start();
    await client.sendMessage(client.makeMessage('still there?'));
    await waitFor(() => seen.length === 1, 5000, 'the update');
    const polls = proxy.callsOf('getUpdates');
    // After the 429, the next call waited retry_after.
    expect(polls[2]!.at - polls[1]!.at).toBeGreaterThanOrEqual(1000);
  });
});
