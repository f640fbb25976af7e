import { afterEach, describe, expect, it } from 'vitest';
import type { Assistant } from '../../src/assistant/port.ts';
import { waitFor } from '../helpers/stack.ts';
import { BOT_ID, SECRET, startTelegramStack, TOKEN, type TelegramStack } from './stack.ts';

let stack: TelegramStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const db = () => stack!.gateway.store.db;
const USER = 42;

type BotMessage = Record<string, unknown> & {
  text?: string;
  message_id: number;
  reply_markup?: { inline_keyboard?: { text: string; callback_data: string }[][] };
};
const sent = (n: number) =>
  waitFor(
    () => stack!.botMessages(USER).length >= n && (stack!.botMessages(USER) as BotMessage[]),
    8000,
    `${n} bot messages`,
  );

async function inbound() {
  return db()
    .selectFrom('messages')
    .selectAll()
    .where('direction', '=', 'in')
    .orderBy('created_at')
    .execute();
}

/** A person presses a button of a message the bot sent, as Telegram reports it. */
async function press(message: BotMessage, label: string) {
  const button = message.reply_markup!.inline_keyboard!.flat().find((b) => b.text === label)!;
  const client = stack!.client(USER);
  const cb = client.makeCallbackQuery(button.callback_data, {
    message: {
      message_id: message.message_id,
      chat: { id: USER, type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text: message.text,
      reply_markup: message.reply_markup,
    },
  } as never);
  await client.sendCallback(cb);
}

describe('Telegram through the gateway (telegram-test-api, long polling)', () => {
  it('answers a text message from the knowledge base, after a typing indicator', async () => {
    stack = await startTelegramStack();
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('When are you open?'));
    const [reply] = await sent(1);
    expect(reply!.text).toContain('Monday to Saturday');
    expect(Number(reply!.chat_id)).toBe(USER);
    const typing = stack.proxy.callsOf('sendChatAction');
    expect(typing[0]?.params).toMatchObject({ chat_id: USER, action: 'typing' });
    const [msg] = await inbound();
    expect(msg).toMatchObject({ channel: 'telegram', content_type: 'text' });
    const out = await waitFor(async () => {
      const m = await db().selectFrom('messages').selectAll().where('direction', '=', 'out').execute();
      return m[0]?.status === 'accepted' && m;
    });
    expect(out[0]!.provider_message_id).toBe(`${USER}:${reply!.message_id}`);
  });

  it('answers a button press, and answers the callback query', async () => {
    stack = await startTelegramStack();
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('how much'));
    const [choice] = await sent(1);
    const labels = choice!.reply_markup!.inline_keyboard!.flat().map((b) => b.text);
    expect(labels).toContain('Delivery');
    await press(choice!, 'Delivery');
    const all = await sent(2);
    expect(all[1]!.text).toContain('We deliver in France');
    await waitFor(
      () => stack!.proxy.callsOf('answerCallbackQuery').length === 1,
      3000,
      'answerCallbackQuery',
    );
    const choiceMsg = (await inbound()).find((m) => m.content_type === 'choice')!;
    expect(JSON.parse(choiceMsg.content)).toMatchObject({ type: 'choice', title: 'Delivery' });
  });

  it('keeps the /start payload in the stored message and welcomes the person', async () => {
    stack = await startTelegramStack();
    const client = stack.client(USER);
    await client.sendCommand(client.makeCommand('/start link-3F9K2Q'));
    const [welcome] = await sent(1);
    expect(welcome!.text).toBeTruthy();
    const [msg] = await inbound();
    expect(JSON.parse(msg!.content)).toEqual({ type: 'request_welcome', payload: 'link-3F9K2Q' });
  });

  it('retries a send refused with 429 after retry_after', async () => {
    stack = await startTelegramStack();
    stack.proxy.inject({
      method: 'sendMessage',
      times: 1,
      error: {
        error_code: 429,
        description: 'Too Many Requests: retry after 1',
        parameters: { retry_after: 1 },
      },
    });
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('When are you open?'));
    const [reply] = await sent(1);
    expect(reply!.text).toContain('Monday to Saturday');
    const calls = stack.proxy.callsOf('sendMessage');
    expect(calls).toHaveLength(2);
    // retry_after is the least wait Telegram accepts: the outbox's jitter only adds to it.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    // The bot's message is in the emulator a moment before the outbox settles it.
    const item = await waitFor(async () => {
      const [row] = await db().selectFrom('outbox').selectAll().where('kind', '=', 'message').execute();
      return row?.state === 'sent' && row;
    });
    expect(item).toMatchObject({ state: 'sent', attempts: 2, last_error_code: '429' });
  });

  it('dead-letters a send refused with 403 (blocked by the user) without retrying', async () => {
    stack = await startTelegramStack();
    stack.proxy.inject({
      method: 'sendMessage',
      times: Infinity,
      error: { error_code: 403, description: 'Forbidden: bot was blocked by the user' },
    });
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('When are you open?'));
    const item = await waitFor(async () => {
      const r = await db().selectFrom('outbox').selectAll().where('kind', '=', 'message').executeTakeFirst();
      return r?.state === 'dead' && r;
    });
    expect(item).toMatchObject({ attempts: 1, last_error_code: '403' });
    expect(item.last_error).toContain('bot was blocked by the user');
    expect(stack.proxy.callsOf('sendMessage')).toHaveLength(1);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'outbox.dead_letter')
      .execute();
    expect(audit[0]).toMatchObject({ reason_code: 'error_403' });
  });

  it('records an edited message without answering it again', async () => {
    stack = await startTelegramStack();
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('When are you open?'));
    await sent(1);
    const [first] = await inbound();
    const messageId = Number(first!.provider_message_id!.split(':')[1]);
    // The emulator has no edits: the update Telegram sends for one, delivered by getUpdates.
    const edited = {
      update_id: 900001,
      edited_message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000) - 5,
        edit_date: Math.floor(Date.now() / 1000),
        chat: { id: USER, type: 'private' },
        from: { id: USER, is_bot: false, first_name: 'Chloé' },
        text: 'When are you open on Sunday?',
      },
    };
    stack.proxy.injectUpdate(TOKEN, edited);
    const row = await waitFor(() =>
      db()
        .selectFrom('inbox')
        .selectAll()
        .where('channel', '=', 'telegram')
        .where('kind', '=', 'other')
        .executeTakeFirst(),
    );
    expect(row.dedupe_key).toBe(`edit:${BOT_ID}:${USER}:${messageId}:${edited.edited_message.edit_date}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.botMessages(USER)).toHaveLength(1);
  });

  it('paces replies to one chat at one per second', async () => {
    const assistant: Assistant = {
      async reply() {
        return [
          { content: { type: 'text', text: 'first' } },
          { content: { type: 'buttons', body: 'second', buttons: [{ id: 'a', title: 'A' }] } },
          { content: { type: 'buttons', body: 'third', buttons: [{ id: 'b', title: 'B' }] } },
        ];
      },
    };
    stack = await startTelegramStack({ assistant });
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('hello'));
    await sent(3);
    const at = stack.proxy.callsOf('sendMessage').map((c) => c.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(900);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(900);
  });

  it('sends a button id longer than callback_data allows, and gets it back whole', async () => {
    const longId = `kb:en:${'a-very-long-knowledge-base-entry-id-'.repeat(4)}`;
    const seen: string[] = [];
    const assistant: Assistant = {
      async reply(req) {
        if (req.content.type === 'choice') {
          seen.push(req.content.choiceId);
          return [{ content: { type: 'text', text: `chose ${req.content.title}` } }];
        }
        return [{ content: { type: 'buttons', body: 'Pick one', buttons: [{ id: longId, title: 'Long' }] } }];
      },
    };
    stack = await startTelegramStack({ assistant });
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('hello'));
    const [choice] = await sent(1);
    const data = choice!.reply_markup!.inline_keyboard![0]![0]!.callback_data;
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    await waitFor(async () => {
      const m = await db().selectFrom('messages').select('status').where('direction', '=', 'out').execute();
      return m[0]?.status === 'accepted';
    });
    await press(choice!, 'Long');
    await sent(2);
    expect(seen).toEqual([longId]);
  });

  it('stops long polling promptly while a getUpdates is held open', async () => {
    stack = await startTelegramStack();
    await waitFor(() => stack!.proxy.callsOf('getUpdates').length >= 1, 3000, 'a getUpdates');
    const t0 = Date.now();
    await stack.gateway.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    const calls = stack.proxy.callsOf('getUpdates').length;
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.proxy.callsOf('getUpdates')).toHaveLength(calls);
  });
});

describe('Telegram webhook mode', () => {
  const update = (id: number, text: string) => ({
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: USER, type: 'private' },
      from: { id: USER, is_bot: false, first_name: 'Chloé' },
      text,
    },
  });
  const post = (body: unknown, secret?: string) =>
    fetch(`${stack!.url}/webhooks/telegram`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret }),
      },
      body: JSON.stringify(body),
    });

  it('registers the webhook with its secret, and answers what Telegram posts with it', async () => {
    stack = await startTelegramStack({ mode: 'webhook' });
    expect(stack.proxy.webhookOf(TOKEN)).toEqual({
      url: `${stack.gateway.url}/webhooks/telegram`,
      secret: SECRET,
    });
    const setWebhook = stack.proxy.callsOf('setWebhook')[0]!;
    expect(setWebhook.params.allowed_updates).toContain('callback_query');
    const client = stack.client(USER);
    await client.sendMessage(client.makeMessage('When are you open?'));
    const [reply] = await sent(1);
    expect(reply!.text).toContain('Monday to Saturday');
    expect(stack.proxy.callsOf('getUpdates')).toHaveLength(0);
  });

  it('refuses a post without the secret (401) or with a wrong one (403), and stores nothing', async () => {
    stack = await startTelegramStack({ mode: 'webhook' });
    expect((await post(update(1, 'hello'))).status).toBe(401);
    expect((await post(update(2, 'hello'), 'not-the-secret')).status).toBe(403);
    expect((await post(update(3, 'hello'), `${SECRET}x`)).status).toBe(403);
    expect(await db().selectFrom('inbox').selectAll().execute()).toHaveLength(0);
    const ok = await post(update(4, 'When are you open?'), SECRET);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    const dup = await post(update(4, 'When are you open?'), SECRET);
    expect(dup.status).toBe(200);
    expect(await db().selectFrom('inbox').selectAll().execute()).toHaveLength(1);
    await sent(1);
  });

  it('answers 400 to a body that is not an update', async () => {
    stack = await startTelegramStack({ mode: 'webhook' });
    expect((await post({ hello: 'world' }, SECRET)).status).toBe(400);
    const bad = await fetch(`${stack.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
  });
});
