import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/core/content.ts';
import type { OutboundSend } from '../../src/core/delivery.ts';
import { describeWhatsAppFailure } from '../../src/channels/whatsapp/errors.ts';
import { toGraphMessage } from '../../src/channels/whatsapp/outbound.ts';
import { rejection, send } from './outbound-helpers.ts';

describe('toGraphMessage: local validation with Meta codes', () => {
  const buttons = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `Button ${i}` }));
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
  const cases: [string, MessageContent, Partial<OutboundSend>, number][] = [
    ['text over 4096 characters', { type: 'text', text: 'a'.repeat(4097) }, {}, 100],
    ['empty text', { type: 'text', text: '' }, {}, 131008],
    ['four reply buttons', { type: 'buttons', body: 'b', buttons: buttons(4) }, {}, 131009],
    ['no reply button', { type: 'buttons', body: 'b', buttons: [] }, {}, 131008],
    [
      'a button title over 20 characters',
      { type: 'buttons', body: 'b', buttons: [{ id: 'x', title: 'x'.repeat(21) }] },
      {},
      131009,
    ],
    [
      'duplicate button titles',
      {
        type: 'buttons',
        body: 'b',
        buttons: [
          { id: 'a', title: 'Same' },
          { id: 'b', title: 'Same' },
        ],
      },
      {},
      131009,
    ],
    [
      'a button id over 256',
      { type: 'buttons', body: 'b', buttons: [{ id: 'i'.repeat(257), title: 't' }] },
      {},
      131009,
    ],
    [
      'a buttons body over 1024',
      { type: 'buttons', body: 'b'.repeat(1025), buttons: buttons(1) },
      {},
      131009,
    ],
    [
      'a header over 60',
      { type: 'buttons', header: 'h'.repeat(61), body: 'b', buttons: buttons(1) },
      {},
      131009,
    ],
    [
      'a footer over 60',
      { type: 'buttons', footer: 'f'.repeat(61), body: 'b', buttons: buttons(1) },
      {},
      131009,
    ],
    [
      'eleven list rows in total',
      {
        type: 'list',
        body: 'b',
        buttonText: 'Pick',
        sections: [
          { title: 'A', rows: rows(6) },
          { title: 'B', rows: rows(5).map((r) => ({ ...r, id: `${r.id}b` })) },
        ],
      },
      {},
      131009,
    ],
    [
      'a row title over 24',
      {
        type: 'list',
        body: 'b',
        buttonText: 'Pick',
        sections: [{ rows: [{ id: 'r', title: 't'.repeat(25) }] }],
      },
      {},
      131009,
    ],
    [
      'a row description over 72',
      {
        type: 'list',
        body: 'b',
        buttonText: 'Pick',
        sections: [{ rows: [{ id: 'r', title: 't', description: 'd'.repeat(73) }] }],
      },
      {},
      131009,
    ],
    [
      'a caption over 1024',
      { type: 'media', kind: 'image', media: { id: '1', caption: 'c'.repeat(1025) } },
      {},
      100,
    ],
    ['media with neither id nor link', { type: 'media', kind: 'image', media: {} }, {}, 131008],
    [
      'media with both id and link',
      { type: 'media', kind: 'image', media: { id: '1', link: 'https://x/y' } },
      {},
      100,
    ],
    ['a caption on audio', { type: 'media', kind: 'audio', media: { id: '1', caption: 'no' } }, {}, 100],
    ['a template name with capitals', { type: 'template', name: 'Order-Update', language: 'en' }, {}, 100],
    [
      'named and positional parameters mixed',
      {
        type: 'template',
        name: 'mixed',
        language: 'en',
        body: [
          { type: 'text', name: 'a', text: '1' },
          { type: 'text', text: '2' },
        ],
      },
      {},
      100,
    ],
    [
      'a reaction sent as a reply',
      { type: 'reaction', messageId: 'wamid.X', emoji: '👍' },
      { replyTo: 'wamid.Y' },
      100,
    ],
    ['an empty recipient', { type: 'text', text: 'hi' }, { to: ' ' }, 131008],
  ];

  it.each(cases)('rejects %s', (_name, content, extra, code) => {
    const err = rejection(() => toGraphMessage(send(content, extra)));
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(400);
    expect(err.fbtraceId).toBeUndefined();
    expect(err.local).toBe(true);
  });

  it.each<MessageContent>([
    { type: 'choice', source: 'button_reply', choiceId: 'a', title: 'A' },
    { type: 'order', order: {} },
    { type: 'system', systemType: 'user_changed_number' },
    { type: 'request_welcome' },
    { type: 'unsupported' },
    { type: 'structured_reply', subtype: 'nfm_reply', data: {} },
    { type: 'unknown', providerType: 'poll', raw: {} },
  ])('refuses to send inbound-only content $type', (content) => {
    expect(rejection(() => toGraphMessage(send(content))).code).toBe(100);
  });

  it('counts an emoji as one character in a button title', () => {
    const title = '👍'.repeat(20);
    const body = toGraphMessage(send({ type: 'buttons', body: 'b', buttons: [{ id: 'y', title }] }));
    expect(body.type).toBe('interactive');
  });

  it('makes local rejections permanent failures', () => {
    const err = rejection(() => toGraphMessage(send({ type: 'text', text: 'a'.repeat(5000) })));
    expect(describeWhatsAppFailure(err)).toMatchObject({ failure: { kind: 'permanent' }, code: 100 });
  });
});
