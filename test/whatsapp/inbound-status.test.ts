import { describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../src/core/events.ts';
import { parseWebhook } from '../../src/channels/whatsapp/inbound.ts';
import { fixture } from './fixtures.ts';

function parse(body: unknown): StatusEvent[] {
  const r = parseWebhook(body);
  if (!r.ok) throw new Error(r.message);
  return r.events.filter((e): e is StatusEvent => e.kind === 'status');
}

function status(file: string): StatusEvent {
  const [e] = parse(fixture(file));
  if (!e) throw new Error(`${file}: no status event`);
  return e;
}

describe('inbound statuses (spec §1.5)', () => {
  it('reads pricing and conversation of a sent status', () => {
    const s = status('29-status-sent.json');
    expect(s.recipient).toEqual({ address: '16505551234', waId: '16505551234' });
    expect(s.pricing).toEqual({
      billable: true,
      pricingModel: 'PMP',
      type: 'regular',
      category: 'marketing',
    });
    expect(s.conversation).toEqual({
      id: '72b14d6bd5407799e66f64d1b338e567',
      expiresAt: 1_750_116_480_000,
      originType: 'marketing',
    });
  });

  it('reads the errors of a failed status', () => {
    expect(status('31-status-failed.json').errors?.[0]).toMatchObject({
      code: 131049,
      details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    });
  });

  it('takes the BSUID of a recipient from contacts when the status has a wa_id', () => {
    expect(status('33-status-delivered-bsuid.json').recipient).toEqual({
      address: '16505551234',
      waId: '16505551234',
      userId: 'user.9373795779eb6441c8adb2eaee5b848e7dd174ddd302d7db62142f4722d574b6',
    });
  });

  it('names group status recipients by group and participant', () => {
    const [a, b] = parse(fixture('39-status-group-delivered-aggregated.json'));
    expect(a!.recipient).toEqual({
      address: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD',
      groupId: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD',
      participant: '16505551234',
    });
    expect(a!.dedupeKey).not.toBe(b!.dedupeKey);
    expect(a!.orderingKey).toBe(b!.orderingKey);
  });

  it('echoes biz_opaque_callback_data as callbackData', () => {
    const b = fixture('30-status-sent-minimal.json') as {
      entry: { changes: { value: { statuses: object[] } }[] }[];
    };
    Object.assign(b.entry[0]!.changes[0]!.value.statuses[0]!, { biz_opaque_callback_data: 'outbox:42' });
    expect(parse(b)[0]!.callbackData).toBe('outbox:42');
  });
});
