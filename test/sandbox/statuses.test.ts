import { describe, expect, it } from 'vitest';
import { harness, receivedStatuses, text, USER } from './helpers.ts';

describe('status webhooks per send (spec §1.5)', () => {
  it('sends sent → delivered → read, pricing on sent and delivered only, echoing biz_opaque_callback_data', async () => {
    const { sb, rx, send } = await harness({ statusDelaysMs: { sent: 5, delivered: 10, read: 20 } });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const res = await send(text(USER.waId, 'Hello', { biz_opaque_callback_data: 'outbox-42' }));
    const wamid = res.json.messages![0]!.id;
    await sb.idle();
    // Webhook POSTs may arrive in any order (spec §1.5); look them up by status.
    const received = receivedStatuses(rx);
    expect(received.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    const statuses = ['sent', 'delivered', 'read'].map((st) => received.find((s) => s.status === st)!);
    const pricing = {
      billable: false,
      pricing_model: 'PMP',
      type: 'free_customer_service',
      category: 'service',
    };
    expect(statuses[0]).toEqual({
      id: wamid,
      status: 'sent',
      timestamp: expect.stringMatching(/^\d{10}$/),
      recipient_id: USER.waId,
      biz_opaque_callback_data: 'outbox-42',
      pricing,
    });
    expect(statuses[1]).toMatchObject({
      status: 'delivered',
      biz_opaque_callback_data: 'outbox-42',
      pricing,
    });
    expect(statuses[2]).not.toHaveProperty('pricing');
    expect(statuses.every((s) => !('conversation' in s))).toBe(true);
    expect(sb.sentTo(USER.waId)[0]!.status).toBe('read');
  });

  it('omits biz_opaque_callback_data when it was not set at send time', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await send(text(USER.waId));
    await sb.idle();
    expect(receivedStatuses(rx).every((s) => !('biz_opaque_callback_data' in s))).toBe(true);
  });

  it('skips delivered when read comes with it (skipDeliveredOnRead), pricing then on read', async () => {
    const { sb, rx, send } = await harness({ statusDelaysMs: { read: 15 }, skipDeliveredOnRead: true });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await send(text(USER.waId));
    await sb.idle();
    const statuses = receivedStatuses(rx);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'read']);
    expect(statuses[1]).toHaveProperty('pricing');
  });

  it('turns a user read into read statuses and cancels a pending delivered', async () => {
    const { sb, rx, send } = await harness({ statusDelaysMs: { sent: 5, delivered: 60_000, read: null } });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    await send(text(USER.waId));
    sb.clock.advance(5);
    expect(sb.read(USER.waId)).toHaveLength(1);
    await sb.idle();
    expect(receivedStatuses(rx).map((s) => s.status)).toEqual(['sent', 'read']);
  });

  it('gives a reaction only a sent status', async () => {
    const { sb, rx, send } = await harness({ statusDelaysMs: { read: 20 } });
    sb.users.create(USER);
    const inbound = sb.userSends(USER.waId, 'hi');
    await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'reaction',
      reaction: { message_id: inbound.id, emoji: '❤️' },
    });
    await sb.idle();
    expect(receivedStatuses(rx).map((s) => s.status)).toEqual(['sent']);
  });

  it('prices a marketing template outside the window as regular and billable', async () => {
    const { sb, rx, send } = await harness({
      templates: [{ name: 'promo', category: 'marketing', body: 'Sale!' }],
    });
    sb.users.create(USER);
    await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: { name: 'promo', language: { code: 'en_US' } },
    });
    await sb.idle();
    expect(receivedStatuses(rx)[0]!.pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'marketing',
    });
  });
});
