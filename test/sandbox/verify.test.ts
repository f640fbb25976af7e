import { describe, expect, it } from 'vitest';
import { harness } from './helpers.ts';

describe('GET verification handshake (spec §1.1)', () => {
  it('reports verified when the endpoint echoes the challenge with 200', async () => {
    const { sb } = await harness();
    const result = await sb.verifyWebhook();
    expect(result).toMatchObject({ verified: true, status: 200 });
    expect(result.challenge).toMatch(/^\d+$/);
    expect(result.body).toBe(result.challenge);
  });

  it('reports not verified when the endpoint refuses a wrong verify token', async () => {
    const { sb } = await harness();
    expect(await sb.verifyWebhook({ verifyToken: 'wrong' })).toMatchObject({ verified: false, status: 403 });
  });

  it('reports not verified when the endpoint answers 200 with another body', async () => {
    const { sb } = await harness();
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    sb.configure({ webhookUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` });
    expect(await sb.verifyWebhook()).toMatchObject({ verified: false, status: 200, body: 'ok' });
    server.close();
  });

  it('runs the handshake from the control API', async () => {
    const { sb } = await harness();
    const res = await fetch(`${sb.url}/api/webhooks/verify`, { method: 'POST' });
    expect(await res.json()).toMatchObject({ verified: true });
  });
});
