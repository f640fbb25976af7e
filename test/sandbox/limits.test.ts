import { describe, expect, it } from 'vitest';
import { harness, receivedStatuses, text, USER } from './helpers.ts';

const OTHER = { waId: '16505551234', name: 'Sheena Nelson' };

describe('send limits (spec §3, §7 item 6)', () => {
  it('answers 130429 once the per-number throughput is used up', async () => {
    const { sb, send } = await harness({ throughputPerSecond: 2, pairRate: null });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    expect((await send(text(USER.waId))).status).toBe(200);
    expect((await send(text(USER.waId))).status).toBe(200);
    const res = await send(text(USER.waId));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      message: '(#130429) Rate limit hit',
      type: 'OAuthException',
      code: 130429,
      error_data: {
        messaging_product: 'whatsapp',
        details: 'Cloud API message throughput has been reached.',
      },
    });
  });

  it('also reports 130429 as an account-level value.errors webhook', async () => {
    const { sb, rx, send } = await harness({ throughputPerSecond: 1, pairRate: null });
    sb.users.create(USER);
    await send(text(USER.waId));
    await send(text(USER.waId));
    await send(text(USER.waId));
    await sb.idle();
    const errors = rx.received.flatMap((r) => r.body.entry[0]!.changes.flatMap((c) => c.value.errors ?? []));
    expect(errors).toMatchObject([{ code: 130429, title: 'Rate limit hit', message: 'Rate limit hit' }]);
  });

  it('refills throughput as sandbox time passes', async () => {
    const { sb, send } = await harness({ throughputPerSecond: 1, pairRate: null });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    expect((await send(text(USER.waId))).status).toBe(200);
    expect((await send(text(USER.waId))).status).toBe(400);
    sb.clock.advance(1000);
    expect((await send(text(USER.waId))).status).toBe(200);
  });

  it('answers 131056 when one recipient gets more than the pair rate allows', async () => {
    const { sb, send } = await harness({ pairRate: { perSeconds: 6, burst: 2 } });
    sb.users.create(USER);
    sb.users.create(OTHER);
    sb.userSends(USER.waId, 'hi');
    sb.userSends(OTHER.waId, 'hi');
    expect((await send(text(USER.waId))).status).toBe(200);
    expect((await send(text(USER.waId))).status).toBe(200);
    const res = await send(text(USER.waId));
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe(131056);
    expect((await send(text(OTHER.waId))).status).toBe(200);
    sb.clock.advance(6000);
    expect((await send(text(USER.waId))).status).toBe(200);
  });

  it('fails marketing templates over the per-user cap with a 131049 status', async () => {
    const { sb, rx, send } = await harness({
      marketingCap: { perUser: 1, perMs: 24 * 3600_000 },
      templates: [{ name: 'promo', category: 'marketing', body: 'Sale!' }],
    });
    sb.users.create(USER);
    const promo = {
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: { name: 'promo', language: { code: 'en_US' } },
    };
    await send(promo);
    const second = await send(promo);
    expect(second.status).toBe(200);
    await sb.idle();
    const failed = receivedStatuses(rx).filter((s) => s.status === 'failed');
    expect(failed).toMatchObject([{ id: second.json.messages![0]!.id, errors: [{ code: 131049 }] }]);
  });
});
