import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { mountSandbox } from '../../src/sandbox/index.ts';
import { CREDS, harness, receivedMessages, startReceiver, USER } from './helpers.ts';

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('sandbox control API and phone page', () => {
  it('creates a user and sends a message for them over HTTP', async () => {
    const { sb, rx } = await harness();
    expect((await post(`${sb.url}/api/users`, USER)).status).toBe(201);
    const sent = await post(`${sb.url}/api/users/${USER.waId}/messages`, { type: 'text', text: 'Salut' });
    expect(sent.status).toBe(201);
    await sb.idle();
    expect(receivedMessages(rx)).toMatchObject([{ id: sent.json.id, text: { body: 'Salut' } }]);
    const conv = (await (await fetch(`${sb.url}/api/users/${USER.waId}/conversation`)).json()) as {
      items: unknown[];
    };
    expect(conv.items).toHaveLength(1);
  });

  it('answers 404 for an unknown user and 400 for a malformed message', async () => {
    const { sb } = await harness();
    expect((await post(`${sb.url}/api/users/123456789/messages`, { type: 'text', text: 'x' })).status).toBe(
      404,
    );
    await post(`${sb.url}/api/users`, USER);
    expect((await post(`${sb.url}/api/users/${USER.waId}/messages`, { type: 'text' })).status).toBe(400);
  });

  it('advances the sandbox clock over HTTP', async () => {
    const { sb } = await harness();
    const before = sb.clock.now();
    const res = await post(`${sb.url}/api/clock/advance`, { ms: 86_400_000 });
    expect(res.json.now as number).toBeGreaterThanOrEqual(before + 86_400_000);
  });

  it('streams conversation changes as Server-Sent Events', async () => {
    const { sb } = await harness();
    sb.users.create(USER);
    const controller = new AbortController();
    const res = await fetch(`${sb.url}/api/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    sb.userSends(USER.waId, 'ping');
    while (!text.includes('"type":"item"')) text += decoder.decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('"ping"');
  });

  it('serves the phone page with labelled controls', async () => {
    const { sb } = await harness();
    const res = await fetch(`${sb.url}/`);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    for (const label of [
      'Advance clock 24 h',
      'Create user',
      'Inject fault',
      'aria-label="Messages"',
      'EventSource',
    ]) {
      expect(html).toContain(label);
    }
  });

  it('mounts under /sandbox on another Fastify app with the Graph API at /sandbox/graph', async () => {
    const rx = await startReceiver();
    const app = Fastify();
    const sandbox = await mountSandbox(app, { ...CREDS });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      sandbox.connect(rx.url);
      expect((await fetch(`${address}/sandbox`)).status).toBe(200);
      sandbox.users.create(USER);
      sandbox.userSends(USER.waId, { type: 'image' });
      const res = await fetch(`${address}/sandbox/graph/v25.0/${CREDS.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CREDS.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: USER.waId,
          type: 'text',
          text: { body: 'ok' },
        }),
      });
      expect(res.status).toBe(200);
      await sandbox.idle();
      const image = receivedMessages(rx)[0]!.image as { url: string };
      expect(image.url.startsWith(`${new URL(rx.url).origin}/sandbox/lookaside/`)).toBe(true);
    } finally {
      await app.close();
      await rx.close();
    }
  });
});

describe('sandbox settings over HTTP', () => {
  it('switches the window mode with PATCH /api/settings', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    const res = await fetch(`${sb.url}/api/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ windowMode: 'sync' }),
    });
    expect(((await res.json()) as { windowMode: string }).windowMode).toBe('sync');
    const sent = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'text',
      text: { body: 'x' },
    });
    expect(sent.json.error?.code).toBe(131047);
  });

  it('refuses an unknown setting with HTTP 400', async () => {
    const { sb } = await harness();
    const res = await fetch(`${sb.url}/api/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ turbo: true }),
    });
    expect(res.status).toBe(400);
  });
});
