import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/core/content.ts';
import type { StatusEvent } from '../../src/core/events.ts';
import type { ContactId, PersonId } from '../../src/core/ids.ts';
import { collectExport, EXPORT_BATCH } from '../../src/identity/export.ts';
import {
  parsePersonExport,
  PersonExportSchema,
  type PersonExport,
} from '../../src/identity/export-format.ts';
import { PersonRefError } from '../../src/identity/lookup.ts';
import { contentText, renderHtml, renderMarkdown } from '../../src/identity/transcript.ts';
import { applyStatus } from '../../src/outbox/statuses.ts';
import { audit } from '../../src/store/audit.ts';
import { recordConsent } from '../../src/store/consents.ts';
import type { Db } from '../../src/store/db.ts';
import { insertMessage } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

const DAY1 = Date.parse('2026-05-30T09:14:00Z');
const DAY2 = Date.parse('2026-05-31T18:05:00Z');
const NOW = Date.parse('2026-06-01T12:00:00Z');
const MIN = 60_000;
const WA_ACCOUNT = '106540352242922';

function statusEvent(wamid: string, status: string, timestamp: number): StatusEvent {
  return {
    kind: 'status',
    channel: 'whatsapp',
    account: WA_ACCOUNT,
    dedupeKey: `st:${wamid}:${status}`,
    orderingKey: `whatsapp:status:${wamid}`,
    timestamp,
    providerMessageId: wamid,
    status,
    recipient: { address: '33612345678', waId: '33612345678' },
  };
}

interface Seeded {
  personId: PersonId;
  otherPersonId: PersonId;
  inboundId: string;
  answerId: string;
}

/**
 * Alice on WhatsApp and Telegram (the Telegram contact joined to her), messages inserted out of time
 * order, an answer with sent/delivered/read statuses (received out of order), consents, audit entries,
 * LLM usage; and Bob, whose rows must not leak into Alice's export.
 */
async function seed(db: Db): Promise<Seeded> {
  const wa = await resolveContact(
    db,
    { channel: 'whatsapp', address: '33612345678', waId: '33612345678', displayName: 'Alice' },
    DAY1 - MIN,
  );
  const personId = wa.personId;
  const tg = await resolveContact(db, { channel: 'telegram', address: '777000', username: 'alice' }, DAY1);
  // Linked: the Telegram contact now belongs to Alice (what a redeemed link code does).
  await db.updateTable('contacts').set({ person_id: personId }).where('id', '=', tg.contactId).execute();
  await db.deleteFrom('people').where('id', '=', tg.personId).execute();
  await db
    .updateTable('people')
    .set({ language: 'fr', updated_at: DAY1 })
    .where('id', '=', personId)
    .execute();

  const waConv = await conversationFor(
    db,
    { personId, contactId: wa.contactId, channel: 'whatsapp', account: WA_ACCOUNT, isNewContact: true },
    DAY1 - MIN,
  );
  const tgConv = await conversationFor(
    db,
    { personId, contactId: tg.contactId as ContactId, channel: 'telegram', account: 'bot42' },
    DAY1,
  );
  const msg = async (
    on: 'wa' | 'tg',
    direction: 'in' | 'out',
    content: MessageContent | Record<string, unknown>,
    sentAt: number,
    extra: { providerMessageId?: string; status?: string; meta?: Record<string, unknown> } = {},
  ) => {
    const conv = on === 'wa' ? waConv : tgConv;
    const r = await insertMessage(
      db,
      {
        conversationId: conv.id,
        personId,
        contactId: conv.contact_id,
        channel: conv.channel,
        direction,
        content: content as MessageContent,
        sentAt,
        status: extra.status ?? (direction === 'in' ? 'received' : 'accepted'),
        ...(extra.providerMessageId ? { providerMessageId: extra.providerMessageId } : {}),
        ...(extra.meta ? { meta: extra.meta } : {}),
      },
      sentAt,
    );
    return r.id;
  };

  // Inserted newest first: the export must put them back in time order.
  await msg('wa', 'out', templateContent(), DAY2 + 5 * MIN, {
    providerMessageId: 'wamid.TPL',
    status: 'sent',
    meta: { intent: 'business_initiated', source: 'api' },
  });
  await msg('tg', 'in', { type: 'media', kind: 'image', media: { id: 'f1', caption: 'my receipt' } }, DAY2, {
    providerMessageId: 'tg:1',
  });
  const answerId = await msg('wa', 'out', { type: 'text', text: 'Bonjour Alice !' }, DAY1 + MIN, {
    providerMessageId: 'wamid.OUT1',
    meta: { inReplyTo: 'x', intent: 'answer', sources: ['opening-hours'] },
  });
  const inboundId = await msg('wa', 'in', { type: 'text', text: 'Bonjour <script>alert(1)</script>' }, DAY1, {
    providerMessageId: 'wamid.IN1',
  });
  // The answer names the message it answers, known only now.
  await db
    .updateTable('messages')
    .set({ meta: JSON.stringify({ inReplyTo: inboundId, intent: 'answer', sources: ['opening-hours'] }) })
    .where('id', '=', answerId)
    .execute();
  await msg(
    'wa',
    'in',
    { type: 'choice', source: 'button_reply', choiceId: 'yes', title: 'Oui, merci' },
    DAY2 + 6 * MIN,
    {
      providerMessageId: 'wamid.IN2',
    },
  );
  await msg('wa', 'in', { type: 'hologram', shape: 'cube' }, DAY2 + 7 * MIN, {
    providerMessageId: 'wamid.IN3',
  });

  // Statuses arrive out of order (read before delivered); the history is in time order.
  await applyStatus(db, statusEvent('wamid.OUT1', 'read', DAY1 + 3 * MIN));
  await applyStatus(db, statusEvent('wamid.OUT1', 'sent', DAY1 + MIN));
  await applyStatus(db, statusEvent('wamid.OUT1', 'delivered', DAY1 + 2 * MIN));

  await recordConsent(db, { personId, channel: 'whatsapp', kind: 'opt_in', source: 'api' }, DAY1 - MIN);
  await recordConsent(db, { personId, channel: 'telegram', kind: 'opt_out', source: 'keyword:STOP' }, DAY2);
  await audit(
    db,
    {
      action: 'policy.allow',
      personId,
      messageId: answerId,
      reasonCode: 'inside_window',
      detail: { rule: 'r' },
    },
    DAY1 + MIN,
  );
  // Names only the message, not the person: still about her.
  await audit(db, { action: 'outbox.reconciled', messageId: inboundId, reasonCode: 'status_callback' }, DAY1);
  await db
    .insertInto('llm_usage')
    .values({
      id: 'llm-1',
      conversation_id: waConv.id,
      person_id: personId,
      provider: 'openai.chat',
      model: 'gpt-test',
      input_tokens: 120,
      output_tokens: null,
      latency_ms: 850,
      outcome: 'answered',
      created_at: DAY1 + MIN,
    })
    .execute();

  // Bob: nothing of his belongs in Alice's export.
  const bob = await resolveContact(db, { channel: 'whatsapp', address: '4915112345678' }, DAY1);
  const bobConv = await conversationFor(
    db,
    {
      personId: bob.personId,
      contactId: bob.contactId,
      channel: 'whatsapp',
      account: WA_ACCOUNT,
      isNewContact: true,
    },
    DAY1,
  );
  const bobMsg = await insertMessage(db, {
    conversationId: bobConv.id,
    personId: bob.personId,
    contactId: bob.contactId,
    channel: 'whatsapp',
    direction: 'in',
    providerMessageId: 'wamid.BOB',
    content: { type: 'text', text: 'Bob here' },
    status: 'received',
    sentAt: DAY1,
  });
  await audit(db, { action: 'policy.none', personId: bob.personId, messageId: bobMsg.id }, DAY1);
  await recordConsent(
    db,
    { personId: bob.personId, channel: 'whatsapp', kind: 'opt_out', source: 'api' },
    DAY1,
  );
  return { personId, otherPersonId: bob.personId, inboundId, answerId };
}

function templateContent(): MessageContent {
  return {
    type: 'template',
    name: 'order_update',
    language: 'fr',
    body: [
      { type: 'text', text: 'Alice', name: 'first_name' },
      { type: 'text', text: 'A-1042', name: 'order' },
    ],
  };
}

describe.each(DIALECTS)('%s', (dialect) => {
  let store: TestStore;
  let s: Seeded;
  let exp: PersonExport;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    s = await seed(store.db);
    exp = await collectExport(store.db, s.personId, NOW);
  });
  afterEach(() => store.close());

  describe('collectExport', () => {
    it('produces a document that validates against the version-1 schema', () => {
      expect(PersonExportSchema.safeParse(exp).success).toBe(true);
      expect(exp).toMatchObject({
        format: 'passerelle.person-export',
        version: 1,
        exportedAt: '2026-06-01T12:00:00.000Z',
        source: {},
      });
      expect(parsePersonExport(JSON.parse(JSON.stringify(exp)))).toEqual({ ok: true, value: exp });
    });

    it('survives a JSON round trip unchanged (times stay exact numbers)', () => {
      const back = PersonExportSchema.parse(JSON.parse(JSON.stringify(exp)));
      expect(back).toEqual(exp);
      expect(typeof exp.messages[0]!.sentAt).toBe('number');
    });

    it('holds the person with all their contacts, across channels', () => {
      expect(exp.person).toEqual({
        id: s.personId,
        displayName: 'Alice',
        language: 'fr',
        createdAt: DAY1 - MIN,
        updatedAt: DAY1,
      });
      expect(exp.contacts.map((c) => `${c.channel}:${c.address}`)).toEqual([
        'whatsapp:33612345678',
        'telegram:777000',
      ]);
      expect(exp.contacts[1]).toMatchObject({ username: 'alice', waId: null, lastSeenAt: DAY1 });
      expect(exp.conversations.map((c) => c.account)).toEqual([WA_ACCOUNT, 'bot42']);
    });

    it('puts every message in one history in time order, whatever the channel or insertion order', () => {
      expect(exp.messages.map((m) => [m.channel, m.direction, m.sentAt])).toEqual([
        ['whatsapp', 'in', DAY1],
        ['whatsapp', 'out', DAY1 + MIN],
        ['telegram', 'in', DAY2],
        ['whatsapp', 'out', DAY2 + 5 * MIN],
        ['whatsapp', 'in', DAY2 + 6 * MIN],
        ['whatsapp', 'in', DAY2 + 7 * MIN],
      ]);
    });

    it('keeps content and meta as objects, not strings', () => {
      const answer = exp.messages.find((m) => m.id === s.answerId)!;
      expect(answer.content).toEqual({ type: 'text', text: 'Bonjour Alice !' });
      expect(answer.meta).toMatchObject({ inReplyTo: s.inboundId, sources: ['opening-hours'] });
      expect(exp.messages.find((m) => m.providerMessageId === 'wamid.IN3')!.content).toEqual({
        type: 'hologram',
        shape: 'cube',
      });
    });

    it('gives an outbound message its status history in time order, and its folded state', () => {
      const answer = exp.messages.find((m) => m.id === s.answerId)!;
      expect(answer.status).toBe('read');
      expect(answer.statusHistory.map((h) => [h.status, h.timestamp])).toEqual([
        ['sent', DAY1 + MIN],
        ['delivered', DAY1 + 2 * MIN],
        ['read', DAY1 + 3 * MIN],
      ]);
      expect(answer.statusHistory[0]).toMatchObject({
        participant: '',
        detail: { recipient: { waId: '33612345678' } },
      });
      expect(exp.messages.find((m) => m.id === s.inboundId)!.statusHistory).toEqual([]);
    });

    it('includes consents, decisions about the person or their messages, and LLM usage; nothing of others', () => {
      expect(exp.consents.map((c) => [c.channel, c.kind, c.source])).toEqual([
        ['whatsapp', 'opt_in', 'api'],
        ['telegram', 'opt_out', 'keyword:STOP'],
      ]);
      expect(exp.decisions.map((d) => d.action)).toEqual(['outbox.reconciled', 'policy.allow']);
      expect(exp.decisions[1]).toMatchObject({
        messageId: s.answerId,
        reasonCode: 'inside_window',
        detail: { rule: 'r' },
        actor: 'system',
      });
      expect(exp.llmUsage).toEqual([
        {
          id: 'llm-1',
          conversationId: exp.conversations[0]!.id,
          provider: 'openai.chat',
          model: 'gpt-test',
          inputTokens: 120,
          outputTokens: null,
          latencyMs: 850,
          outcome: 'answered',
          createdAt: DAY1 + MIN,
        },
      ]);
      const text = JSON.stringify(exp);
      expect(text).not.toContain('Bob here');
      expect(text).not.toContain(s.otherPersonId);
      expect(text).not.toContain('4915112345678');
    });

    it('throws PersonRefError not_found for an unknown person', async () => {
      await expect(collectExport(store.db, 'no-such-person', NOW)).rejects.toMatchObject({
        name: 'PersonRefError',
        reason: 'not_found',
      });
      await expect(collectExport(store.db, 'no-such-person')).rejects.toBeInstanceOf(PersonRefError);
    });

    it('names its source instance when given', async () => {
      const e = await collectExport(store.db, s.personId, NOW, { instance: 'https://chat.example.com' });
      expect(e.source).toEqual({ instance: 'https://chat.example.com' });
    });
  });

  describe('transcripts', () => {
    it('Markdown: a title with the name, a section per day, one line per message', () => {
      const md = renderMarkdown(exp);
      expect(md).toMatch(/^# Conversation history of Alice\n/);
      expect(md).toContain('## Saturday 30 May 2026 (2026-05-30)');
      expect(md).toContain('## Sunday 31 May 2026 (2026-05-31)');
      expect(md).toContain('- 09:14 · whatsapp · Alice · Bonjour \\<script\\>alert(1)\\</script\\>');
      expect(md).toContain('- 09:15 · whatsapp · assistant · Bonjour Alice ! · ✓✓ read');
      expect(md).toContain('- 18:05 · telegram · Alice · \\[image: my receipt\\]');
      expect(md).toContain(
        '- 18:10 · whatsapp · business · \\[template order\\_update: first\\_name=Alice, order=A-1042\\] · ✓ sent',
      );
      expect(md).toContain('- 18:11 · whatsapp · Alice · \\[chose: Oui, merci\\]');
      expect(md).toContain('- 18:12 · whatsapp · Alice · \\[unsupported message\\]');
      expect(md.indexOf('09:14')).toBeLessThan(md.indexOf('18:05'));
    });

    it('HTML: a standalone page in the person’s language, readable on a phone, accessible', () => {
      const html = renderHtml(exp);
      expect(html).toMatch(/^<!doctype html>\n<html lang="fr">/);
      expect(html).toContain('<meta charset="utf-8">');
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).toContain('<title>Conversation history of Alice</title>');
      expect(html).toContain('<main>');
      expect(html).toContain('<h1>Conversation history of Alice</h1>');
      expect(html).toContain(
        '<h2 id="d2026-05-30"><time datetime="2026-05-30">Saturday 30 May 2026</time></h2>',
      );
      expect(html).toContain('<time datetime="2026-05-30T09:15:00.000Z">09:15</time> · whatsapp · ');
      expect(html).toContain('<span class="status">✓✓ read</span>');
      expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
      expect(html).not.toMatch(/(src|href)=/i);
    });

    it('HTML: markup in a message is shown as text, never run', () => {
      const html = renderHtml(exp);
      expect(html).not.toContain('<script>');
      expect(html).toContain('Bonjour &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain("default-src 'none'");
    });

    it('HTML: a hostile name or language cannot break out of the page', () => {
      const hostile: PersonExport = {
        ...exp,
        person: { ...exp.person, displayName: '"><img src=x onerror=alert(1)>', language: 'fr" onload="x' },
      };
      const html = renderHtml(hostile);
      expect(html).toContain('<html lang="en">');
      expect(html).not.toContain('<img');
      expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    });

    it('shows times and days in the time zone asked for', () => {
      const md = renderMarkdown(exp, { timeZone: 'Asia/Tokyo' });
      expect(md).toContain('## Saturday 30 May 2026 (2026-05-30)');
      expect(md).toContain('- 18:14 · whatsapp · Alice');
      expect(md).toContain('## Monday 1 June 2026 (2026-06-01)'); // 18:05 UTC on the 31st is the 1st in Tokyo
      expect(md).toContain('times in Asia/Tokyo');
    });
  });
});

describe('contentText: every content kind as text', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['text', { type: 'text', text: 'hi' }, 'hi'],
    [
      'image with caption',
      { type: 'media', kind: 'image', media: { id: '1', caption: 'cat' } },
      '[image: cat]',
    ],
    ['image without caption', { type: 'media', kind: 'image', media: { id: '1' } }, '[image]'],
    ['voice note', { type: 'media', kind: 'audio', media: { id: '1', voice: true } }, '[voice message]'],
    [
      'document',
      { type: 'media', kind: 'document', media: { id: '1', filename: 'invoice.pdf' } },
      '[document: invoice.pdf]',
    ],
    [
      'location',
      { type: 'location', latitude: 48.85, longitude: 2.35, name: 'Shop', address: '1 rue X' },
      '[location: Shop, 1 rue X (48.85, 2.35)]',
    ],
    [
      'contacts',
      { type: 'contacts', contacts: [{ name: { formatted_name: 'Jo Doe' } }] },
      '[contact: Jo Doe]',
    ],
    ['reaction', { type: 'reaction', messageId: 'w', emoji: '👍' }, '[reaction: 👍]'],
    ['reaction removed', { type: 'reaction', messageId: 'w', emoji: null }, '[reaction removed]'],
    [
      'choice',
      { type: 'choice', source: 'list_reply', choiceId: 'a', title: 'Tomorrow' },
      '[chose: Tomorrow]',
    ],
    [
      'buttons',
      {
        type: 'buttons',
        body: 'Confirm?',
        buttons: [
          { id: 'y', title: 'Yes' },
          { id: 'n', title: 'No' },
        ],
      },
      'Confirm? [Yes | No]',
    ],
    [
      'list',
      {
        type: 'list',
        body: 'Pick a slot',
        buttonText: 'Slots',
        sections: [
          { title: 'Mon', rows: [{ id: '1', title: '9:00' }] },
          { rows: [{ id: '2', title: '10:00' }] },
        ],
      },
      'Pick a slot [Slots: 9:00 | 10:00]',
    ],
    [
      'template',
      { type: 'template', name: 'hello', language: 'en', body: [{ type: 'text', text: 'Jo' }] },
      '[template hello: Jo]',
    ],
    ['template without parameters', { type: 'template', name: 'hello', language: 'en' }, '[template hello]'],
    [
      'system',
      { type: 'system', systemType: 'user_changed_number', body: 'new number' },
      '[user changed number: new number]',
    ],
    ['request_welcome', { type: 'request_welcome' }, '[opened the chat]'],
    ['order', { type: 'order', order: {} }, '[order]'],
    [
      'structured reply',
      { type: 'structured_reply', subtype: 'nfm_reply', data: {} },
      '[form reply: nfm_reply]',
    ],
    ['unsupported', { type: 'unsupported', unsupportedType: 'poll' }, '[unsupported message]'],
    ['unknown', { type: 'unknown', providerType: 'poll', raw: {} }, '[unsupported message]'],
    ['a kind added later', { type: 'hologram' }, '[unsupported message]'],
    ['damaged buttons, without a crash', { type: 'buttons', buttons: [null, 'x', { title: 'A' }] }, '[A]'],
    ['damaged template, without a crash', { type: 'template', name: 't', body: [null, 3] }, '[template t]'],
  ])('%s', (_name, content, text) => {
    expect(contentText(content as { type: string })).toBe(text);
  });
});

describe.each(DIALECTS)('%s: a person with 10 000 messages', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('is exported in batched queries, with every status history', async () => {
    const db = store.db;
    const c = await resolveContact(db, { channel: 'whatsapp', address: '33600000000' }, DAY1);
    const conv = await conversationFor(
      db,
      {
        personId: c.personId,
        contactId: c.contactId,
        channel: 'whatsapp',
        account: WA_ACCOUNT,
        isNewContact: true,
      },
      DAY1,
    );
    const N = 10_000;
    const rows = Array.from({ length: N }, (_, i) => ({
      id: `m${String(i).padStart(5, '0')}`,
      conversation_id: conv.id,
      person_id: c.personId,
      contact_id: c.contactId,
      channel: 'whatsapp',
      direction: i % 2 ? ('out' as const) : ('in' as const),
      provider_message_id: `wamid.${i}`,
      content_type: 'text',
      content: JSON.stringify({ type: 'text', text: `message ${i}` }),
      reply_to: null,
      status: i % 2 ? 'delivered' : 'received',
      status_at: DAY1 + i,
      error_code: null,
      error_details: null,
      // Reverse time order against the ids: the export must sort by sentAt.
      sent_at: DAY1 + (N - i) * 1000,
      created_at: DAY1,
      meta: null,
    }));
    const statuses = rows
      .filter((r) => r.direction === 'out')
      .map((r, i) => ({
        id: `s${String(i).padStart(5, '0')}`,
        channel: 'whatsapp',
        provider_message_id: r.provider_message_id,
        status: 'delivered',
        participant: '',
        timestamp: r.sent_at + 500,
        detail: null,
        received_at: r.sent_at + 600,
      }));
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('messages')
        .values(rows.slice(i, i + 500))
        .execute();
    for (let i = 0; i < statuses.length; i += 500)
      await db
        .insertInto('message_statuses')
        .values(statuses.slice(i, i + 500))
        .execute();

    // Count statements: a fixed few, plus two per batch of 500 messages; never one per message.
    let queries = 0;
    const counted = db.withPlugin({
      transformQuery: (a) => {
        queries++;
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    });
    const started = Date.now();
    const exp = await collectExport(counted, c.personId, NOW);
    const elapsed = Date.now() - started;

    expect(exp.messages).toHaveLength(N);
    expect(exp.messages[0]!.id).toBe(`m${String(N - 1).padStart(5, '0')}`);
    expect(exp.messages.every((m, i) => i === 0 || exp.messages[i - 1]!.sentAt <= m.sentAt)).toBe(true);
    expect(exp.messages.filter((m) => m.statusHistory.length === 1)).toHaveLength(N / 2);
    expect(queries).toBeLessThanOrEqual(6 + 2 * Math.ceil(N / EXPORT_BATCH));
    expect(elapsed).toBeLessThan(10_000);
    expect(renderHtml(exp).length).toBeGreaterThan(N * 50);
  }, 60_000);
});
