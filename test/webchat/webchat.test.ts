import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { ChatClient } from './client.ts';

/** The web chat over a real WebSocket, answered end to end by the gateway and its pipeline. */
describe('web chat channel', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ config: { WEBCHAT_ORIGINS: 'https://shop.example' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const db = () => stack.gateway.store.db;
  const storedCount = async (providerMessageId: string) =>
    (
      await db()
        .selectFrom('messages')
        .select('id')
        .where('channel', '=', 'webchat')
        .where('provider_message_id', '=', providerMessageId)
        .execute()
    ).length;

  it('refuses the socket from an origin not configured, accepts configured ones', async () => {
    await expect(ChatClient.open(stack.url, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    const ok = await ChatClient.open(stack.url, { origin: 'https://shop.example' });
    await ok.close();
  });

  it('serves the widget and the demo page', async () => {
    const js = await fetch(`${stack.url}/widget.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    // A small bundle: under 16 KB, under 6 KB gzip (`npm run bench` prints the exact figures).
    const code = Buffer.from(await js.text());
    expect(code.length).toBeLessThan(16 * 1024);
    expect(gzipSync(code).length).toBeLessThan(6 * 1024);
    const page = await (await fetch(`${stack.url}/chat`)).text();
    expect(page).toContain('<script src="/widget.js"');
  });

  it('answers a question end to end, with a typing indicator first', async () => {
    const c = await ChatClient.open(stack.url);
    const { token, visitor, history } = await c.hello();
    expect(history).toEqual([]);
    expect(token.startsWith(`wc1.${visitor}.`)).toBe(true);
    c.send({ type: 'message', id: 'q-open-0001', content: { type: 'text', text: 'When are you open?' } });
    await c.next('ack', 0, (f) => f.id === 'q-open-0001');
    const typing = c.frames.length;
    await c.next('typing');
    const answer = await c.next('message', 0, (m) => m.from === 'bot');
    expect(answer.text).toMatch(/Monday to Saturday/);
    expect(c.frames.findIndex((f) => f.type === 'typing')).toBeLessThan(c.frames.indexOf(answer));
    expect(typing).toBeGreaterThan(0);
    await c.close();

    // A forged token gets a new identity, not this visitor's history.
    const forged = await ChatClient.open(stack.url);
    const other = await forged.hello(token.slice(0, -3) + 'AAA');
    expect(other.visitor).not.toBe(visitor);
    expect(other.history).toEqual([]);
    await forged.close();

    // The real token: the conversation is still there (a reloaded page).
    const again = await ChatClient.open(stack.url);
    const back = await again.hello(token);
    expect(back.visitor).toBe(visitor);
    expect(back.history.map((m) => [m.from, m.from === 'visitor' ? m.text : 'answer'])).toEqual([
      ['visitor', 'When are you open?'],
      ['bot', 'answer'],
    ]);
    await again.close();
  });

  it('resumes after a dropped connection without loss or duplicates', async () => {
    const a = await ChatClient.open(stack.url);
    const { token } = await a.hello();
    a.send({ type: 'message', id: 'q-resume-01', content: { type: 'text', text: 'When are you open?' } });
    await a.next('ack', 0, (f) => f.id === 'q-resume-01');
    const first = await a.next('message', 0, (m) => m.from === 'bot');
    const seen = first.id;

    // Ask again and lose the connection before the answer comes.
    a.send({
      type: 'message',
      id: 'q-resume-02',
      content: { type: 'text', text: 'what are your opening hours' },
    });
    await a.next('ack', 0, (f) => f.id === 'q-resume-02');
    a.ws.terminate();
    const missedId = await waitFor(async () => {
      const rows = await db()
        .selectFrom('messages')
        .select('provider_message_id')
        .where('channel', '=', 'webchat')
        .where('direction', '=', 'out')
        .where('provider_message_id', '>', seen)
        .execute();
      return rows[0]?.provider_message_id;
    }, 10_000);

    // Reconnect: the page says what it saw last; only the missed answer comes back.
    const b = await ChatClient.open(stack.url);
    const r = await b.hello(token, seen);
    expect(r.history.map((m) => m.id)).toEqual([missedId]);
    expect(r.history[0]!.text).toMatch(/Monday to Saturday/);

    // The page did not get the ack of a resend in time and sends it again: acknowledged, not doubled.
    b.send({
      type: 'message',
      id: 'q-resume-02',
      content: { type: 'text', text: 'what are your opening hours' },
    });
    await b.next('ack', 0, (f) => f.id === 'q-resume-02');
    await new Promise((res) => setTimeout(res, 400));
    expect(b.botMessages()).toEqual([]);
    expect(await storedCount(`${r.visitor}.q-resume-02`)).toBe(1);

    // Up to date: nothing to replay.
    await b.close();
    const c = await ChatClient.open(stack.url);
    expect((await c.hello(token, missedId)).history).toEqual([]);
    await c.close();
  });

  it('shows choices as buttons and answers the one chosen', async () => {
    const c = await ChatClient.open(stack.url);
    await c.hello();
    c.send({ type: 'message', id: 'q-choice-01', content: { type: 'text', text: 'how much' } });
    const menu = await c.next('message', 0, (m) => m.from === 'bot');
    expect(menu.content.type).toBe('buttons');
    if (menu.content.type !== 'buttons') return;
    const repairs = menu.content.buttons.find((b) => b.title === 'Repairs');
    expect(repairs).toBeDefined();
    const from = c.frames.length;
    c.send({
      type: 'message',
      id: 'q-choice-02',
      content: { type: 'choice', source: 'button_reply', choiceId: repairs!.id, title: repairs!.title },
    });
    const answer = await c.next('message', from, (m) => m.from === 'bot');
    expect(answer.text).toMatch(/Our workshop services any bike/);
    await c.close();
  });

  it('rejects messages before hello and invalid frames', async () => {
    const c = await ChatClient.open(stack.url);
    c.send({ type: 'message', id: 'q-early-001', content: { type: 'text', text: 'hi' } });
    expect((await c.next('error')).code).toBe('hello_first');
    c.ws.send('not json');
    await c.next('error', 1);
    await c.close();
  });
});
