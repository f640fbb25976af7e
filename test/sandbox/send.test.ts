import { describe, expect, it } from 'vitest';
import { harness, text, USER } from './helpers.ts';

/** Decodes a wamid to check Meta's layout: 1c 18 <len> <digits> 15 02 00 <dir> 18 <len> <id> 00. */
function decodeWamid(id: string): { digits: string; direction: number } {
  expect(id).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
  const b = Buffer.from(id.slice(6), 'base64');
  expect([b[0], b[1]]).toEqual([0x1c, 0x18]);
  const len = b[2]!;
  return { digits: b.subarray(3, 3 + len).toString('ascii'), direction: b[3 + len + 3]! };
}

describe('sandbox sends (spec §2.3)', () => {
  it('answers a text send with contacts[{input, wa_id}] and messages[{id: wamid}]', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'Bonjour');
    const res = await send(text(`+${USER.waId}`, 'Bonjour Chloé'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['messaging_product', 'contacts', 'messages']);
    expect(res.json.contacts).toEqual([{ input: `+${USER.waId}`, wa_id: USER.waId }]);
    const id = res.json.messages![0]!.id;
    expect(decodeWamid(id)).toEqual({ digits: USER.waId, direction: 0x11 });
    expect(sb.sentTo(USER.waId).map((m) => m.id)).toEqual([id]);
  });

  it('accepts `to` without the leading +', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'Bonjour');
    const res = await send(text(USER.waId));
    expect(res.json.contacts).toEqual([{ input: USER.waId, wa_id: USER.waId }]);
  });

  it('creates a simulated user for an unknown number by default', async () => {
    const { sb, send } = await harness();
    const res = await send({
      messaging_product: 'whatsapp',
      to: '+4915112345678',
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(res.status).toBe(200);
    expect(sb.users.get('4915112345678')?.name).toBe('+4915112345678');
  });

  it('fails a send to an unknown number with a 131026 status in undeliverable mode', async () => {
    const { sb, rx, send } = await harness({ unknownRecipients: 'undeliverable' });
    const res = await send({
      messaging_product: 'whatsapp',
      to: '4915112345678',
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(res.status).toBe(200);
    await sb.idle();
    const statuses = rx.received.flatMap((r) => r.body.entry[0]!.changes[0]!.value.statuses ?? []);
    expect(statuses).toMatchObject([{ status: 'failed', errors: [{ code: 131026 }] }]);
  });

  it('marks a user message read with {"success": true}, and earlier ones with it', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    const first = sb.userSends(USER.waId, 'one');
    const second = sb.userSends(USER.waId, 'two');
    const res = await send({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: second.id,
      typing_indicator: { type: 'text' },
    });
    expect(res).toEqual({ status: 200, json: { success: true } });
    expect([first.readByBusiness, second.readByBusiness]).toEqual([true, true]);
  });

  it('renders a named-parameter template from the registry for the phone', async () => {
    const { sb, send } = await harness({
      templates: [
        {
          name: 'booking',
          category: 'utility',
          body: 'Table for {{guests}} on {{day}}',
          quickReplies: ['OK', 'Cancel'],
        },
      ],
    });
    sb.users.create(USER);
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: {
        name: 'booking',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'guests', text: '4' },
              { type: 'text', parameter_name: 'day', text: 'Saturday' },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '1',
            parameters: [{ type: 'payload', payload: 'CANCEL_42' }],
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(sb.sentTo(USER.waId)[0]!.template).toMatchObject({
      text: 'Table for 4 on Saturday',
      quickReplies: [
        { index: 0, text: 'OK', payload: 'OK' },
        { index: 1, text: 'Cancel', payload: 'CANCEL_42' },
      ],
    });
  });

  it('uploads media by id and sends it', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'photo please');
    const media = sb.uploadMedia(Buffer.from('png-bytes'), 'image/png');
    const ok = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'image',
      image: { id: media.id, caption: 'Voilà' },
    });
    expect(ok.status).toBe(200);
    const bad = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'image',
      image: { id: '1234567890' },
    });
    expect(bad.json.error?.code).toBe(131009);
  });

  it('rejects a send to the business’s own number with 131021', async () => {
    const { send } = await harness();
    const res = await send(text('15550783881'));
    expect(res.json.error?.code).toBe(131021);
  });
});
