import { describe, expect, it } from 'vitest';
import type { InboundEvent, InboundMessageEvent } from '../../src/core/events.ts';
import { isInboundMessage, parseWebhook } from '../../src/channels/whatsapp/inbound.ts';
import { fixture } from './fixtures.ts';

const WABA = 'whatsapp_business_account';

function textMessage(id: string, from = '16505551234') {
  return { from, id, timestamp: '1749416383', type: 'text', text: { body: id } };
}

function messagesChange(phoneNumberId: string, messages: object[]) {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages,
    },
  };
}

function events(body: unknown): InboundEvent[] {
  const r = parseWebhook(body, { receivedAt: 1_700_000_000_000 });
  if (!r.ok) throw new Error(r.message);
  return r.events;
}

describe('parseWebhook envelope (spec §1.3)', () => {
  it('reads a batch of 2 entries × 2 changes × 3 messages in body order', () => {
    const ids = (e: number, c: number) => [1, 2, 3].map((m) => `wamid.E${e}C${c}M${m}`);
    const body = {
      object: WABA,
      entry: [1, 2].map((e) => ({
        id: `waba-${e}`,
        changes: [1, 2].map((c) =>
          messagesChange(
            `pn-${e}`,
            ids(e, c).map((id) => textMessage(id)),
          ),
        ),
      })),
    };
    const es = events(body).filter(isInboundMessage);
    expect(es.map((e) => e.providerMessageId)).toEqual([
      ...ids(1, 1),
      ...ids(1, 2),
      ...ids(2, 1),
      ...ids(2, 2),
    ]);
    expect(es.map((e) => e.account)).toEqual([...Array(6).fill('pn-1'), ...Array(6).fill('pn-2')]);
  });

  it.each(['page', 'instagram', 'whatsapp'])('refuses object "%s" as not_whatsapp', (object) => {
    expect(parseWebhook({ object, entry: [] })).toMatchObject({ ok: false, error: 'not_whatsapp' });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [{ object: WABA, entry: [] }]],
    ['a string', '{"object":"whatsapp_business_account"}'],
    ['a number', 42],
    ['a body without object', { entry: [] }],
    ['a body without entry', { object: WABA }],
    ['entry that is not an array', { object: WABA, entry: {} }],
    ['a change without field', { object: WABA, entry: [{ id: '1', changes: [{ value: {} }] }] }],
  ])('reports %s as malformed', (_name, body) => {
    const r = parseWebhook(body);
    expect(r).toMatchObject({ ok: false, error: 'malformed' });
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
  });

  it.each<[string, unknown]>([
    ['a message without id', messagesChange('pn', [{ type: 'text' }])],
    ['a messages value that is not an object', { field: 'messages', value: 3 }],
    ['a message with no sender', messagesChange('pn', [textMessage('wamid.X', '')])],
  ])('keeps %s as a malformed record and reads the rest of the body', (_name, bad) => {
    const body = {
      object: WABA,
      entry: [{ id: '1', changes: [bad, messagesChange('pn', [textMessage('wamid.OK')])] }],
    };
    const r = parseWebhook(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events).toHaveLength(2);
    expect(r.events[0]).toMatchObject({ kind: 'other', field: 'malformed' });
    expect((r.events[0] as { value: { problem: string } }).value.problem.length).toBeGreaterThan(0);
    expect(r.events[1]).toMatchObject({ kind: 'message', providerMessageId: 'wamid.OK' });
  });

  it('accepts an empty entry list with no events', () => {
    expect(parseWebhook({ object: WABA, entry: [] })).toEqual({ ok: true, events: [] });
  });

  it('accepts the App Dashboard test sample', () => {
    const body = {
      object: WABA,
      entry: [{ id: '0', changes: [messagesChange('123456123', [textMessage('ABGGFlA5Fpa')])] }],
    };
    expect(events(body)[0]).toMatchObject({
      kind: 'message',
      account: '123456123',
      providerMessageId: 'ABGGFlA5Fpa',
    });
  });

  it('passes unknown fields through without complaint', () => {
    const change = messagesChange('pn', [{ ...textMessage('wamid.U'), brand_new_field: { x: 1 } }]);
    const body = {
      object: WABA,
      extra: true,
      entry: [{ id: '1', time: 1, changes: [{ ...change, extra: 1 }] }],
    };
    expect(events(body)).toHaveLength(1);
  });
});

describe('non-message notifications', () => {
  it('turns value.errors into an error event stamped with the arrival time', () => {
    const [e] = events(fixture('41-errors.json'));
    expect(e).toMatchObject({
      kind: 'error',
      timestamp: 1_700_000_000_000,
      orderingKey: 'whatsapp:errors:106540352242922',
    });
    expect(e?.dedupeKey).toMatch(/^err:[0-9a-f]{64}$/);
  });

  it('keeps history messages out of the inbound messages', () => {
    const es = events(fixture('43-history-media.json'));
    expect(es.some(isInboundMessage)).toBe(false);
    expect(es[0]).toMatchObject({ kind: 'other', field: 'history', orderingKey: 'whatsapp:history' });
  });

  it('stamps other events with entry.time and addresses them to the entry id', () => {
    expect(events(fixture('56-security.json'))[0]).toMatchObject({
      kind: 'other',
      account: '102290129340398',
      timestamp: 1_748_811_473_000,
      dedupeKey: expect.stringMatching(/^other:[0-9a-f]{64}$/),
    });
  });

  it('gives the same dedupe key to a redelivery serialised with another key order', () => {
    const body = fixture('54-phone-number-name-update.json') as { entry: { changes: { value: object }[] }[] };
    const change = body.entry[0]!.changes[0]!;
    const reordered = {
      ...body,
      entry: [
        {
          ...body.entry[0],
          changes: [{ value: reverseKeys(change.value), field: 'phone_number_name_update' }],
        },
      ],
    };
    expect(events(reordered)[0]!.dedupeKey).toBe(events(body)[0]!.dedupeKey);
  });

  it('gives different dedupe keys to the same notification on another day', () => {
    const body = fixture('55-phone-number-quality-update.json') as { entry: { time: number }[] };
    const later = { ...body, entry: [{ ...body.entry[0], time: body.entry[0]!.time + 86_400 }] };
    expect(events(later)[0]!.dedupeKey).not.toBe(events(body)[0]!.dedupeKey);
  });

  it('yields both messages and errors of one change', () => {
    const change = messagesChange('pn', [textMessage('wamid.M')]);
    Object.assign(change.value, { errors: [{ code: 130429, title: 'Rate limit hit' }] });
    const es = events({ object: WABA, entry: [{ id: '1', changes: [change] }] });
    expect(es.map((e) => e.kind)).toEqual(['message', 'error']);
  });
});

describe('isInboundMessage', () => {
  it('is true for messages only', () => {
    const [msg] = events(fixture('01-text.json'));
    const [st] = events(fixture('29-status-sent.json'));
    expect(isInboundMessage(msg!)).toBe(true);
    expect(isInboundMessage(st!)).toBe(false);
    const narrowed: InboundMessageEvent | undefined = [msg!].find(isInboundMessage);
    expect(narrowed?.content.type).toBe('text');
  });
});

function reverseKeys(o: object): object {
  return Object.fromEntries(Object.entries(o).reverse());
}
