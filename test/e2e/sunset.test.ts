import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { recordConsent } from '../../src/store/consents.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { ChatClient } from '../webchat/client.ts';

// Issue 5, sunset campaigns end to end: hundreds of sandbox users on a WhatsApp number that closes;
// each notice sent once, free text inside the window and the approved template outside it (opt-in
// required), progress tracked as people link and export, reminders only to those who have not acted,
// a final report after the date, and the closed channel answering with the way to continue.

let stack: Stack | undefined;
const chats: ChatClient[] = [];
afterEach(async () => {
  for (const c of chats.splice(0)) c.ws.close();
  await stack?.close();
  stack = undefined;
});

const ADMIN = 'admin-token-0123456789abcdef';
const DAY = 86_400_000;
const db = () => stack!.gateway.store.db;
const body = (m: { payload: unknown }) => {
  const p = m.payload as { body?: string | { text: string } };
  return typeof p.body === 'string' ? p.body : (p.body?.text ?? '');
};

function policyFile(policy: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'passerelle-policy-')), 'policy.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

/** JSON answers are read loosely: the test checks their shape itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

async function api(
  method: string,
  path: string,
  payload?: unknown,
): Promise<{ status: number; body: Loose }> {
  const res = await fetch(`${stack!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text.startsWith('{') ? (JSON.parse(text) as Loose) : text,
  };
}

// 300 people: A write now (inside the window), B wrote 3 days ago and opted in, C wrote 3 days ago
// without opt-in, D opted out; E were last seen long ago and are not enrolled.
const group = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const A = group('3361000', 100);
const B = group('3362000', 100);
const C = group('3363000', 80);
const D = group('3364000', 20);
const E = group('3365000', 10);

describe('sunset campaign over hundreds of sandbox users', () => {
  it('notifies each person once as the window allows, tracks, reminds, reports and redirects', async () => {
    const clock = new SandboxClock();
    const T0 = clock.now();
    stack = await startStack({
      clock: () => clock.now(),
      sandbox: {
        clock,
        users: [...A, ...B, ...C, ...D, ...E].map((waId) => ({ waId, name: `User ${waId.slice(-4)}` })),
        templates: [
          {
            name: 'channel_sunset',
            languages: ['en'],
            category: 'utility',
            body: 'This WhatsApp number closes on {{1}}. Your code: {{2}}. Continue here: {{3}}',
          },
        ],
      },
      config: {
        PASSERELLE_ADMIN_TOKEN: ADMIN,
        CAMPAIGN_INTERVAL_MS: 3_600_000, // passes are run by the test
        PUBLIC_URL: undefined,
        PASSERELLE_POLICY: policyFile({
          whatsapp: { templates: [{ name: 'channel_sunset', language: 'en', category: 'UTILITY', body: 3 }] },
        }),
      },
    });
    const sb = stack.sandbox;
    const account = '106540352242922';

    // A: write now, and are answered.
    for (const u of A) sb.userSends(u, 'When are you open?');
    await waitFor(() => A.every((u) => sb.sentTo(u).length >= 1), 60_000, 'answers to group A');
    // B, C, D, E: known from earlier conversations.
    const seed = async (waId: string, lastAt: number) => {
      const c = await resolveContact(db(), { channel: 'whatsapp', address: waId, waId }, lastAt);
      await conversationFor(db(), {
        personId: c.personId,
        contactId: c.contactId,
        channel: 'whatsapp',
        account,
        isNewContact: c.created,
        lastInboundAt: lastAt,
      });
      return c.personId;
    };
    for (const u of B) {
      const p = await seed(u, T0 - 3 * DAY);
      await recordConsent(db(), { personId: p, channel: 'whatsapp', kind: 'opt_in', source: 'signup-form' });
    }
    for (const u of C) await seed(u, T0 - 3 * DAY);
    for (const u of D) {
      const p = await seed(u, T0 - 2 * DAY);
      await recordConsent(db(), {
        personId: p,
        channel: 'whatsapp',
        kind: 'opt_out',
        source: 'keyword:STOP',
      });
    }
    for (const u of E) await seed(u, T0 - 400 * DAY);
    const answered = new Map(A.map((u) => [u, sb.sentTo(u).length]));

    // Bad requests are refused with the field named.
    const bad = await api('POST', '/api/campaigns/sunset', {
      channel: 'whatsapp',
      date: 'soon',
      to: ['whatsapp'],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('date');
    const past = await api('POST', '/api/campaigns/sunset', {
      channel: 'whatsapp',
      date: '2020-01-01',
      to: ['webchat'],
    });
    expect(past.status).toBe(400);

    const sunsetAt = new Date(T0 + 10 * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
    const created = await api('POST', '/api/campaigns/sunset', {
      channel: 'whatsapp',
      date: sunsetAt,
      to: ['webchat'],
      template: { name: 'channel_sunset', language: 'en' },
      remindEveryDays: 3,
      maxReminders: 1,
    });
    expect(created.status).toBe(201);
    expect(created.body.enrolled).toBe(300);
    const id = created.body.campaign.id as string;
    expect(
      (await api('POST', '/api/campaigns/sunset', { channel: 'whatsapp', date: sunsetAt, to: ['webchat'] }))
        .status,
    ).toBe(409);

    // First pass: 100 texts (A, inside the window), 100 templates (B, opted in), C unreachable, D opted out.
    const run = async () => (await api('POST', `/api/campaigns/${id}/run`)).body;
    await run();
    const notices = (u: string) => sb.sentTo(u).slice(u.startsWith('3361') ? answered.get(u) : 0);
    await waitFor(() => [...A, ...B].every((u) => notices(u).length === 1), 30_000, 'first notices');
    for (const u of A) {
      const [n] = notices(u);
      expect(n!.type).toBe('text');
      expect(body(n!)).toMatch(/closing our WhatsApp conversation/);
    }
    for (const u of B) expect(notices(u)[0]!.type).toBe('template');
    expect([...C, ...D, ...E].every((u) => sb.sentTo(u).length === 0)).toBe(true);
    const codeOf = (u: string) => /LINK ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(body(notices(u)[0]!))![1]!;
    expect(body(notices(A[0]!)[0]!)).toMatch(/\/chat\?link=[0-9A-Z]{8}/);
    const tpl = notices(B[0]!)[0]!.payload as { components?: { parameters: { text: string }[] }[] };
    expect(tpl.components?.[0]?.parameters.map((p) => p.text)[1]).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    // A second pass right away sends nothing again.
    await run();
    await new Promise((r) => setTimeout(r, 300));
    expect([...A, ...B].every((u) => notices(u).length === 1)).toBe(true);
    let progress = (await api('GET', `/api/campaigns/${id}`)).body;
    expect(progress.members).toBe(300);
    expect(progress.byState).toEqual({ notified: 200, unreachable: 80, opted_out: 20 });

    // Ten of A link the web chat with their code; five more download their history.
    for (const u of A.slice(0, 10)) {
      const chat = await ChatClient.open(stack.url, { origin: stack.url });
      chats.push(chat);
      await chat.hello();
      const from = chat.frames.length;
      chat.send({ type: 'message', id: `link-${u}`, content: { type: 'text', text: `LINK ${codeOf(u)}` } });
      const f = await chat.next('message', from, (m) => m.from === 'bot');
      expect((f.content as { text: string }).text).toContain('now linked with your WhatsApp conversation');
    }
    for (const u of A.slice(10, 15)) {
      sb.userSends(u, 'my history');
      const reply = await waitFor(() => notices(u).length === 2 && notices(u)[1]!, 10_000, 'export link');
      const url = /(\/export\/[A-Za-z0-9_-]+)/.exec(body(reply))![1]!;
      const page = await fetch(`${stack.url}${url}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('When are you open?');
    }
    await run();
    progress = (await api('GET', `/api/campaigns/${id}`)).body;
    expect(progress).toMatchObject({ linked: 10, exported: 5, acted: 15, waiting: 185 });

    // Three days later: reminders for those who have not acted. B get the template again; A are now
    // outside the window without opt-in: no reminder, and they stay "notified".
    clock.advance(3 * DAY + 60_000);
    await run();
    await waitFor(() => B.every((u) => notices(u).length === 2), 30_000, 'reminders');
    expect(B.every((u) => notices(u)[1]!.type === 'template')).toBe(true);
    expect(A.slice(15).every((u) => notices(u).length === 1)).toBe(true);
    expect(A.slice(0, 15).every((u) => notices(u).length <= 2)).toBe(true);
    await run();
    await new Promise((r) => setTimeout(r, 300));
    expect(B.every((u) => notices(u).length === 2)).toBe(true); // one reminder (maxReminders: 1)
    expect((await api('GET', `/api/campaigns/${id}/report`)).status).toBe(409);

    // After the date: the final report, and the closed channel redirects.
    clock.advance(7 * DAY);
    await run();
    const report = await api('GET', `/api/campaigns/${id}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      members: 300,
      linked: 10,
      exported: 5,
      byState: { linked: 10, exported: 5, notified: 185, unreachable: 80, opted_out: 20 },
      notices: { text: 100, template: 200 },
    });
    const md = await api('GET', `/api/campaigns/${id}/report?format=md`);
    expect(md.body).toContain('| Linked another channel | 10 |');

    const late = A[50]!;
    const before = sb.sentTo(late).length;
    sb.userSends(late, 'When are you open?');
    const redirect = await waitFor(
      () => sb.sentTo(late).length > before && sb.sentTo(late).at(-1)!,
      10_000,
      'redirect',
    );
    expect(body(redirect)).toMatch(/This WhatsApp conversation closed on/);
    expect(body(redirect)).toMatch(/\/chat\?link=[0-9A-Z]{8}/);
    expect(body(redirect)).not.toContain('Monday to Saturday');
    const redirected = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'campaign.redirected')
      .execute();
    expect(redirected).toHaveLength(1);
  }, 120_000);
});
