import { GrammyError, HttpError } from 'grammy';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeCallbackData,
  encodeCallbackData,
  resolveCallbackRef,
} from '../../src/channels/telegram/callback-data.ts';
import { createTelegramApi } from '../../src/channels/telegram/client.ts';
import {
  describeTelegramFailure,
  TelegramNetworkError,
  TelegramTimeoutError,
} from '../../src/channels/telegram/errors.ts';
import { TelegramOutbound, toTelegramRequest } from '../../src/channels/telegram/outbound.ts';
import type { MessageContent } from '../../src/core/content.ts';

const TOKEN = '7100000001:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';
const to = '123456789';
const req = (content: MessageContent, extra: Record<string, string> = {}) =>
  toTelegramRequest({ account: '7100000001', to, content, callbackData: 'reply:x:0', ...extra });

describe('MessageContent → Bot API call', () => {
  it('sends text with sendMessage to the numeric chat id', () => {
    expect(req({ type: 'text', text: 'Open 9–18, Mon–Sat' })).toEqual({
      method: 'sendMessage',
      params: { chat_id: 123456789, text: 'Open 9–18, Mon–Sat' },
    });
    expect(req({ type: 'text', text: 'see https://x.example', previewUrl: false }).params).toMatchObject({
      link_preview_options: { is_disabled: true },
    });
  });

  it('quotes the message replied to when it is in the same chat', () => {
    expect(req({ type: 'text', text: 'yes' }, { replyTo: '123456789:57' }).params).toMatchObject({
      reply_parameters: { message_id: 57, allow_sending_without_reply: true },
    });
    expect(req({ type: 'text', text: 'yes' }, { replyTo: '999:57' }).params.reply_parameters).toBeUndefined();
  });

  it('lays reply buttons out as an inline keyboard, one per row', () => {
    const r = req({
      type: 'buttons',
      header: 'Prices',
      body: 'Did you mean…',
      footer: 'Or ask a person',
      buttons: [
        { id: 'kb:en:prices', title: 'Prices' },
        { id: 'handoff:request', title: 'Talk to a person' },
      ],
    });
    expect(r).toEqual({
      method: 'sendMessage',
      params: {
        chat_id: 123456789,
        text: 'Prices\n\nDid you mean…\n\nOr ask a person',
        reply_markup: {
          inline_keyboard: [
            [{ text: 'Prices', callback_data: 'kb:en:prices' }],
            [{ text: 'Talk to a person', callback_data: 'handoff:request' }],
          ],
        },
      },
    });
  });

  it('lays a list out as buttons, with row descriptions under the body', () => {
    const r = req({
      type: 'list',
      body: 'Pick a shop',
      buttonText: 'Shops',
      sections: [
        { title: 'Paris', rows: [{ id: 'shop-1', title: 'Bastille', description: 'Open Sunday' }] },
        { title: 'Lyon', rows: [{ id: 'shop-2', title: 'Part-Dieu' }] },
      ],
    });
    expect(r.params.text).toBe('Pick a shop\n\n• Bastille: Open Sunday');
    expect(r.params.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: 'Bastille', callback_data: 'shop-1' }],
        [{ text: 'Part-Dieu', callback_data: 'shop-2' }],
      ],
    });
  });

  it('fits long button ids into 64-byte callback_data as references, resolvable from the sent content', () => {
    const long = `kb:fr:${'é'.repeat(40)}`; // 86 bytes
    const content: MessageContent = {
      type: 'buttons',
      body: 'Choisissez',
      buttons: [
        { id: 'short', title: 'Court' },
        { id: long, title: 'Long' },
      ],
    };
    const keyboard = (req(content).params.reply_markup as { inline_keyboard: { callback_data: string }[][] })
      .inline_keyboard;
    const data = keyboard[1]![0]!.callback_data;
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(keyboard[0]![0]!.callback_data).toBe('short');
    const ref = decodeCallbackData(data);
    expect(ref.kind).toBe('ref');
    if (ref.kind === 'ref') expect(resolveCallbackRef(content, ref)).toBe(long);
    // An id that looks like a reference is never sent as is.
    expect(encodeCallbackData('~1:AAAAAAAAAAAAAAAA', 0)).not.toBe('~1:AAAAAAAAAAAAAAAA');
    expect(decodeCallbackData('kb:en:prices')).toEqual({ kind: 'id', id: 'kb:en:prices' });
  });

  it('sends media by file_id or URL with the method of its kind', () => {
    const media = (kind: 'image' | 'video' | 'audio' | 'document' | 'sticker', extra = {}) =>
      req({ type: 'media', kind, media: { id: 'FILE', caption: 'cap', ...extra } });
    expect(media('image')).toEqual({
      method: 'sendPhoto',
      params: { chat_id: 123456789, photo: 'FILE', caption: 'cap' },
    });
    expect(media('document').method).toBe('sendDocument');
    expect(media('audio').method).toBe('sendAudio');
    expect(media('audio', { voice: true })).toMatchObject({ method: 'sendVoice', params: { voice: 'FILE' } });
    expect(media('video', { animated: true })).toMatchObject({
      method: 'sendAnimation',
      params: { animation: 'FILE' },
    });
    expect(media('sticker')).toEqual({
      method: 'sendSticker',
      params: { chat_id: 123456789, sticker: 'FILE' },
    });
    expect(
      req({ type: 'media', kind: 'image', media: { link: 'https://cdn.example/p.jpg' } }).params.photo,
    ).toBe('https://cdn.example/p.jpg');
  });

  it('sends locations, venues and one contact', () => {
    expect(req({ type: 'location', latitude: 48.85, longitude: 2.35 }).method).toBe('sendLocation');
    expect(
      req({ type: 'location', latitude: 48.85, longitude: 2.35, name: 'Shop', address: '1 rue X' }),
    ).toMatchObject({
      method: 'sendVenue',
      params: { title: 'Shop', address: '1 rue X' },
    });
    expect(
      req({
        type: 'contacts',
        contacts: [{ name: { formatted_name: 'Alex D', first_name: 'Alex' }, phones: [{ phone: '+33600' }] }],
      }),
    ).toMatchObject({ method: 'sendContact', params: { phone_number: '+33600', first_name: 'Alex' } });
  });

  it('refuses, before any call, what Telegram would refuse or cannot carry', () => {
    const refused = (content: MessageContent) => {
      try {
        req(content);
      } catch (err) {
        return describeTelegramFailure(err);
      }
      throw new Error('not refused');
    };
    expect(refused({ type: 'text', text: 'x'.repeat(4097) })).toMatchObject({
      failure: { kind: 'permanent' },
      code: 400,
    });
    expect(refused({ type: 'text', text: '  ' }).code).toBe(400);
    expect(refused({ type: 'template', name: 'hello', language: 'en' }).message).toContain('template');
    expect(refused({ type: 'buttons', body: 'b', buttons: [] }).failure.kind).toBe('permanent');
    expect(
      refused({
        type: 'buttons',
        body: 'b',
        buttons: [
          { id: 'a', title: 'A' },
          { id: 'a', title: 'B' },
        ],
      }).message,
    ).toContain('unique');
    expect(refused({ type: 'media', kind: 'image', media: { caption: 'no file' } }).failure.kind).toBe(
      'permanent',
    );
    expect(
      refused({ type: 'media', kind: 'image', media: { id: 'F', caption: 'c'.repeat(1025) } }).code,
    ).toBe(400);
  });
});

describe('Telegram failures → failure classes', () => {
  const grammy = (error_code: number, description: string, parameters = {}) =>
    new GrammyError('Call failed', { ok: false, error_code, description, parameters }, 'sendMessage', {});

  it('429 is throttled for retry_after seconds', () => {
    expect(
      describeTelegramFailure(grammy(429, 'Too Many Requests: retry after 7', { retry_after: 7 })),
    ).toMatchObject({
      failure: { kind: 'throttled', scope: 'account', retryAfterMs: 7000 },
      code: 429,
    });
  });

  it('403 blocked by the user and 400 are permanent; 401 (token revoked) suspends the bot', () => {
    const blocked = describeTelegramFailure(grammy(403, 'Forbidden: bot was blocked by the user'));
    expect(blocked).toMatchObject({
      failure: { kind: 'permanent' },
      code: 403,
      message: 'Forbidden: bot was blocked by the user',
    });
    expect(describeTelegramFailure(grammy(400, 'Bad Request: chat not found')).failure.kind).toBe(
      'permanent',
    );
    expect(describeTelegramFailure(grammy(401, 'Unauthorized')).failure.kind).toBe('unauthorized');
  });

  it('5xx, network failures and timeouts are transient (no delivery status could ever settle a doubt)', () => {
    expect(describeTelegramFailure(grammy(502, 'Bad Gateway')).failure.kind).toBe('transient');
    const net = new HttpError(
      'Network request failed',
      new TelegramNetworkError('sendMessage', 'ECONNRESET'),
    );
    expect(describeTelegramFailure(net)).toMatchObject({ failure: { kind: 'transient' }, code: 'network' });
    const late = new HttpError('Network request failed', new TelegramTimeoutError('sendMessage', 50));
    expect(describeTelegramFailure(late)).toMatchObject({ failure: { kind: 'transient' }, code: 'timeout' });
  });

  it('a bug is permanent rather than retried forever', () => {
    expect(describeTelegramFailure(new TypeError('x is undefined')).failure.kind).toBe('permanent');
  });
});

describe('the Bot API client on loopback', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('times out a call that gets no answer, without the token in the error', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const out = new TelegramOutbound(createTelegramApi({ token: TOKEN, apiUrl: url, timeoutMs: 150 }));
    const err = await out
      .send({ account: '7100000001', to, content: { type: 'text', text: 'hi' } })
      .catch((e: unknown) => e);
    expect(out.describeFailure(err)).toMatchObject({ failure: { kind: 'transient' }, code: 'timeout' });
    expect(String((err as Error).message) + String((err as HttpError).error)).not.toContain('AAHfiqks');
  });

  it('reads a proxy HTML error page as an HTTP status, and a refused connection as network', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const out = new TelegramOutbound(createTelegramApi({ token: TOKEN, apiUrl: url }));
    const err = await out
      .send({ account: '1', to, content: { type: 'text', text: 'hi' } })
      .catch((e: unknown) => e);
    expect(out.describeFailure(err)).toMatchObject({ failure: { kind: 'transient' }, code: 'http_502' });

    const closed = new TelegramOutbound(createTelegramApi({ token: TOKEN, apiUrl: 'http://127.0.0.1:1' }));
    const refused = await closed
      .send({ account: '1', to, content: { type: 'text', text: 'hi' } })
      .catch((e: unknown) => e);
    expect(closed.describeFailure(refused)).toMatchObject({
      failure: { kind: 'transient' },
      code: 'network',
    });
  });

  it('markRead answers the callback query and shows typing in its chat; a stale query is not an error', async () => {
    const calls: { method: string; body: Record<string, unknown> }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const method = req.url!.split('/').pop()!;
        calls.push({ method, body: JSON.parse(body || '{}') as Record<string, unknown> });
        res.writeHead(method === 'answerCallbackQuery' ? 400 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            method === 'answerCallbackQuery'
              ? {
                  ok: false,
                  error_code: 400,
                  description:
                    'Bad Request: query is too old and response timeout expired or query ID is invalid',
                }
              : { ok: true, result: true },
          ),
        );
      });
    });
    const out = new TelegramOutbound(createTelegramApi({ token: TOKEN, apiUrl: url }));
    await out.markRead('7100000001', '123456789:cb:4382bfdwdsb323b2d9', { typing: true });
    expect(calls).toEqual([
      { method: 'answerCallbackQuery', body: { callback_query_id: '4382bfdwdsb323b2d9' } },
      { method: 'sendChatAction', body: { chat_id: 123456789, action: 'typing' } },
    ]);
    calls.length = 0;
    await out.markRead('7100000001', '123456789:57', { typing: false });
    expect(calls).toEqual([]);
  });
});
