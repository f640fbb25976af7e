import { describe, expect, it } from 'vitest';
import { harness, receivedStatuses, text, USER } from './helpers.ts';

describe('fault injection (spec §7 item 8)', () => {
  it('fails the next 2 sends with 131000 / HTTP 500, then lets sends through', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.faults.inject({ kind: 'send_error', code: 131000, times: 2 });
    const results = [await send(text(USER.waId)), await send(text(USER.waId)), await send(text(USER.waId))];
    expect(results.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(results[0]!.json.error).toMatchObject({
      code: 131000,
      type: 'OAuthException',
      message: '(#131000) Something went wrong',
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(sb.sentTo(USER.waId)).toHaveLength(1);
  });

  it('answers a bare 502 page with the send_http fault', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.faults.inject({ kind: 'send_http', status: 502 });
    const res = await fetch(`${sb.graphUrl}/v25.0/${sb.business.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-access-token', 'content-type': 'application/json' },
      body: JSON.stringify(text(USER.waId)),
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect((await send(text(USER.waId))).status).toBe(200);
  });

  it('delays the response with the send_hang fault, then processes the send', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.faults.inject({ kind: 'send_hang', ms: 300 });
    const started = Date.now();
    const res = await send(text(USER.waId));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(200);
  });

  it('delivers statuses newest first with the status_reorder fault, timestamps unchanged', async () => {
    const { sb, rx, send } = await harness({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 } });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.faults.inject({ kind: 'status_reorder' });
    await send(text(USER.waId));
    await sb.idle();
    const statuses = receivedStatuses(rx);
    expect(statuses.map((s) => s.status)).toEqual(['read', 'delivered', 'sent']);
    const ts = statuses.map((s) => Number(s.timestamp));
    expect(ts[0]).toBeGreaterThanOrEqual(ts[2]!);
    expect(sb.sentTo(USER.waId)[0]!.status).toBe('read');
  });

  it('injects, lists and clears faults over the control API', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const post = await fetch(`${sb.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'send_error', code: 130429, times: 'always' }),
    });
    expect(post.status).toBe(201);
    expect((await send(text(USER.waId))).json.error?.code).toBe(130429);
    expect((await send(text(USER.waId))).json.error?.code).toBe(130429);
    const listed = (await (await fetch(`${sb.url}/api/faults`)).json()) as unknown[];
    expect(listed).toMatchObject([{ kind: 'send_error', code: 130429, remaining: 'always' }]);
    await fetch(`${sb.url}/api/faults`, { method: 'DELETE' });
    expect((await send(text(USER.waId))).status).toBe(200);
  });

  it('refuses a malformed fault with HTTP 400', async () => {
    const { sb } = await harness();
    const res = await fetch(`${sb.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'send_error' }),
    });
    expect(res.status).toBe(400);
  });
});
