import { describe, expect, it } from 'vitest';
import { harness, receivedMessages, USER, waitFor } from './helpers.ts';

describe('webhook delivery (spec §1.6, §7 item 3)', () => {
  it('retries a webhook answered 500 with back-off until it gets 200', async () => {
    const { sb, rx } = await harness({ webhookRetry: { baseDelayMs: 20, maxAttempts: 5 } });
    rx.respondWith.push(500, 503);
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.raw.toString())).size).toBe(1);
    expect(sb.webhookLog.map((a) => [a.attempt, a.outcome, a.status, a.retryInMs])).toEqual([
      [1, 'failed', 500, 20],
      [2, 'failed', 503, 40],
      [3, 'delivered', 200, undefined],
    ]);
  });

  it('runs the back-off on the sandbox clock, so advancing the clock retries at once', async () => {
    const { sb, rx } = await harness({ webhookRetry: { baseDelayMs: 60_000, maxAttempts: 3 } });
    rx.respondWith.push(500);
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await waitFor(() => sb.webhookLog.length === 1);
    expect(rx.received).toHaveLength(1);
    sb.clock.advance(60_000);
    await sb.idle();
    expect(rx.received).toHaveLength(2);
    expect(sb.webhookLog.at(-1)!.outcome).toBe('delivered');
  });

  it('gives up after maxAttempts', async () => {
    const { sb, rx } = await harness({ webhookRetry: { baseDelayMs: 5, maxAttempts: 3 } });
    rx.respondWith.push(500, 500, 500, 500);
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    expect(sb.webhookLog.map((a) => a.outcome)).toEqual(['failed', 'failed', 'gave_up']);
  });

  it('treats a receiver slower than webhookTimeoutMs as a failure and retries', async () => {
    const { sb, rx } = await harness({
      webhookTimeoutMs: 50,
      webhookRetry: { baseDelayMs: 5, maxAttempts: 2 },
    });
    rx.delayMs = 200;
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    expect(sb.webhookLog.map((a) => [a.outcome, a.error])).toEqual([
      ['failed', 'timeout'],
      ['gave_up', 'timeout'],
    ]);
  });

  it('delivers each webhook 1 + duplicates times with the duplicates option', async () => {
    const { sb, rx } = await harness({ duplicates: 2 });
    sb.users.create(USER);
    const msg = sb.userSends(USER.waId, 'hi');
    await sb.idle();
    expect(receivedMessages(rx).map((m) => m.id)).toEqual([msg.id, msg.id, msg.id]);
  });

  it('drops the next webhook with the webhook_drop fault', async () => {
    const { sb, rx } = await harness();
    sb.users.create(USER);
    sb.faults.inject({ kind: 'webhook_drop' });
    sb.userSends(USER.waId, 'lost');
    const kept = sb.userSends(USER.waId, 'kept');
    await sb.idle();
    expect(receivedMessages(rx).map((m) => m.id)).toEqual([kept.id]);
    expect(sb.webhookLog[0]!.outcome).toBe('dropped');
  });

  it('holds the next webhook on the sandbox clock with the webhook_delay fault', async () => {
    const { sb, rx } = await harness();
    sb.users.create(USER);
    sb.faults.inject({ kind: 'webhook_delay', ms: 3_600_000 });
    sb.userSends(USER.waId, 'late');
    await new Promise((r) => setTimeout(r, 50));
    expect(rx.received).toHaveLength(0);
    sb.clock.advance(3_600_000);
    await sb.idle();
    expect(rx.received).toHaveLength(1);
  });

  it('logs webhooks when no URL is configured', async () => {
    const { sb, rx } = await harness();
    sb.configure({ webhookUrl: undefined });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    expect(rx.received).toHaveLength(0);
    expect(sb.webhookLog[0]!.outcome).toBe('no_url');
  });
});
