import { afterEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const USER = '33612345678';
const db = () => stack!.gateway.store.db;
const textOf = (m: { payload: Record<string, unknown> }) =>
  String((m.payload as { body?: string }).body ?? '');

async function outbox() {
  return db().selectFrom('outbox').selectAll().where('kind', '=', 'message').orderBy('created_at').execute();
}
async function outMessages() {
  return db()
    .selectFrom('messages')
    .selectAll()
    .where('direction', '=', 'out')
    .orderBy('created_at')
    .execute();
}

describe('answering through the Cloud API (sandbox)', () => {
  it('answers a question from the knowledge base, after a read receipt with typing indicator', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    const inbound = sb.userSends(USER, 'When are you open?');
    const [reply] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER), 5000, 'reply');
    expect(textOf(reply!)).toContain('Monday to Saturday');
    const chat = sb.conversation(USER);
    expect(chat.find((i) => i.id === inbound.id)).toMatchObject({ readByBusiness: true });
    const [msg] = await waitFor(async () => {
      const m = await outMessages();
      return m[0]?.status === 'delivered' && m;
    });
    expect(msg!.provider_message_id).toBe(reply!.id);
    expect(JSON.parse(msg!.meta ?? '{}')).toMatchObject({ sources: ['opening-hours'], intent: 'answer' });
  });

  it('gives exactly one reply when each webhook is delivered three times', async () => {
    stack = await startStack({ sandbox: { duplicates: 2 } });
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.userSends(USER, 'Do you repair bikes?');
    await waitFor(() => sb.sentTo(USER).length >= 1, 5000, 'reply');
    await sb.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(sb.sentTo(USER)).toHaveLength(1);
    const posts = sb.webhookLog.filter((a) => a.body.includes('Do you repair bikes?'));
    expect(posts.length).toBeGreaterThanOrEqual(3);
    expect(await db().selectFrom('inbox').select('id').where('kind', '=', 'message').execute()).toHaveLength(
      1,
    );
  });

  it('offers a choice for an ambiguous question and answers the button tapped', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.userSends(USER, 'how much');
    const [choice] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER));
    expect(choice!.type).toBe('interactive');
    sb.tapButton(USER, choice!.id, 'Delivery');
    const all = await waitFor(() => sb.sentTo(USER).length === 2 && sb.sentTo(USER));
    expect(textOf(all[1]!)).toContain('We deliver in France');
  });

  it('tracks statuses to read, whatever order they arrive in', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'status_reorder', times: 1 });
    sb.userSends(USER, 'Is there a warranty?');
    await waitFor(() => sb.sentTo(USER)[0]?.status === 'delivered');
    sb.read(USER);
    const [m] = await waitFor(async () => {
      const rows = await outMessages();
      return rows[0]?.status === 'read' && rows;
    });
    expect(JSON.parse(m!.meta ?? '{}')).toHaveProperty('readAt');
    await sb.idle();
    const history = await waitFor(async () => {
      const h = (await db().selectFrom('message_statuses').select('status').execute())
        .map((x) => x.status)
        .sort();
      return h.length === 3 && h;
    });
    expect(history).toEqual(['delivered', 'read', 'sent']);
  });

  it('retries after 130429 and delivers', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_error', code: 130429, times: 2 });
    sb.userSends(USER, 'Do you deliver?');
    await waitFor(() => sb.sentTo(USER).length === 1, 5000, 'reply after retries');
    const [row] = await waitFor(async () => {
      const r = await outbox();
      return r[0]?.state === 'sent' && r;
    });
    // The last failure stays on record for operators.
    expect(row).toMatchObject({ attempts: 3, last_error_code: '130429' });
  });

  it('dead-letters a permanent failure at once, keeping the reason', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_error', code: 131026, times: 1 });
    sb.userSends(USER, 'Do you deliver?');
    const [row] = await waitFor(async () => {
      const r = await outbox();
      return r[0]?.state === 'dead' && r;
    });
    expect(row).toMatchObject({ attempts: 1, last_error_code: '131026' });
    expect(row!.last_trace_id).toBeTruthy();
    const [msg] = await outMessages();
    expect(msg).toMatchObject({ status: 'dead', error_code: '131026' });
    const auditRow = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'outbox.dead_letter')
      .executeTakeFirstOrThrow();
    expect(auditRow).toMatchObject({ reason_code: 'error_131026', message_id: msg!.id });
    expect(JSON.parse(auditRow.detail ?? '{}').reason).toMatch(/^permanent error 131026/);
    expect(sb.sentTo(USER)).toHaveLength(0);
  });

  it('dead-letters after a bounded number of transient failures', async () => {
    stack = await startStack({ config: { OUTBOX_MAX_ATTEMPTS: 3 } });
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_error', code: 131000, times: 'always' });
    sb.userSends(USER, 'Do you deliver?');
    const [row] = await waitFor(async () => {
      const r = await outbox();
      return r[0]?.state === 'dead' && r;
    });
    expect(row).toMatchObject({ attempts: 3, last_error_code: '131000' });
    const auditRow = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'outbox.dead_letter')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(auditRow.detail ?? '{}').reason).toMatch(/^gave up after 3 attempts: 131000/);
  });

  it('pauses sends while Meta refuses the access token (190), then sends the reply once it is accepted', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_error', code: 190, times: 2 });
    sb.userSends(USER, 'Do you deliver?');
    const [row] = await waitFor(async () => {
      const r = await outbox();
      return r[0]?.last_error_code === '190' && r[0].state === 'pending' && r;
    });
    // Not dead-lettered, and the attempt given back: nothing is wrong with the message itself.
    expect(row).toMatchObject({ attempts: 0 });
    const ready = (await (await fetch(`${stack.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks['sending:whatsapp:106540352242922']).toMatch(/^paused: credentials refused \(190\)/);
    // The operator fixes the token (here: the fault runs out); the next look sends the reply.
    const [sent] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER), 10_000, 'reply');
    expect(textOf(sent!)).toMatch(/deliver/i);
    expect(
      await db().selectFrom('audit_log').select('id').where('action', '=', 'outbox.dead_letter').execute(),
    ).toHaveLength(0);
  });

  it('holds a reply refused after the window closed (131047, async as Meta) when no template is configured', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    // The reply is slow to reach the API; meanwhile a day passes.
    sb.faults.inject({ kind: 'send_hang', ms: 300, times: 1 });
    sb.userSends(USER, 'Do you deliver?');
    await waitFor(async () => (await outbox())[0]?.state === 'sending', 5000, 'send in flight');
    sb.clock.advance(25 * 3600_000);
    // Meta failed it with 131047; the policy, asked again, has no window template: held for an operator.
    const [msg] = await waitFor(
      async () => {
        const m = await outMessages();
        return m[0]?.status === 'held' && m;
      },
      5000,
      'held message',
    );
    expect(msg).toMatchObject({ error_code: 'outside_window_no_template' });
    expect((await outbox())[0]).toMatchObject({
      state: 'held',
      last_error_code: 'outside_window_no_template',
    });
    const actions = await db()
      .selectFrom('audit_log')
      .select(['action', 'reason_code', 'message_id'])
      .where('message_id', '=', msg!.id)
      .orderBy('at')
      .execute();
    expect(actions.map((a) => [a.action, a.reason_code])).toEqual([
      ['policy.allow', 'in_window'],
      ['outbox.needs_template', 'window_closed'],
      ['policy.hold', 'outside_window_no_template'],
    ]);
    expect(sb.sentTo(USER)[0]).toMatchObject({ status: 'failed' });
  });

  it('holds a reply refused synchronously for the window the same way (sync mode)', async () => {
    stack = await startStack({ sandbox: { windowMode: 'sync' } });
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_hang', ms: 300, times: 1 });
    sb.userSends(USER, 'Do you deliver?');
    await waitFor(async () => (await outbox())[0]?.state === 'sending', 5000, 'send in flight');
    sb.clock.advance(25 * 3600_000);
    const [row] = await waitFor(async () => {
      const r = await outbox();
      return r[0]?.state === 'held' && r;
    });
    expect(row).toMatchObject({ attempts: 1, last_error_code: 'outside_window_no_template' });
    // The same outcome as the asynchronous failure.
    expect((await outMessages())[0]).toMatchObject({ status: 'held' });
    expect(
      await db()
        .selectFrom('audit_log')
        .select('action')
        .where('action', '=', 'outbox.needs_template')
        .execute(),
    ).toHaveLength(1);
    expect(sb.sentTo(USER)).toHaveLength(0);
  });

  it('coalesces a burst of questions that arrive in one webhook into one reply', async () => {
    stack = await startStack({ sandbox: { batchWindowMs: 100 } });
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.userSends(USER, 'When are you open?');
    sb.userSends(USER, 'Do you deliver?');
    sb.userSends(USER, 'Is there a warranty?');
    const [only] = await waitFor(() => sb.sentTo(USER).length >= 1 && sb.sentTo(USER));
    await sb.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(sb.sentTo(USER)).toHaveLength(1);
    const body = textOf(only!);
    expect(body.indexOf('Monday')).toBeLessThan(body.indexOf('We deliver'));
    expect(body.indexOf('We deliver')).toBeLessThan(body.indexOf('5-year warranty'));
  });

  it('coalesces replies that queue up behind a send in flight to the same person', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.faults.inject({ kind: 'send_hang', ms: 400, times: 1 });
    sb.userSends(USER, 'When are you open?');
    await waitFor(async () => (await outbox())[0]?.state === 'sending', 5000, 'first send in flight');
    sb.userSends(USER, 'Do you deliver?');
    sb.userSends(USER, 'Is there a warranty?');
    await waitFor(async () => (await outbox()).length === 3, 5000, 'three replies queued');
    const sent = await waitFor(() => sb.sentTo(USER).length === 2 && sb.sentTo(USER), 5000, 'two sends');
    expect(textOf(sent[1]!)).toMatch(/We deliver[\s\S]*5-year warranty/);
    // The API answered; the gateway records it a moment later.
    const states = await waitFor(async () => {
      const s = (await outbox()).map((r) => r.state);
      return s.join() === 'sent,sent,coalesced' && s;
    });
    expect(states).toEqual(['sent', 'sent', 'coalesced']);
    const msgs = await outMessages();
    expect(msgs.map((m) => m.status)).toContain('coalesced');
  });

  it('answers a message it cannot read with a polite request for text', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });
    sb.userSends(USER, { type: 'location', latitude: 45.76, longitude: 4.83 });
    const [r] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER));
    expect(textOf(r!)).toMatch(/only read text/);
  });
});
