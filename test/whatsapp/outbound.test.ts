import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/core/content.ts';
import { toGraphMessage } from '../../src/channels/whatsapp/outbound.ts';
import { envelope, send } from './outbound-helpers.ts';

describe('toGraphMessage: spec §2.2 bodies', () => {
  it('sends text with preview_url when it is set', () => {
    const body = 'As requested … https://www.meta.com/quest/quest-3/';
    expect(toGraphMessage(send({ type: 'text', text: body, previewUrl: true }))).toEqual(
      envelope('text', { preview_url: true, body }),
    );
  });

  it('leaves preview_url out when it is not set', () => {
    expect(toGraphMessage(send({ type: 'text', text: 'hi' }))).toEqual(envelope('text', { body: 'hi' }));
  });

  it('sends an image by id with its caption', () => {
    const content: MessageContent = {
      type: 'media',
      kind: 'image',
      media: { id: '1013859600285441', caption: 'The best succulent ever?' },
    };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('image', { id: '1013859600285441', caption: 'The best succulent ever?' }),
    );
  });

  it('sends an image by link', () => {
    const content: MessageContent = {
      type: 'media',
      kind: 'image',
      media: { link: 'https://example.com/a.jpg' },
    };
    expect(toGraphMessage(send(content))).toEqual(envelope('image', { link: 'https://example.com/a.jpg' }));
  });

  it('sends a document with its filename and drops inbound-only media metadata', () => {
    const content: MessageContent = {
      type: 'media',
      kind: 'document',
      media: {
        id: '622684793477189',
        filename: 'receipt.pdf',
        caption: 'my receipt',
        mimeType: 'application/pdf',
      },
    };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('document', { id: '622684793477189', caption: 'my receipt', filename: 'receipt.pdf' }),
    );
  });

  it.each(['audio', 'video', 'sticker'] as const)('sends %s by id', (kind) => {
    expect(toGraphMessage(send({ type: 'media', kind, media: { id: '42' } }))).toEqual(
      envelope(kind, { id: '42' }),
    );
  });

  it('sends a template with a media header, named body parameters and a quick-reply payload', () => {
    const content: MessageContent = {
      type: 'template',
      name: 'reservation_confirmation',
      language: 'en_US',
      header: [{ type: 'media', kind: 'image', media: { id: '2871834006348767' } }],
      body: [
        { type: 'text', name: 'number_of_guests', text: '4' },
        { type: 'text', name: 'day', text: 'Saturday' },
      ],
      buttons: [{ subType: 'quick_reply', index: 0, parameters: [{ type: 'payload', payload: 'STOP' }] }],
    };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('template', {
        name: 'reservation_confirmation',
        language: { code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { id: '2871834006348767' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'number_of_guests', text: '4' },
              { type: 'text', parameter_name: 'day', text: 'Saturday' },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'STOP' }],
          },
        ],
      }),
    );
  });

  it('omits parameter_name for positional template parameters', () => {
    const content: MessageContent = {
      type: 'template',
      name: 'order_update',
      language: 'en',
      body: [
        { type: 'text', text: 'Pablo' },
        { type: 'currency', fallback: '$10.99', code: 'USD', amount1000: 10990 },
        { type: 'date_time', fallback: 'June 9, 2026' },
      ],
    };
    expect(toGraphMessage(send(content)).template).toEqual({
      name: 'order_update',
      language: { code: 'en' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Pablo' },
            { type: 'currency', currency: { fallback_value: '$10.99', code: 'USD', amount_1000: 10990 } },
            { type: 'date_time', date_time: { fallback_value: 'June 9, 2026' } },
          ],
        },
      ],
    });
  });

  it('sends a template without parameters with no components', () => {
    const content: MessageContent = { type: 'template', name: 'hello_world', language: 'en_US' };
    expect(toGraphMessage(send(content)).template).toEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
  });

  it('sends reply buttons as interactive type "button"', () => {
    const content: MessageContent = {
      type: 'buttons',
      header: 'Workshop Details',
      body: 'Hi Pablo! …',
      footer: 'Lucky Shrub',
      buttons: [
        { id: 'change-button', title: 'Change' },
        { id: 'cancel-button', title: 'Cancel' },
      ],
    };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('interactive', {
        type: 'button',
        header: { type: 'text', text: 'Workshop Details' },
        body: { text: 'Hi Pablo! …' },
        footer: { text: 'Lucky Shrub' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'change-button', title: 'Change' } },
            { type: 'reply', reply: { id: 'cancel-button', title: 'Cancel' } },
          ],
        },
      }),
    );
  });

  it('sends a list as interactive type "list"', () => {
    const content: MessageContent = {
      type: 'list',
      header: 'Choose Shipping Option',
      body: 'Which shipping option do you prefer?',
      footer: 'Lucky Shrub',
      buttonText: 'Shipping Options',
      sections: [
        {
          title: 'I want it ASAP!',
          rows: [
            { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
          ],
        },
      ],
    };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('interactive', {
        type: 'list',
        header: { type: 'text', text: 'Choose Shipping Option' },
        body: { text: 'Which shipping option do you prefer?' },
        footer: { text: 'Lucky Shrub' },
        action: {
          button: 'Shipping Options',
          sections: [
            {
              title: 'I want it ASAP!',
              rows: [
                { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
              ],
            },
          ],
        },
      }),
    );
  });

  it('puts replyTo in context.message_id', () => {
    const replyTo = 'wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=';
    expect(toGraphMessage(send({ type: 'text', text: "You're welcome, Pablo!" }, { replyTo }))).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      context: { message_id: replyTo },
      type: 'text',
      text: { body: "You're welcome, Pablo!" },
    });
  });

  it('sends a reaction with its emoji', () => {
    const content: MessageContent = { type: 'reaction', messageId: 'wamid.X', emoji: '\uD83D\uDE00' };
    expect(toGraphMessage(send(content))).toEqual(
      envelope('reaction', { message_id: 'wamid.X', emoji: '😀' }),
    );
  });

  it('removes a reaction with an empty emoji', () => {
    const content: MessageContent = { type: 'reaction', messageId: 'wamid.X', emoji: null };
    expect(toGraphMessage(send(content)).reaction).toEqual({ message_id: 'wamid.X', emoji: '' });
  });

  it('sends a location with coordinates as strings', () => {
    const content: MessageContent = {
      type: 'location',
      latitude: 37.44216251868683,
      longitude: -122.16163604673783,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
    };
    expect(toGraphMessage(send(content)).location).toEqual({
      latitude: '37.44216251868683',
      longitude: '-122.16163604673783',
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
    });
  });

  it('passes contacts through in Graph format', () => {
    const contacts = [
      { name: { formatted_name: 'Barbara J. Johnson' }, phones: [{ phone: '+14125550829' }] },
    ];
    expect(toGraphMessage(send({ type: 'contacts', contacts })).contacts).toEqual(contacts);
  });

  it('sets biz_opaque_callback_data from callbackData', () => {
    const body = toGraphMessage(send({ type: 'text', text: 'hi' }, { callbackData: 'outbox:0190-abc' }));
    expect(body.biz_opaque_callback_data).toBe('outbox:0190-abc');
  });

  it.each([
    ['16505551234', '+16505551234'],
    ['+16505551234', '+16505551234'],
    ['+1 (650) 555-1234', '+16505551234'],
  ])('writes phone number %s as %s', (to, expected) => {
    expect(toGraphMessage(send({ type: 'text', text: 'hi' }, { to })).to).toBe(expected);
  });

  it('passes a business-scoped user id as the recipient unchanged', () => {
    const to = 'user.9373795779eb6441c8adb2eaee5b848e7dd174ddd302d7db62142f4722d574b6';
    const body = toGraphMessage(send({ type: 'text', text: 'hi' }, { to }));
    expect(body.to).toBe(to);
    expect(body.recipient_type).toBe('individual');
  });
});
