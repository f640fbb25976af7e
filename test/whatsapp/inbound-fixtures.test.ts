/**
 * Every webhook body from Meta's docs (../shared/data/whatsapp-webhooks) against its manifest entry:
 * the parser must accept all 60 and produce exactly the events the manifest describes.
 */
import { describe, expect, it } from 'vitest';
import type {
  InboundEvent,
  InboundMessageEvent,
  ProviderErrorEvent,
  StatusEvent,
} from '../../src/core/events.ts';
import { parseWebhook } from '../../src/channels/whatsapp/inbound.ts';
import { fixture, manifest, type ManifestEntry } from './fixtures.ts';

function events(entry: ManifestEntry): InboundEvent[] {
  const r = parseWebhook(fixture(entry.file), { receivedAt: 0 });
  if (!r.ok) throw new Error(`${entry.file}: ${r.message}`);
  return r.events;
}

const ofKind = (kind: ManifestEntry['kind']) => manifest.filter((m) => m.kind === kind);
const messagesOf = (es: InboundEvent[]) => es.filter((e): e is InboundMessageEvent => e.kind === 'message');
const statusesOf = (es: InboundEvent[]) => es.filter((e): e is StatusEvent => e.kind === 'status');

describe('webhook fixtures from Meta docs', () => {
  it('covers the 60 files of the manifest', () => {
    expect(manifest).toHaveLength(60);
  });

  it.each(manifest.map((m) => [m.file, m] as const))('parses %s with ok:true', (_file, m) => {
    expect(parseWebhook(fixture(m.file)).ok).toBe(true);
  });

  it.each(manifest.map((m) => [m.file, m] as const))(
    'addresses %s to its phone number id or WABA',
    (_file, m) => {
      for (const e of events(m)) expect(e.account).toBe(m.phone_number_id ?? m.waba_id);
    },
  );

  it.each(ofKind('message').map((m) => [m.file, m] as const))(
    'turns %s into message events with the manifest ids',
    (_file, m) => {
      const es = events(m);
      expect(es.every((e) => e.kind === 'message')).toBe(true);
      expect(messagesOf(es).map((e) => e.providerMessageId)).toEqual(m.message_ids);
      expect(messagesOf(es).map((e) => e.dedupeKey)).toEqual(m.message_ids.map((id) => `msg:${id}`));
    },
  );

  it.each(ofKind('message').map((m) => [m.file, m] as const))('names the sender of %s', (_file, m) => {
    for (const e of messagesOf(events(m))) {
      if (m.sender_wa_ids.length > 0) expect(m.sender_wa_ids).toContain(e.from.waId);
      else expect(e.from.waId).toBeUndefined();
      if (m.sender_user_ids.length > 0) expect(m.sender_user_ids).toContain(e.from.userId);
      expect(e.from.address).toBe(e.from.waId ?? e.from.userId);
      expect(e.groupId).toBe(m.group_ids[0]);
      expect(e.orderingKey).toBe(`whatsapp:${m.phone_number_id}:${m.group_ids[0] ?? e.from.address}`);
    }
  });

  it.each(ofKind('message').map((m) => [m.file, m] as const))(
    'reads the content of %s as a known kind',
    (_file, m) => {
      const expected: Record<string, string[]> = {
        image: ['media'],
        audio: ['media'],
        video: ['media'],
        document: ['media'],
        sticker: ['media'],
        button: ['choice'],
        interactive: ['choice', 'structured_reply'],
      };
      for (const e of messagesOf(events(m))) {
        expect(expected[m.message_type!] ?? [m.message_type]).toContain(e.content.type);
      }
    },
  );

  it.each(
    ofKind('message')
      .filter((m) => m.error_codes.length > 0)
      .map((m) => [m.file, m] as const),
  )('keeps the error codes of %s on its unsupported content', (_file, m) => {
    const [e] = messagesOf(events(m));
    expect(e!.content.type).toBe('unsupported');
    if (e!.content.type === 'unsupported')
      expect(e!.content.errors?.map((x) => x.code)).toEqual(m.error_codes);
  });

  it.each(ofKind('status').map((m) => [m.file, m] as const))(
    'turns %s into status events matching (id, status, participant)',
    (_file, m) => {
      const es = events(m);
      expect(es.every((e) => e.kind === 'status')).toBe(true);
      expect(statusesOf(es).map((e) => [e.providerMessageId, e.status, e.recipient.participant])).toEqual(
        m.statuses.map((s) => [s.id, s.status, s.recipient_participant_id ?? undefined]),
      );
      statusesOf(es).forEach((e, i) => {
        const userId = m.statuses[i]!.recipient_user_id;
        if (userId) expect(e.recipient).toMatchObject({ userId, address: userId });
      });
    },
  );

  it.each(ofKind('status').map((m) => [m.file, m] as const))(
    'gives %s dedupe keys of id, status and participant',
    (_file, m) => {
      expect(statusesOf(events(m)).map((e) => e.dedupeKey)).toEqual(
        m.statuses.map(
          (s) =>
            `st:${s.id}:${s.status}${s.recipient_participant_id ? `:${s.recipient_participant_id}` : ''}`,
        ),
      );
    },
  );

  it.each(ofKind('status').map((m) => [m.file, m] as const))(
    'keeps the errors and group of %s',
    (_file, m) => {
      for (const e of statusesOf(events(m))) {
        expect((e.errors ?? []).map((x) => x.code)).toEqual(m.error_codes);
        expect(e.recipient.groupId).toBe(m.group_ids[0]);
      }
    },
  );

  it.each(ofKind('error').map((m) => [m.file, m] as const))(
    'turns %s into error events with its codes',
    (_file, m) => {
      const es = events(m);
      expect(es.every((e) => e.kind === 'error')).toBe(true);
      expect(es.flatMap((e) => (e as ProviderErrorEvent).errors.map((x) => x.code))).toEqual(m.error_codes);
    },
  );

  it.each(ofKind('other').map((m) => [m.file, m] as const))(
    'turns %s into other events only, never an inbound message',
    (_file, m) => {
      const es = events(m);
      expect(es.length).toBeGreaterThan(0);
      for (const e of es) {
        expect(e.kind).toBe('other');
        if (e.kind === 'other') expect(e.field).toBe(m.field);
      }
    },
  );

  it('gives distinct dedupe keys to distinct other notifications', () => {
    const keys = ofKind('other').flatMap((m) => events(m).map((e) => e.dedupeKey));
    expect(new Set(keys).size).toBe(keys.length);
  });
});
