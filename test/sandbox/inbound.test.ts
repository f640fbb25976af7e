import { describe, expect, it } from 'vitest';
import { CREDS, harness, receivedMessages, text, USER } from './helpers.ts';

describe('simulated user messages become Meta-shaped webhooks (spec §1.2–§1.4)', () => {
  it('posts a text message with Meta’s envelope: WABA entry id, string timestamp, wamid, digits-only ids', async () => {
    const { sb, rx } = await harness();
    sb.users.create({ waId: '+33 6 12 34 56 78', name: 'Chloé Martin' });
    const msg = sb.userSends('33612345678', 'Bonjour');
    await sb.idle();
    expect(rx.received).toHaveLength(1);
    const body = rx.received[0]!.body;
    expect(body).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: CREDS.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: CREDS.displayPhoneNumber,
                  phone_number_id: CREDS.phoneNumberId,
                },
                contacts: [{ profile: { name: 'Chloé Martin' }, wa_id: '33612345678' }],
                messages: [
                  {
                    from: '33612345678',
                    id: msg.id,
                    timestamp: expect.stringMatching(/^\d{10}$/),
                    type: 'text',
                    text: { body: 'Bonjour' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(rx.received[0]!.headers['content-type']).toBe('application/json');
  });

  it('escapes non-ASCII as \\uxxxx and signs the exact bytes sent', async () => {
    const { sb, rx } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'Ça coûte combien ? 👍');
    await sb.idle();
    const { raw, signatureOk, body } = rx.received[0]!;
    expect(signatureOk).toBe(true);
    expect(raw.every((byte) => byte < 0x80)).toBe(true);
    expect(raw.toString()).toContain('\\u00c7a co\\u00fbte combien ? \\ud83d\\udc4d');
    expect(body.entry[0]!.changes[0]!.value.messages![0]).toMatchObject({
      text: { body: 'Ça coûte combien ? 👍' },
    });
  });

  it('sends a button_reply with the tapped business message as context', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Change or cancel?' },
        action: { buttons: [{ type: 'reply', reply: { id: 'cancel-button', title: 'Cancel' } }] },
      },
    });
    const wamid = res.json.messages![0]!.id;
    sb.tapButton(USER.waId, wamid, 'Cancel');
    await sb.idle();
    expect(receivedMessages(rx).at(-1)).toMatchObject({
      context: { from: CREDS.displayPhoneNumber, id: wamid },
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'cancel-button', title: 'Cancel' } },
    });
  });

  it('sends a list_reply with the row’s id, title and description', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Which shipping option?' },
        action: {
          button: 'Shipping',
          sections: [
            {
              title: 'ASAP',
              rows: [
                { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
              ],
            },
          ],
        },
      },
    });
    sb.chooseListRow(USER.waId, res.json.messages![0]!.id, 'priority_express');
    await sb.idle();
    expect(receivedMessages(rx).at(-1)).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'list_reply',
        list_reply: {
          id: 'priority_express',
          title: 'Priority Mail Express',
          description: 'Next Day to 2 Days',
        },
      },
    });
  });

  it('sends a template quick-reply tap as type "button" with the payload set at send time', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: {
        name: 'promo',
        language: { code: 'en_US' },
        components: [
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'STOP' }],
          },
        ],
      },
    });
    sb.tapButton(USER.waId, res.json.messages![0]!.id, 'STOP');
    await sb.idle();
    expect(receivedMessages(rx).at(-1)).toMatchObject({
      type: 'button',
      button: { payload: 'STOP', text: 'STOP' },
    });
  });

  it('sends an image with mime_type, base64 sha256, id and a downloadable url', async () => {
    const { sb, rx } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, {
      type: 'image',
      data: Buffer.from('fake-jpeg'),
      mimeType: 'image/jpeg',
      caption: 'Taj Mahal',
    });
    await sb.idle();
    const image = receivedMessages(rx)[0]!.image as Record<string, string>;
    expect(image).toMatchObject({
      caption: 'Taj Mahal',
      mime_type: 'image/jpeg',
      id: expect.stringMatching(/^\d{15,16}$/),
    });
    expect(Buffer.from(image.sha256!, 'base64')).toHaveLength(32);
    const download = await fetch(image.url!, { headers: { authorization: `Bearer ${CREDS.accessToken}` } });
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('fake-jpeg');
  });

  it('sends a location with numeric latitude and longitude', async () => {
    const { sb, rx } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, {
      type: 'location',
      latitude: 37.44221496582,
      longitude: -122.16165924072,
      name: 'Philz Coffee',
    });
    await sb.idle();
    expect(receivedMessages(rx)[0]).toMatchObject({
      type: 'location',
      location: { latitude: 37.44221496582, longitude: -122.16165924072, name: 'Philz Coffee' },
    });
  });

  it('omits emoji when the user removes a reaction', async () => {
    const { sb, rx, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const wamid = (await send(text(USER.waId))).json.messages![0]!.id;
    sb.react(USER.waId, wamid, '👍');
    sb.react(USER.waId, wamid, null);
    await sb.idle();
    const reactions = receivedMessages(rx).filter((m) => m.type === 'reaction');
    expect(reactions.map((m) => m.reaction)).toEqual([
      { message_id: wamid, emoji: '👍' },
      { message_id: wamid },
    ]);
  });

  it('batches messages raised within batchWindowMs into one POST', async () => {
    const { sb, rx } = await harness({ batchWindowMs: 30 });
    sb.users.create(USER);
    sb.users.create({ waId: '16505551234', name: 'Sheena Nelson' });
    sb.userSends(USER.waId, 'one');
    sb.userSends('16505551234', 'two');
    await sb.idle();
    expect(rx.received).toHaveLength(1);
    const value = rx.received[0]!.body.entry[0]!.changes[0]!.value;
    expect(value.messages).toHaveLength(2);
    expect(value.contacts!.map((c) => c.wa_id)).toEqual([USER.waId, '16505551234']);
  });
});
