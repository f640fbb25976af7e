import { afterEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

// Issue 7, the console's server side through HTTP: first-admin setup, sessions, CSRF, roles, and the
// human handoff end to end with a sandbox phone user.

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const USER = '33677777777';
const body = (m: { payload: unknown }) => {
  const p = m.payload as { body?: string | { text: string } };
  return typeof p.body === 'string' ? p.body : (p.body?.text ?? '');
};

interface Session {
  cookie: string;
  csrf: string;
}

async function call(
  path: string,
  o: { method?: string; session?: Session; csrf?: string | null; body?: unknown; origin?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (o.session) headers.cookie = o.session.cookie;
  const csrf = o.csrf === undefined ? o.session?.csrf : o.csrf;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.origin) headers.origin = o.origin;
  const res = await fetch(`${stack!.url}${path}`, {
    method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie'),
    json: (text ? JSON.parse(text) : undefined) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

function sessionOf(r: { cookie: string | null; json: { csrfToken?: unknown } }): Session {
  expect(r.cookie).toMatch(/passerelle_session=[^;]+; Path=\/console; HttpOnly; SameSite=Strict/);
  return { cookie: r.cookie!.split(';')[0]!, csrf: String(r.json.csrfToken) };
}

async function setUp(): Promise<Session> {
  const token = stack!.gateway.console.setupToken()!;
  const r = await call('/console/api/setup', {
    body: { token, username: 'ada', password: 'correct horse battery', displayName: 'Ada' },
  });
  expect(r.status).toBe(201);
  return sessionOf(r);
}

describe('console API', () => {
  it('sets up the first admin once, signs in and out, and refuses what it must', async () => {
    stack = await startStack();
    expect((await call('/console/api/setup')).json).toEqual({ needed: true });
    const token = stack.gateway.console.setupToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(
      (
        await call('/console/api/setup', {
          body: { token: 'nope', username: 'ada', password: 'correct horse battery' },
        })
      ).status,
    ).toBe(403);
    const short = await call('/console/api/setup', { body: { token, username: 'ada', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.json.error).toContain('password');
    const admin = await setUp();
    expect(stack.gateway.console.setupToken()).toBeUndefined();
    expect(
      (
        await call('/console/api/setup', {
          body: { token, username: 'eve', password: 'correct horse battery' },
        })
      ).status,
    ).toBe(409);

    // Without a session, without CSRF, from another origin: refused.
    expect((await call('/console/api/inbox')).status).toBe(401);
    expect((await call('/console/api/logout', { method: 'POST', session: admin, csrf: null })).status).toBe(
      403,
    );
    expect(
      (await call('/console/api/logout', { method: 'POST', session: admin, origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    // The admin API keeps its own bearer token: a console session does not open it.
    expect((await call('/api/messages/x/decisions', { session: admin })).status).toBe(401);

    // Admins add agents; agents cannot.
    const added = await call('/console/api/operators', {
      session: admin,
      body: { username: 'bob', password: 'another long pass', role: 'agent', displayName: 'Bob' },
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ username: 'bob', role: 'agent', displayName: 'Bob' });
    expect(added.json.password_hash).toBeUndefined();
    const wrong = await call('/console/api/login', { body: { username: 'bob', password: 'not it at all' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('wrong username or password');
    const bob = sessionOf(
      await call('/console/api/login', { body: { username: 'Bob', password: 'another long pass' } }),
    );
    expect((await call('/console/api/me', { session: bob })).json.operator).toMatchObject({
      username: 'bob',
    });
    expect((await call('/console/api/operators', { session: bob })).status).toBe(403);

    // Five wrong passwords lock the username, even for the right one.
    for (let i = 0; i < 4; i++)
      expect(
        (await call('/console/api/login', { body: { username: 'bob', password: `guess ${i}` } })).status,
      ).toBe(401);
    expect(
      (await call('/console/api/login', { body: { username: 'bob', password: 'guess 5' } })).status,
    ).toBe(429);
    expect(
      (await call('/console/api/login', { body: { username: 'bob', password: 'another long pass' } })).status,
    ).toBe(429);

    expect((await call('/console/api/logout', { method: 'POST', session: bob })).status).toBe(204);
    expect((await call('/console/api/me', { session: bob })).status).toBe(401);
    const stored = await stack.gateway.store.db.selectFrom('operators').select('password_hash').execute();
    expect(stored.every((o) => o.password_hash.startsWith('scrypt$32768$8$1$'))).toBe(true);
  });

  it('holds against a raced setup link, parallel password guesses, null origins; ends event streams at sign-out', async () => {
    stack = await startStack();
    // Two requests with the one-time link at once: one admin, not two.
    const token = stack.gateway.console.setupToken()!;
    const raced = await Promise.all(
      ['ada', 'eve'].map((username) =>
        call('/console/api/setup', { body: { token, username, password: 'correct horse battery' } }),
      ),
    );
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
    const ops = await stack.gateway.store.db.selectFrom('operators').select('username').execute();
    expect(ops).toHaveLength(1);
    const admin = sessionOf(raced.find((r) => r.status === 201)!);
    // The cookie lives as long as the session may: seven days, the server sliding its expiry meanwhile.
    expect(raced.find((r) => r.status === 201)!.cookie).toContain('Max-Age=604800');

    // Thirty guesses at once, the right password among them: at most five are checked, none signs in,
    // and the name is locked afterwards, even for the right password.
    const name = ops[0]!.username;
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call('/console/api/login', {
          body: {
            username: i % 2 ? name.toUpperCase() : ` ${name} `,
            password: i === 17 ? 'correct horse battery' : `guess ${i}`,
          },
        }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 200)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
    if (!statuses.includes(200))
      expect(
        (await call('/console/api/login', { body: { username: name, password: 'correct horse battery' } }))
          .status,
      ).toBe(429);

    // A state-changing request from an opaque origin is refused like a foreign one.
    expect(
      (await call('/console/api/logout', { method: 'POST', session: admin, origin: 'null' })).status,
    ).toBe(403);

    // An open event stream ends when its session signs out.
    const ctl = new AbortController();
    const res = await fetch(`${stack.url}/console/api/events`, {
      headers: { cookie: admin.cookie },
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(': connected');
    expect((await call('/console/api/logout', { method: 'POST', session: admin })).status).toBe(204);
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return true;
      })(),
      new Promise<false>((r) => setTimeout(() => r(false), 3000)),
    ]);
    ctl.abort();
    expect(ended).toBe(true);
  });

  it('queues a request for a human, lets an agent take over, reply and release, live', async () => {
    stack = await startStack();
    const admin = await setUp();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Chloé' });

    // The live stream: an inbox event arrives when the person writes.
    const events: string[] = [];
    const abort = new AbortController();
    const stream = await fetch(`${stack.url}/console/api/events`, {
      headers: { cookie: admin.cookie },
      signal: abort.signal,
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    void (async () => {
      const reader = stream.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        events.push(new TextDecoder().decode(value));
      }
    })();

    sb.userSends(USER, 'I want to talk to a person');
    await waitFor(() => sb.sentTo(USER).length === 1, 8000, 'acknowledgement');
    const queued = await waitFor(async () => {
      const t = (await call('/console/api/inbox?status=queued', { session: admin })).json.threads;
      return t.length === 1 && t[0];
    });
    expect(queued).toMatchObject({ status: 'queued', holder: null, channels: ['whatsapp'], unread: 1 });
    await waitFor(() => events.join('').includes(`"personId":"${queued.personId}"`), 5000, 'live event');
    const id = queued.personId as string;

    const taken = await call(`/console/api/people/${id}/take`, { session: admin, body: {} });
    expect(taken.json).toMatchObject({ status: 'human', holder: { displayName: 'Ada' } });
    const joined = await waitFor(() => sb.sentTo(USER).length === 2 && sb.sentTo(USER)[1]!, 8000, 'joined');
    expect(body(joined)).toContain('Ada from our team has joined');

    // While an agent holds it, the assistant stays silent; the agent sees the message.
    sb.userSends(USER, 'When are you open?');
    await waitFor(async () => {
      const c = (await call(`/console/api/people/${id}`, { session: admin })).json;
      return c.messages.some((m: { text: string }) => m.text === 'When are you open?');
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sb.sentTo(USER)).toHaveLength(2);

    const replied = await call(`/console/api/people/${id}/reply`, {
      session: admin,
      body: { text: 'We open at 9:00 tomorrow, see you then!' },
    });
    expect(replied.status).toBe(202);
    expect(replied.json.decision.action).toBe('allow');
    await waitFor(() => sb.sentTo(USER).length === 3, 8000, 'agent reply');
    expect(body(sb.sentTo(USER)[2]!)).toBe('We open at 9:00 tomorrow, see you then!');

    const view = (await call(`/console/api/people/${id}`, { session: admin })).json;
    expect(view.status).toBe('human');
    const agentMsg = view.messages.find((m: { text: string }) =>
      m.text.startsWith('We open at 9:00 tomorrow'),
    );
    expect(agentMsg).toMatchObject({ direction: 'out', intent: 'agent_reply' });
    expect(agentMsg.decisions[0]).toMatchObject({ action: 'policy.allow' });
    expect((await call(`/console/api/people/${id}/read`, { session: admin, body: {} })).status).toBe(204);
    expect((await call('/console/api/inbox', { session: admin })).json.threads[0]).toMatchObject({
      unread: 0,
    });

    expect((await call(`/console/api/people/${id}/release`, { session: admin, body: {} })).json).toEqual({
      status: 'bot',
    });
    await waitFor(() => sb.sentTo(USER).length === 4, 8000, 'released notice');
    expect(body(sb.sentTo(USER)[3]!)).toContain('back with our virtual assistant');
    sb.userSends(USER, 'When are you open?');
    await waitFor(() => sb.sentTo(USER).length === 5, 8000, 'assistant again');
    expect(body(sb.sentTo(USER)[4]!)).toContain('Monday to Saturday');

    // Search: `%` and `_` are the characters themselves, not wildcards.
    sb.userSends(USER, 'Is the 50% discount still on?');
    await waitFor(() => sb.sentTo(USER).length === 6, 8000, 'answer about the discount');
    const search = async (q: string) =>
      (await call(`/console/api/inbox?q=${encodeURIComponent(q)}`, { session: admin })).json.threads.length;
    expect(await search('50%')).toBe(1);
    expect(await search('5_%')).toBe(0);
    expect(await search('open')).toBe(1);

    // Replying without holding the conversation is refused.
    expect(
      (await call(`/console/api/people/${id}/reply`, { session: admin, body: { text: 'hi' } })).status,
    ).toBe(409);
    const actions = await stack.gateway.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'handoff.%')
      .orderBy('at')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'handoff.requested',
      'handoff.queued',
      'handoff.assigned',
      'handoff.released',
    ]);
    abort.abort();
  });

  it('lets agents try the knowledge base and read the stats', async () => {
    stack = await startStack();
    const admin = await setUp();
    const tried = await call('/console/api/kb/try', { session: admin, body: { text: 'When are you open?' } });
    expect(tried.json.decision).toBe('answer');
    expect(tried.json.candidates[0]).toMatchObject({ id: 'opening-hours' });
    expect(tried.json.candidates[0].confidence).toBeGreaterThan(0.5);
    expect(tried.json.thresholds.scope).toBeLessThanOrEqual(tried.json.thresholds.answer);
    expect(tried.json.thresholds.source).toMatch(/fold CV, .* oosShare 0\.2/);
    const entries = (await call('/console/api/kb?q=open', { session: admin })).json.entries;
    expect(entries.some((e: { id: string }) => e.id === 'opening-hours')).toBe(true);
    expect((await call('/console/api/kb/try', { session: admin, body: { text: '' } })).status).toBe(400);
    const stats = (await call('/console/api/stats', { session: admin })).json;
    expect(stats.volume).toHaveLength(24);
    expect(stats.queue).toHaveProperty('inbox');
    expect(stats.queue).toHaveProperty('intake', 0);
    expect((await call('/console/api/campaigns', { session: admin })).json).toEqual({ campaigns: [] });
  });
});
