import { describe, expect, it } from 'vitest';
import { harness, receivedStatuses, text, USER } from './helpers.ts';

const DAY = 24 * 60 * 60 * 1000;
const template = {
  messaging_product: 'whatsapp',
  to: USER.waId,
  type: 'template',
  template: { name: 'hello_world', language: { code: 'en_US' } },
};

describe('24-hour customer service window (spec §3, §7 item 5)', () => {
  it('accepts a free-form send outside the window, then fails it with a 131047 status', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.clock.advance(DAY + 1);
    const res = await send(text(USER.waId, 'Too late'));
    expect(res.status).toBe(200);
    await sb.idle();
    const statuses = receivedStatuses(rx);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      id: res.json.messages![0]!.id,
      status: 'failed',
      recipient_id: USER.waId,
      errors: [
        {
          code: 131047,
          title: 'Re-engagement message',
          message: 'Re-engagement message',
          error_data: {
            details:
              'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
          },
        },
      ],
    });
    expect(statuses[0]).not.toHaveProperty('pricing');
  });

  it('rejects a free-form send outside the window with HTTP 400 and 131047 in sync mode', async () => {
    const { sb, send } = await harness({ windowMode: 'sync' });
    sb.users.create(USER);
    const res = await send(text(USER.waId));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 131047, message: '(#131047) Re-engagement message' });
  });

  it('lets a template through outside the window', async () => {
    const { sb, rx, send } = await harness({ windowMode: 'sync' });
    sb.users.create(USER);
    const res = await send(template);
    expect(res.status).toBe(200);
    await sb.idle();
    expect(receivedStatuses(rx).map((s) => s.status)).toEqual(['sent', 'delivered']);
  });

  it('reopens the window when the user writes again', async () => {
    const { sb, send } = await harness({ windowMode: 'sync' });
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    sb.clock.advance(DAY - 1000);
    expect((await send(text(USER.waId))).status).toBe(200);
    sb.clock.advance(2000);
    expect((await send(text(USER.waId))).status).toBe(400);
    sb.userSends(USER.waId, 'still there?');
    expect((await send(text(USER.waId))).status).toBe(200);
  });
});
