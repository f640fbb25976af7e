import { describe, expect, it } from 'vitest';
import { harness, receivedMessages, receivedStatuses, text, USER } from './helpers.ts';

describe('business-scoped user ids behind the bsuid flag (spec §1.7, §7 item 9)', () => {
  it('rejects a BSUID recipient when the flag is off', async () => {
    const { send } = await harness();
    const res = await send(text('user.9373795779eb6441c8adb2eaee5b848e7dd174ddd302d7db62142f4722d574b6'));
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe(131009);
  });

  it('leaves BSUID fields out of webhooks when the flag is off', async () => {
    const { sb, rx } = await harness();
    sb.users.create({ ...USER, userId: true, username: '@chloe', countryCode: 'FR' });
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    const value = rx.received[0]!.body.entry[0]!.changes[0]!.value;
    expect(value.contacts).toEqual([{ profile: { name: USER.name }, wa_id: USER.waId }]);
    expect(value.messages![0]).not.toHaveProperty('from_user_id');
  });

  it('adds user_id, username, country_code and from_user_id for a user with a phone number', async () => {
    const { sb, rx } = await harness({ bsuid: true });
    const user = sb.users.create({ ...USER, userId: true, username: '@chloe', countryCode: 'FR' });
    expect(user.userId).toMatch(/^user\.[0-9a-f]{64}$/);
    sb.userSends(USER.waId, 'hi');
    await sb.idle();
    const value = rx.received[0]!.body.entry[0]!.changes[0]!.value;
    expect(value.contacts).toEqual([
      {
        profile: { name: USER.name, username: '@chloe', country_code: 'FR' },
        wa_id: USER.waId,
        user_id: user.userId,
      },
    ]);
    expect(value.messages![0]).toMatchObject({ from: USER.waId, from_user_id: user.userId });
  });

  it('sends empty from and wa_id for a username-only user', async () => {
    const { sb, rx } = await harness({ bsuid: true });
    const user = sb.users.create({
      name: 'Sheena Nelson',
      username: '@realsheenanelson',
      userId: true,
      countryCode: 'US',
    });
    expect(user.waId).toBe('');
    sb.userSends(user.key, 'Does it come in another color?');
    await sb.idle();
    const value = rx.received[0]!.body.entry[0]!.changes[0]!.value;
    expect(value.contacts![0]).toMatchObject({ wa_id: '', user_id: user.userId });
    expect(receivedMessages(rx)[0]).toMatchObject({ from: '', from_user_id: user.userId });
  });

  it('answers a send to a BSUID with wa_id "" and user_id, and reports recipient_user_id in statuses', async () => {
    const { sb, rx, send } = await harness({ bsuid: true });
    const user = sb.users.create({ name: 'Sheena Nelson', username: '@realsheenanelson', userId: true });
    sb.userSends(user.key, 'hi');
    await sb.idle();
    const res = await send(text(user.userId!));
    expect(res.json.contacts).toEqual([{ input: user.userId, wa_id: '', user_id: user.userId }]);
    await sb.idle();
    expect(receivedStatuses(rx)[0]).toMatchObject({ recipient_id: '', recipient_user_id: user.userId });
    const statusValue = rx.received.at(-1)!.body.entry[0]!.changes[0]!.value;
    expect(statusValue.contacts![0]).toMatchObject({ user_id: user.userId });
  });
});
