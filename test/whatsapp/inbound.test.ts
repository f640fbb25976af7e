import { describe, expect, it } from 'vitest';
import type { InboundEvent, InboundMessageEvent } from '../../src/core/events.ts';
import { isInboundMessage, parseWebhook } from '../../src/channels/whatsapp/inbound.ts';
import { fixture } from './fixtures.ts';

function parse(body: unknown): InboundEvent[] {
  const r = parseWebhook(body, { receivedAt: 1_700_000_000_000 });
  if (!r.ok) throw new Error(r.message);
  return r.events;
}

function message(file: string): InboundMessageEvent {
  const [e] = parse(fixture(file));
  if (!e || !isInboundMessage(e)) throw new Error(`${file}: no message event`);
  return e;
}

/** A one-message body in the envelope of spec §1.3. */
function body(msg: Record<string, unknown>, value: Record<string, unknown> = {}): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
              messages: [{ from: '16505551234', id: 'wamid.T1', timestamp: '1749416383', ...msg }],
              ...value,
            },
          },
        ],
      },
    ],
  };
}

describe('inbound message content (spec §1.4)', () => {
  it('reads text, the sender and a timestamp in ms', () => {
    const e = message('01-text.json');
    expect(e.content).toEqual({ type: 'text', text: 'Does it come in another color?' });
    expect(e.from).toEqual({
      channel: 'whatsapp',
      address: '16505551234',
      waId: '16505551234',
      displayName: 'Sheena Nelson',
    });
    expect(e.timestamp).toBe(1_749_416_383_000);
    expect(e.context).toBeUndefined();
  });

  it('reads an image with caption, sha256 and url', () => {
    expect(message('04-image.json').content).toEqual({
      type: 'media',
      kind: 'image',
      media: {
        id: '1003383421387256',
        url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...',
        mimeType: 'image/jpeg',
        sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
        caption: 'Taj Mahal',
      },
    });
  });

  it('marks a voice note as voice audio', () => {
    expect(message('05-audio-voice.json').content).toMatchObject({
      type: 'media',
      kind: 'audio',
      media: { voice: true, mimeType: 'audio/ogg; codecs=opus', id: '1908647269898587' },
    });
  });

  it('reads a video and an animated sticker', () => {
    expect(message('06-video.json').content).toMatchObject({
      kind: 'video',
      media: { caption: 'Timelapse of growth' },
    });
    expect(message('08-sticker.json').content).toMatchObject({ kind: 'sticker', media: { animated: true } });
  });

  it('keeps a document filename', () => {
    expect(message('07-document.json').content).toMatchObject({
      kind: 'document',
      media: { filename: 'receipt.pdf', caption: 'my receipt', mimeType: 'application/pdf' },
    });
  });

  it('reads a location with numeric coordinates', () => {
    expect(message('09-location.json').content).toEqual({
      type: 'location',
      latitude: 37.44221496582,
      longitude: -122.16165924072,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
      url: 'https://philzcoffee.com/',
    });
  });

  it('keeps shared contacts as received', () => {
    const c = message('11-contacts.json').content;
    expect(c.type).toBe('contacts');
    if (c.type === 'contacts')
      expect(c.contacts[0]).toMatchObject({ name: { formatted_name: 'Barbara J. Johnson' } });
  });

  it('reads a reaction emoji', () => {
    expect(message('12-reaction.json').content).toEqual({
      type: 'reaction',
      messageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=',
      emoji: '👍',
    });
  });

  it('reads a removed reaction as emoji null', () => {
    expect(message('13-reaction-removed.json').content).toMatchObject({ type: 'reaction', emoji: null });
  });

  it('reads a template quick-reply tap as a template_button choice with its context', () => {
    const e = message('14-button-template-quick-reply.json');
    expect(e.content).toEqual({
      type: 'choice',
      source: 'template_button',
      choiceId: 'Unsubscribe',
      title: 'Unsubscribe',
    });
    expect(e.context).toEqual({
      messageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=',
      from: '15550783881',
    });
  });

  it('uses the template button payload as the choice id', () => {
    expect(message('15-button-auth-template.json').content).toMatchObject({
      choiceId: 'DID_NOT_REQUEST_CODE',
      title: "I didn't request a code",
    });
  });

  it('reads a list reply as a choice with id, title and description', () => {
    expect(message('16-interactive-list-reply.json').content).toEqual({
      type: 'choice',
      source: 'list_reply',
      choiceId: 'priority_express',
      title: 'Priority Mail Express',
      description: 'Next Day to 2 Days',
    });
  });

  it('reads a button reply as a choice with id and title', () => {
    expect(message('17-interactive-button-reply.json').content).toEqual({
      type: 'choice',
      source: 'button_reply',
      choiceId: 'change-button',
      title: 'Change',
    });
  });

  it('keeps an order as received', () => {
    expect(message('18-order.json').content).toMatchObject({
      type: 'order',
      order: {
        catalog_id: '194836987003835',
        product_items: [{ product_retailer_id: 'di9ozbzfi4', quantity: 2 }, {}],
      },
    });
  });

  it('reads a changed number as a system message with the new wa_id', () => {
    const e = message('20-system-user-changed-number.json');
    expect(e.content).toEqual({
      type: 'system',
      systemType: 'user_changed_number',
      body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
      newWaId: '12195555358',
    });
    expect(e.from.address).toBe('16505551234');
  });

  it('reads an unsupported message with its 131051 error and type', () => {
    expect(message('21-unsupported.json').content).toEqual({
      type: 'unsupported',
      unsupportedType: 'edit',
      errors: [
        {
          code: 131051,
          title: 'Message type unknown',
          message: 'Message type unknown',
          details: 'Message type is currently not supported.',
        },
      ],
    });
  });

  it('reads request_welcome', () => {
    expect(message('25-request-welcome.json').content).toEqual({ type: 'request_welcome' });
  });

  it('keeps a Flows nfm_reply as a structured reply', () => {
    const c = message('26-interactive-nfm-reply-address.json').content;
    expect(c).toMatchObject({
      type: 'structured_reply',
      subtype: 'nfm_reply',
      data: { name: 'address_message' },
    });
    if (c.type === 'structured_reply') {
      expect(JSON.parse((c.data as { response_json: string }).response_json)).toMatchObject({
        saved_address_id: 'address1',
      });
    }
  });

  it('keeps a payment method reply as a structured reply', () => {
    expect(message('27-interactive-payment-method.json').content).toMatchObject({
      type: 'structured_reply',
      subtype: 'payment_method',
      data: { payment_method: 'offsite_card_pay', last_four_digits: '5235' },
    });
  });

  it('addresses a BSUID-only sender by user id, with no wa_id', () => {
    const e = message('23-text-bsuid-only.json');
    expect(e.from).toEqual({
      channel: 'whatsapp',
      address: 'user.93737...',
      userId: 'user.93737...',
      username: '@realsheenanelson',
      countryCode: 'US',
      displayName: 'Sheena Nelson',
    });
    expect(e.from.waId).toBeUndefined();
    expect(e.orderingKey).toBe('whatsapp:106540352242922:user.93737...');
  });

  it('marks a forwarded message', () => {
    expect(message('24-text-forwarded.json').context).toEqual({ forwarded: true });
  });

  it('marks a frequently forwarded message', () => {
    const e = parse(body({ type: 'text', text: { body: 'x' }, context: { frequently_forwarded: true } }))[0];
    expect((e as InboundMessageEvent).context).toEqual({ frequentlyForwarded: true });
  });

  it('keeps a click-to-WhatsApp referral', () => {
    expect(message('03-text-ctwa-referral.json').context?.referral).toMatchObject({
      source_type: 'ad',
      ctwa_clid: expect.stringMatching(/^Aff-/),
      welcome_message: { text: 'Hi there! Let us know how we can help!' },
    });
  });

  it('keeps the replied-to message of a product inquiry', () => {
    expect(message('02-text-product-inquiry.json').context?.messageId).toBe(
      'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA',
    );
  });

  it('orders a group message by its group', () => {
    const e = message('22-group-text.json');
    expect(e.groupId).toBe('HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA');
    expect(e.orderingKey).toBe(
      'whatsapp:106540352242922:HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA',
    );
  });

  it('reads an unknown message type as unknown content without throwing', () => {
    const raw = { type: 'poll_vote', poll_vote: { option: 2 } };
    const [e] = parse(body(raw));
    expect((e as InboundMessageEvent).content).toEqual({
      type: 'unknown',
      providerType: 'poll_vote',
      raw: { from: '16505551234', id: 'wamid.T1', timestamp: '1749416383', ...raw },
    });
  });

  it('reads an unknown interactive reply as unknown content', () => {
    const [e] = parse(body({ type: 'interactive', interactive: { type: 'call_permission_reply' } }));
    expect((e as InboundMessageEvent).content).toMatchObject({
      type: 'unknown',
      providerType: 'interactive.call_permission_reply',
    });
  });

  it('reads a known type with an unexpected shape as unknown content', () => {
    const [e] = parse(body({ type: 'text', text: 'not an object' }));
    expect((e as InboundMessageEvent).content).toMatchObject({ type: 'unknown', providerType: 'text' });
  });

  it('keeps non-ASCII text intact, escaped or raw', () => {
    const text = 'Olá, ça coûte 5 € 👍 日本語';
    const escaped = JSON.stringify(body({ type: 'text', text: { body: text } })).replace(
      /[^\0-~]/g,
      (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'),
    );
    for (const json of [escaped, JSON.stringify(body({ type: 'text', text: { body: text } }))]) {
      expect((parse(JSON.parse(json))[0] as InboundMessageEvent).content).toEqual({ type: 'text', text });
    }
  });

  it('accepts a numeric timestamp', () => {
    expect(parse(body({ type: 'text', text: { body: 'x' }, timestamp: 1749416383 }))[0]!.timestamp).toBe(
      1_749_416_383_000,
    );
  });
});
