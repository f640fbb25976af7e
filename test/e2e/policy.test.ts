import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerPolicy } from '../../src/cli/policy.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../llm/fake-openai.ts';
import { CREDS, postWebhook, startStack, waitFor, type Stack } from '../helpers/stack.ts';

// Issue 4, end to end through the sandbox: every rule of the WhatsApp profile acting on real traffic,
// each decision on record with its reason, and `passerelle policy explain` printing it.

let stack: Stack | undefined;
let llm: FakeOpenAI | undefined;
afterEach(async () => {
  await stack?.close();
  await llm?.close();
  stack = llm = undefined;
});

const ADMIN = 'admin-token-0123456789abcdef';
const db = () => stack!.gateway.store.db;
const H = 3_600_000;

/** A policy file in a fresh folder. */
function policyFile(policy: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'passerelle-policy-')), 'policy.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

/** WhatsApp's reengagement template in two languages, known to the policy and to the sandbox. */
const WINDOW_TEMPLATES = {
  whatsapp: {
    window: {
      outside: {
        template: { name: 'reengagement_v1', language: 'en' },
        templateByLanguage: { fr: { name: 'reengagement_v1', language: 'fr' } },
      },
    },
    templates: [
      { name: 'reengagement_v1', language: 'en', category: 'UTILITY' },
      { name: 'reengagement_v1', language: 'fr', category: 'UTILITY' },
    ],
  },
};
const SANDBOX_TEMPLATES = [
  {
    name: 'reengagement_v1',
    languages: ['en', 'fr'],
    category: 'utility' as const,
    body: 'We have an answer for you. Reply to see it.',
    quickReplies: ['Show me'],
  },
];

async function auditOf(messageId: string) {
  return db()
    .selectFrom('audit_log')
    .select(['action', 'reason_code', 'detail'])
    .where('message_id', '=', messageId)
    .orderBy('at')
    .orderBy('id')
    .execute();
}

async function outMessages() {
  return db()
    .selectFrom('messages')
    .selectAll()
    .where('direction', '=', 'out')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

async function inbound(text: string) {
  return waitFor(() =>
    db()
      .selectFrom('messages')
      .selectAll()
      .where('direction', '=', 'in')
      .where('content', 'like', `%${text}%`)
      .executeTakeFirst(),
  );
}

const body = (m: { payload: unknown }) => {
  const p = m.payload as { body?: string | { text: string } };
  return typeof p.body === 'string' ? p.body : (p.body?.text ?? '');
};

/** A text message as Meta would post it, with the given send time (a late delivery). */
function textWebhook(from: string, text: string, at: number, id: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: CREDS.phoneNumberId },
              contacts: [{ profile: { name: 'Late' }, wa_id: from }],
              messages: [
                { from, id, timestamp: String(Math.floor(at / 1000)), type: 'text', text: { body: text } },
              ],
            },
          },
        ],
      },
    ],
  });
}

// Response bodies, read loosely: the assertions say what is expected.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function api(
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ADMIN}`;
  const res = await fetch(`${stack!.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

describe('scope: business by default, general where the terms or the operator allow it', () => {
  const OFF_SCOPE = 'Write me a poem about the ocean and the meaning of life';
  it.each([
    // label, sender, policy file, date, whether the question reaches the model
    ['a French number in November 2026: business scope', '33611111111', undefined, '2026-11-22', false],
    [
      'a Brazilian number: general purpose since 11 March 2026',
      '5511987654321',
      undefined,
      '2026-11-22',
      true,
    ],
    ['a French number inside the EU/EEA period', '33611111111', undefined, '2026-04-01', true],
    ['an Italian number inside its period', '393331234567', undefined, '2026-02-20', true],
    ['an Italian number after it', '393331234567', undefined, '2026-05-13', false],
    [
      'a French number, WhatsApp set general by the operator',
      '33611111111',
      { whatsapp: { scope: 'general' } },
      '2026-11-22',
      true,
    ],
  ])('%s', async (_label, sender, policy, day, reaches) => {
    llm = await startFakeOpenAI();
    llm.enqueue({ kind: 'answer', text: 'The sea breathes slow, the gulls reply.' });
    const offset = Date.parse(`${day}T12:00:00Z`) - Date.now();
    stack = await startStack({
      clock: () => Date.now() + offset,
      config: {
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: llm.baseUrl,
        LLM_MODEL: 'llama3.2',
        ...(policy ? { PASSERELLE_POLICY: policyFile(policy) } : {}),
      },
    });
    const sb = stack.sandbox;
    sb.users.create({ waId: sender, name: 'Ana' });
    sb.userSends(sender, OFF_SCOPE);
    const [reply] = await waitFor(() => sb.sentTo(sender).length === 1 && sb.sentTo(sender));
    const asked = await inbound('poem about the ocean');
    const [out] = await outMessages();
    const decisions = await auditOf(out!.id);
    if (reaches) {
      expect(llm.requests).toHaveLength(1);
      expect(body(reply!)).toBe('The sea breathes slow, the gulls reply.');
      const scope = await auditOf(asked.id);
      expect(scope.map((a) => a.action)).toEqual(['policy.scope']);
      expect(scope[0]!.reason_code).toMatch(/^general_(scope_channel|purpose_allowed_country)$/);
      expect(decisions.map((d) => [d.action, d.reason_code])).toEqual([['policy.allow', 'in_window']]);
    } else {
      expect(llm.requests).toHaveLength(0);
      expect(reply!.type).toBe('interactive');
      expect(body(reply!)).toMatch(/^Sorry, I can't help with that/);
      expect(decisions.map((d) => [d.action, d.reason_code])).toEqual([
        ['policy.allow', 'out_of_scope_business'],
      ]);
    }
  });
});

describe('the 24-hour window', () => {
  it('holds a reply written after the window closed when no template is configured, and sends it when the person writes again', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    const user = '33622222222';
    sb.users.create({ waId: user, name: 'Zoé' });
    // Meta delivers the webhook 26 hours late (an outage): the reply would fall outside the window.
    const res = await postWebhook(
      stack.url,
      textWebhook(user, 'Do you deliver?', Date.now() - 26 * H, 'wamid.LATE1'),
    );
    expect(res.status).toBe(200);
    const [held] = await waitFor(async () => {
      const m = await outMessages();
      return m[0]?.status === 'held' && m;
    });
    expect((await auditOf(held!.id)).map((a) => [a.action, a.reason_code])).toEqual([
      ['policy.hold', 'outside_window_no_template'],
    ]);
    await new Promise((r) => setTimeout(r, 150));
    expect(sb.sentTo(user)).toHaveLength(0);
    // The person writes: the window is open again, the held reply goes first, then the new answer.
    sb.userSends(user, 'When are you open?');
    const sent = await waitFor(() => sb.sentTo(user).length === 2 && sb.sentTo(user));
    expect(body(sent[0]!)).toMatch(/deliver/i);
    expect(body(sent[1]!)).toContain('Monday to Saturday');
    expect((await auditOf(held!.id)).map((a) => a.action)).toEqual(['policy.hold', 'policy.release']);
  });

  it('turns a late reply into the configured template, in the person’s language', async () => {
    stack = await startStack({
      config: { PASSERELLE_POLICY: policyFile(WINDOW_TEMPLATES) },
      sandbox: { templates: SANDBOX_TEMPLATES },
    });
    const sb = stack.sandbox;
    const user = '33633333333';
    sb.users.create({ waId: user, name: 'Léa' });
    await postWebhook(
      stack.url,
      textWebhook(user, 'Vous livrez en Belgique ?', Date.now() - 30 * H, 'wamid.LATE2'),
    );
    const [tpl] = await waitFor(() => sb.sentTo(user).length === 1 && sb.sentTo(user));
    expect(tpl!.type).toBe('template');
    expect(tpl!.payload).toMatchObject({ name: 'reengagement_v1', language: { code: 'fr' } });
    const [original, asTemplate] = await outMessages();
    expect(original).toMatchObject({ status: 'held' });
    expect(JSON.parse(asTemplate!.meta ?? '{}')).toMatchObject({
      intent: 'window_template',
      replaces: original!.id,
    });
    expect((await auditOf(original!.id)).map((a) => [a.action, a.reason_code])).toEqual([
      ['policy.transform', 'outside_window_template'],
    ]);
    // Tapping the template's button reopens the window: the French answer follows.
    sb.tapButton(user, tpl!.id, 'Show me');
    const sent = await waitFor(() => sb.sentTo(user).length >= 2 && sb.sentTo(user));
    expect(body(sent[1]!)).toMatch(/livr/i);
  });

  it('after Meta refuses a late free-form reply (131047), sends the template instead', async () => {
    stack = await startStack({
      config: { PASSERELLE_POLICY: policyFile(WINDOW_TEMPLATES) },
      sandbox: { templates: SANDBOX_TEMPLATES },
    });
    const sb = stack.sandbox;
    const user = '33644444444';
    sb.users.create({ waId: user, name: 'Noé' });
    // The reply is slow to reach the API; meanwhile a day passes on Meta's side only.
    sb.faults.inject({ kind: 'send_hang', ms: 300, times: 1 });
    sb.userSends(user, 'Do you deliver?');
    await waitFor(async () =>
      (await db().selectFrom('outbox').select('state').where('kind', '=', 'message').execute()).some(
        (r) => r.state === 'sending',
      ),
    );
    sb.clock.advance(25 * H);
    const sent = await waitFor(() => {
      const s = sb.sentTo(user);
      return s.length === 2 && s[1]!.status !== 'failed' && s;
    });
    expect(sent[0]).toMatchObject({ status: 'failed' });
    expect(sent[1]!.type).toBe('template');
    const [original] = await outMessages();
    expect((await auditOf(original!.id)).map((a) => [a.action, a.reason_code])).toEqual([
      ['policy.allow', 'in_window'],
      ['outbox.needs_template', 'window_closed'],
      ['policy.transform', 'outside_window_template'],
    ]);
    const detail = JSON.parse((await auditOf(original!.id))[2]!.detail ?? '{}');
    expect(detail.data).toMatchObject({
      windowClosedByProvider: true,
      sentAs: { template: 'reengagement_v1' },
    });
  });
});

describe('opt-out and opt-in', () => {
  it('confirms STOP, stops every proactive message and answers nothing more; START restores', async () => {
    stack = await startStack({ config: { PASSERELLE_ADMIN_TOKEN: ADMIN } });
    const sb = stack.sandbox;
    const user = '447700900123';
    sb.users.create({ waId: user, name: 'Sam' });
    // Opted in on the business's website: business-initiated messages may go.
    // Given with a `+`, as people write numbers: the same person as the one who writes from it.
    expect(
      (await api('/api/consents', { body: { to: `+${user}`, kind: 'opt_in', source: 'web-form' } })).status,
    ).toBe(201);
    const first = await api('/api/messages', { body: { to: user, text: 'Your bike is ready.' } });
    expect(first.status).toBe(202);
    // No conversation yet, so no window, and no template configured: held for an operator.
    expect(first.json.decision).toMatchObject({ action: 'hold', reason: 'outside_window_no_template' });
    sb.userSends(user, 'STOP');
    const [confirm] = await waitFor(() => sb.sentTo(user).length === 1 && sb.sentTo(user));
    expect(body(confirm!)).toBe(
      'You will no longer receive messages from us. Reply START to receive them again.',
    );
    const consents = await db()
      .selectFrom('consents')
      .select(['kind', 'source'])
      .orderBy('created_at')
      .execute();
    expect(consents).toEqual([
      { kind: 'opt_in', source: 'web-form' },
      { kind: 'opt_out', source: 'keyword:STOP' },
    ]);
    // Proactive messages refused, with the reason; a question is not answered either.
    const refused = await api('/api/messages', { body: { to: user, text: 'Spring sale!' } });
    expect(refused.status).toBe(422);
    expect(refused.json.decision).toMatchObject({ action: 'refuse', reason: 'opted_out' });
    sb.userSends(user, 'When are you open?');
    const question = await inbound('When are you open');
    const answer = await waitFor(async () =>
      (await outMessages()).find((m) => JSON.parse(m.meta ?? '{}').inReplyTo === question.id),
    );
    expect(answer).toMatchObject({ status: 'refused', error_code: 'opted_out' });
    await new Promise((r) => setTimeout(r, 200));
    expect(sb.sentTo(user)).toHaveLength(1);
    // The notice held earlier was dropped by the opt-out; the sale and the answer were refused.
    expect((await outMessages()).map((m) => m.status)).toEqual(
      ['refused', 'sent', 'refused', 'refused'].map((s, i) =>
        i === 1 ? expect.stringMatching(/sent|delivered|read|accepted/) : s,
      ),
    );
    // START: confirmed, and messages flow again.
    sb.userSends(user, 'START');
    const again = await waitFor(() => sb.sentTo(user).length === 2 && sb.sentTo(user));
    expect(body(again[1]!)).toBe('You will receive our messages again. Reply STOP at any time to stop them.');
    const ok = await api('/api/messages', { body: { to: user, text: 'Your bike is ready.' } });
    expect(ok.json.decision).toMatchObject({ action: 'allow', reason: 'in_window' });
    await waitFor(() => sb.sentTo(user).length === 3);
  });

  it.each([
    ['ARRÊT', 'fr', 'Vous ne recevrez plus de messages'],
    ['baja', 'es', 'Ya no recibirá mensajes'],
    ['Parar!', 'pt', 'Você não receberá mais mensagens'],
  ])('confirms "%s" in its language (%s)', async (word, _lang, expected) => {
    stack = await startStack();
    const sb = stack.sandbox;
    const user = '34600000001';
    sb.users.create({ waId: user, name: 'Iria' });
    sb.userSends(user, word);
    const [confirm] = await waitFor(() => sb.sentTo(user).length === 1 && sb.sentTo(user));
    expect(body(confirm!)).toContain(expected);
  });

  it('refuses a business-initiated message to a person who never opted in', async () => {
    stack = await startStack({ config: { PASSERELLE_ADMIN_TOKEN: ADMIN } });
    stack.sandbox.users.create({ waId: '33655555555', name: 'Max' });
    const r = await api('/api/messages', { body: { to: '33655555555', text: 'Hello!' } });
    expect(r.status).toBe(422);
    expect(r.json.decision).toMatchObject({ action: 'refuse', reason: 'no_opt_in' });
    const decisions = await api(`/api/messages/${r.json.messageId}/decisions`);
    expect(decisions.json.decisions[0]).toMatchObject({ action: 'policy.refuse', reasonCode: 'no_opt_in' });
    await new Promise((r) => setTimeout(r, 100));
    expect(stack.sandbox.sentTo('33655555555')).toHaveLength(0);
  });
});

describe('a human, always reachable', () => {
  it.each([
    ['human', 'en', /colleague/i],
    ['Parler à quelqu’un', 'fr', /collègue/i],
    ['hablar con alguien', 'es', /compañer/i],
  ])('"%s" hands the person over, acknowledged in %s', async (text, _lang, ack) => {
    stack = await startStack();
    const sb = stack.sandbox;
    const user = '33666666666';
    sb.users.create({ waId: user, name: 'Yann' });
    sb.userSends(user, text);
    const [reply] = await waitFor(() => sb.sentTo(user).length === 1 && sb.sentTo(user));
    expect(body(reply!)).toMatch(ack);
    const asked = await inbound(text.slice(0, 5));
    expect((await auditOf(asked.id)).map((a) => [a.action, a.reason_code])).toEqual([
      ['policy.escalate', 'escalation_word'],
      ['handoff.requested', 'person_asked'],
      // …and the person waits in the agents' queue (docs/console.md).
      ['handoff.queued', 'person_asked'],
    ]);
  });
});

describe('explaining decisions', () => {
  it('passerelle policy explain prints the decision about a held reply, and the admin API shows it', async () => {
    stack = await startStack({ config: { PASSERELLE_ADMIN_TOKEN: ADMIN } });
    const user = '33677777777';
    stack.sandbox.users.create({ waId: user, name: 'Eve' });
    await postWebhook(stack.url, textWebhook(user, 'Do you deliver?', Date.now() - 25 * H, 'wamid.LATE3'));
    await waitFor(async () => (await outMessages())[0]?.status === 'held');
    const configFile = join(mkdtempSync(join(tmpdir(), 'passerelle-cfg-')), 'config.json');
    writeFileSync(configFile, JSON.stringify({ DATABASE_URL: `sqlite:${stack.dbFile}` }));
    const out: string[] = [];
    const program = new Command().option('-c, --config <file>').exitOverride();
    registerPolicy(program, { out: (t) => out.push(t), err: (t) => out.push(t) });
    await program.parseAsync(['--config', configFile, 'policy', 'explain', 'wamid.LATE3'], { from: 'user' });
    const text = out.join('\n');
    expect(text).toContain('policy.hold  outside_window_no_template');
    expect(text).toMatch(/Last message from the person 25 h ago: outside the 24-hour window/);
    const viaApi = await api('/api/messages/wamid.LATE3/decisions');
    expect(viaApi.status).toBe(200);
    expect(viaApi.json.decisions.map((d: { action: string }) => d.action)).toContain('policy.hold');
  });

  it('a business-initiated message repeated with the same Idempotency-Key is sent once', async () => {
    stack = await startStack({ config: { PASSERELLE_ADMIN_TOKEN: ADMIN } });
    const sb = stack.sandbox;
    const user = '33688888888';
    sb.users.create({ waId: user, name: 'Ines' });
    sb.userSends(user, 'When are you open?'); // opens the window
    await waitFor(() => sb.sentTo(user).length === 1);
    await api('/api/consents', { body: { to: user, kind: 'opt_in' } });
    const send = () =>
      api('/api/messages', {
        body: { to: user, text: 'Your bike is ready.' },
        headers: { 'idempotency-key': 'order-42' },
      });
    const first = await send();
    const again = await send();
    expect(first).toMatchObject({ status: 202, json: { repeated: false, decision: { action: 'allow' } } });
    expect(again).toMatchObject({
      status: 202,
      json: {
        repeated: true,
        messageId: first.json.messageId,
        decision: { action: 'allow', reason: 'in_window' },
      },
    });
    await waitFor(() => sb.sentTo(user).length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(sb.sentTo(user)).toHaveLength(2);
  });

  it('the admin API refuses requests without the token, and bad bodies with the field named', async () => {
    stack = await startStack({ config: { PASSERELLE_ADMIN_TOKEN: ADMIN } });
    expect((await api('/api/messages/x/decisions', { token: null })).status).toBe(401);
    expect((await api('/api/messages/x/decisions', { token: 'wrong-token-0123456789' })).status).toBe(401);
    const bad = await api('/api/messages', { body: { to: '33600000000' } });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.join()).toMatch(/exactly one of "text" or "template"/);
    const badTo = await api('/api/messages', { body: { to: 'call me', text: 'Hi' } });
    expect(badTo).toMatchObject({ status: 400 });
    expect(badTo.json.problems.join()).toMatch(/^to: expected a WhatsApp number in international format/);
    const off = await api('/api/messages', { body: { channel: 'telegram', to: '42', text: 'Hi' } });
    expect(off).toMatchObject({
      status: 409,
      json: { error: 'the telegram channel is not enabled on this gateway' },
    });
    const doc = await api('/api/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.json.paths)).toContain('/api/messages');
  });
});
