import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerPolicy } from '../../src/cli/policy.ts';
import { toAuditEntry } from '../../src/policy/audit.ts';
import { outboundPolicy } from '../../src/policy/engine.ts';
import { inboundPolicy } from '../../src/policy/inbound.ts';
import { defaultPolicy } from '../../src/policy/profiles.ts';
import { audit } from '../../src/store/audit.ts';
import { openStore, type Store } from '../../src/store/db.ts';

// `passerelle policy explain <message-id>` against a temporary SQLite store with audit rows.

const NOW = Date.parse('2026-06-01T12:00:00Z');
const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'passerelle-explain-'));
const dbFile = join(dir, 'p.db');
const configFile = join(dir, 'config.json');
let store: Store;

/** One person, one conversation, one inbound "STOP" and one late reply that was held. */
async function seed(db: Store['db']): Promise<void> {
  await db
    .insertInto('people')
    .values({ id: 'per-1', display_name: null, language: 'en', created_at: NOW, updated_at: NOW })
    .execute();
  await db
    .insertInto('contacts')
    .values({
      id: 'con-1',
      person_id: 'per-1',
      channel: 'whatsapp',
      address: '33612345678',
      wa_id: '33612345678',
      user_id: null,
      username: null,
      country_code: null,
      display_name: null,
      created_at: NOW,
      last_seen_at: NOW,
    })
    .execute();
  await db
    .insertInto('conversations')
    .values({
      id: 'cnv-1',
      person_id: 'per-1',
      contact_id: 'con-1',
      channel: 'whatsapp',
      account: '1234',
      last_inbound_at: NOW - 26 * H,
      last_outbound_at: null,
      created_at: NOW,
      updated_at: NOW,
    })
    .execute();
  const message = (id: string, direction: 'in' | 'out', providerId: string | null, meta: object | null) => ({
    id, conversation_id: 'cnv-1', person_id: 'per-1', contact_id: 'con-1', channel: 'whatsapp', direction,
    provider_message_id: providerId, content_type: 'text', content: '{"type":"text","text":"…"}', reply_to: null,
    status: direction === 'in' ? 'received' : 'held', status_at: NOW, error_code: null, error_details: null,
    sent_at: NOW, created_at: NOW, meta: meta ? JSON.stringify(meta) : null,
  }); // prettier-ignore
  await db
    .insertInto('messages')
    .values([
      message('msg-in', 'in', 'wamid.IN1', null),
      message('msg-out', 'out', null, { inReplyTo: 'msg-in', intent: 'answer' }),
    ])
    .execute();
  await db
    .insertInto('outbox')
    .values({
      id: 'obx-1',
      idempotency_key: 'reply:x:0',
      kind: 'message',
      channel: 'whatsapp',
      account: '1234',
      recipient: '33612345678',
      message_id: 'msg-out',
      payload: '{}',
      state: 'held',
      attempts: 0,
      next_attempt_at: NOW,
      lease_until: null,
      lease_owner: null,
      provider_message_id: null,
      coalesced_into: null,
      last_error_code: null,
      last_error: null,
      last_trace_id: null,
      created_at: NOW,
      updated_at: NOW,
      sent_at: null,
    })
    .execute();
  const { whatsapp } = defaultPolicy();
  const signal = inboundPolicy(whatsapp, { content: { type: 'text', text: 'help' } });
  await audit(db, toAuditEntry(signal, { messageId: 'msg-in', personId: 'per-1' }), NOW);
  const held = outboundPolicy(whatsapp, {
    now: NOW,
    lastInboundAt: NOW - 26 * H,
    optedOut: false,
    optedIn: false,
    businessInitiated: false,
    reply: { content: { type: 'text', text: 'late' }, intent: 'answer' },
  });
  await audit(
    db,
    toAuditEntry(held, { messageId: 'msg-out', personId: 'per-1', outboxId: 'obx-1' }),
    NOW + 1,
  );
  await audit(
    db,
    {
      action: 'outbox.needs_template',
      outboxId: 'obx-1',
      reasonCode: 'window_closed',
      detail: { code: 131047 },
    },
    NOW + 2,
  );
}

beforeAll(async () => {
  writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${dbFile}` }));
  store = openStore({ url: `sqlite:${dbFile}` });
  await store.migrate();
  await seed(store.db);
});

afterAll(async () => {
  await store.close();
});

afterEach(() => {
  process.exitCode = undefined;
});

/** Runs `policy …` through commander as `passerelle --config FILE policy …` would. */
async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command().option('-c, --config <file>').exitOverride();
  registerPolicy(program, { out: (t) => out.push(t), err: (t) => err.push(t) });
  process.exitCode = undefined;
  await program.parseAsync(['--config', configFile, 'policy', ...args], { from: 'user' });
  return { out: out.join('\n'), err: err.join('\n'), code: process.exitCode };
}

describe('passerelle policy explain', () => {
  it('prints each decision about a reply with time, action, reason code and explanation', async () => {
    const r = await run('explain', 'msg-out');
    expect(r.code).toBeUndefined();
    expect(r.out).toContain('Reply msg-out (outbound, whatsapp, held, reply to msg-in): outbox obx-1 held');
    expect(r.out).toContain(
      '2026-06-01T12:00:00.001Z  policy.hold  outside_window_no_template  message msg-out',
    );
    expect(r.out).toContain(
      '    Last message from the person 26 h ago: outside the 24-hour window; no template is configured for this (whatsapp.window.outside.template): held for an operator.',
    );
    expect(r.out).toContain('    rule: whatsapp.window');
    expect(r.out).toContain('outbox.needs_template  window_closed  outbox obx-1');
  });

  it('an inbound message brings the decisions about its replies, in time order', async () => {
    const r = await run('explain', 'msg-in', '--json');
    const e = JSON.parse(r.out);
    expect(e.messages.map((m: { id: string }) => m.id)).toEqual(['msg-in', 'msg-out']);
    expect(e.decisions.map((d: { action: string }) => d.action)).toEqual([
      'policy.none',
      'policy.hold',
      'outbox.needs_template',
    ]);
    expect(e.decisions[1]).toMatchObject({
      reasonCode: 'outside_window_no_template',
      rule: 'whatsapp.window',
      messageId: 'msg-out',
      outboxId: 'obx-1',
      time: '2026-06-01T12:00:00.001Z',
    });
    expect(e.decisions[2]).toMatchObject({ explanation: null, data: { code: 131047 } });
  });

  it.each([
    ['the provider message id (wamid)', 'wamid.IN1', 'policy.none'],
    ['the outbox id', 'obx-1', 'policy.hold'],
  ])('finds a message by %s', async (_name, id, action) => {
    const r = await run('explain', id, '--json');
    expect(JSON.parse(r.out).decisions.map((d: { action: string }) => d.action)).toContain(action);
  });

  it('an unknown id says so and exits with code 2', async () => {
    const r = await run('explain', 'no-such-id');
    expect(r.code).toBe(2);
    expect(r.err).toBe('No message, outbox item or decision with id "no-such-id".');
    expect(r.out).toBe('');
  });

  it('a missing database says so and exits with code 2, creating nothing', async () => {
    const missing = join(dir, 'none', 'missing.db');
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${missing}` }));
    try {
      const r = await run('explain', 'msg-in');
      expect(r.code).toBe(2);
      expect(r.err).toContain('No database at');
    } finally {
      writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${dbFile}` }));
    }
  });
});

describe('passerelle policy check', () => {
  it('summarises a valid file', async () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, 'telegram:\n  scope: general\n');
    const r = await run('check', f);
    expect(r.code).toBeUndefined();
    expect(r.out).toContain('telegram: scope general');
    expect(r.out).toContain('whatsapp: scope business, 3 general-purpose period(s), window 24 h');
  });

  it('lists the problems of a bad file and exits with code 2', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'whatsapp:\n  scpoe: general\n');
    const r = await run('check', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}: whatsapp.scpoe: unknown key`);
  });
});
