import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { decide, type Ranked } from '../../assistant/kb/decide.ts';
import type { KnowledgeBase } from '../../assistant/kb/schema.ts';
import type { Policy } from '../../policy/index.ts';
import type { Db } from '../../store/db.ts';
import type { OperatorsTable } from '../../store/schema.ts';
import { agentReply, ConsoleActionError, release, takeOver } from './actions.ts';
import {
  createOperator,
  createSession,
  endSession,
  operatorCount,
  OperatorError,
  publicOperator,
  SESSION_MAX_MS,
  sessionAlive,
  sessionFor,
  prepareSignIn,
  signIn,
  type ActiveSession,
} from './auth.ts';
import type { ConsoleEvents } from './events.ts';
import { conversation, inbox, markRead, volume } from './queries.ts';

/**
 * The console's server side: the page and its assets under `/console`, and the JSON API under
 * `/console/api` (docs/console.md) with cookie sessions, CSRF tokens and roles.
 */

export interface ConsoleAssets {
  html: string;
  js: string;
  css: string;
}

export interface ConsoleRouteOptions {
  db: Db;
  policy: Policy;
  events: ConsoleEvents;
  assets: ConsoleAssets;
  /** The one-time token of the first admin's setup (only while no operator exists), spent by `done`. */
  setup: { token: () => string | undefined; done: () => void; reopen: (token: string) => void };
  /** `Secure` cookies (the gateway is reached over https). */
  secureCookies: boolean;
  /** The knowledge base and its matcher, for browsing and trying questions. */
  kb?:
    | (() => {
        kb: KnowledgeBase;
        matcher: { rank(text: string, o?: { k?: number }): Ranked; thresholds: Parameters<typeof decide>[1] };
      })
    | undefined;
  campaigns: () => Promise<unknown[]>;
  stats: () => Promise<{
    latency: { p50: number | null; p95: number | null; count: number };
    queue: Record<string, number>;
  }>;
  onOutbox: () => void;
  clock?: (() => number) | undefined;
}

const COOKIE = 'passerelle_session';
/** How often an open event stream checks that its session is still valid. */
const SESSION_RECHECK_MS = 5_000;

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ActiveSession;
  }
}

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const Login = z.strictObject({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) });
const Setup = z.strictObject({
  token: z.string().min(1),
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
  displayName: z.string().max(100).optional(),
});
const NewOperator = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
  role: z.enum(['admin', 'agent']),
  displayName: z.string().max(100).optional(),
});
const Reply = z.strictObject({
  text: z.string().trim().min(1, 'expected a message').max(4096),
  channel: z.enum(['whatsapp', 'telegram', 'webchat']).optional(),
});
const Try = z.strictObject({ text: z.string().trim().min(1, 'expected a question').max(1000) });
const InboxQuery = z.object({
  status: z.enum(['all', 'bot', 'queued', 'human', 'mine']).optional(),
  channel: z.enum(['whatsapp', 'telegram', 'webchat']).optional(),
  q: z.string().max(200).optional(),
});

function problems(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export async function consoleRoutes(app: FastifyInstance, opts: ConsoleRouteOptions): Promise<void> {
  // Ready long before anyone signs in (scrypt runs on the thread pool).
  prepareSignIn().catch((err: unknown) => app.log.error({ err }, 'could not prepare sign-in'));
  const now = () => (opts.clock ?? Date.now)();
  /** The open event streams of each session, ended when it signs out. */
  const streams = new Map<string, Set<() => void>>();
  const setCookie = (reply: FastifyReply, token: string, maxAgeS: number) =>
    reply.header(
      'set-cookie',
      `${COOKIE}=${encodeURIComponent(token)}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${opts.secureCookies ? '; Secure' : ''}`,
    );
  const signedIn = async (reply: FastifyReply, op: OperatorsTable, status = 200) => {
    const s = await createSession(opts.db, op.id, now());
    // The session slides while used, up to its maximum age: the cookie lives as long as it can.
    setCookie(reply, s.token, Math.round(SESSION_MAX_MS / 1000));
    return reply.code(status).send({ operator: publicOperator(op), csrfToken: s.csrfToken });
  };

  // ---- the page -------------------------------------------------------------------------------
  const page = (reply: FastifyReply, type: string, body: string) =>
    reply
      .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' })
      .type(type)
      .send(body);
  app.get('/console', (_req, reply) => page(reply, 'text/html; charset=utf-8', opts.assets.html));
  app.get('/console/', (_req, reply) => reply.redirect('/console'));
  app.get('/console/app.js', (_req, reply) => page(reply, 'text/javascript; charset=utf-8', opts.assets.js));
  app.get('/console/app.css', (_req, reply) => page(reply, 'text/css; charset=utf-8', opts.assets.css));
  app.get<{ Querystring: { token?: string } }>('/console/setup', (req, reply) =>
    reply.redirect(`/console#/setup?token=${encodeURIComponent(req.query.token ?? '')}`),
  );

  // ---- the API --------------------------------------------------------------------------------
  await app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      reply.headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      const path = req.url.split('?')[0];
      const open = path === '/console/api/login' || path === '/console/api/setup';
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // A cross-site form or script: refused whatever it carries.
        const origin = req.headers.origin;
        // `null` (a sandboxed frame, a file, some redirects) is not this console either.
        if (origin !== undefined) {
          let host: string | undefined;
          try {
            host = new URL(origin).host;
          } catch {
            host = undefined;
          }
          if (host !== req.headers.host)
            return reply.code(403).send({ error: 'cross-origin request refused' });
        }
      }
      if (open) return;
      const token = cookieOf(req, COOKIE);
      const session = token ? await sessionFor(opts.db, token, now()) : undefined;
      if (!session) return reply.code(401).send({ error: 'sign in first' });
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const csrf = req.headers['x-csrf-token'];
        if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrfToken))
          return reply.code(403).send({ error: 'missing or wrong X-CSRF-Token header' });
      }
      req.consoleSession = session;
    });
    const who = (req: FastifyRequest) => req.consoleSession!.operator;

    api.get('/console/api/setup', async () => ({ needed: (await operatorCount(opts.db)) === 0 }));

    api.post('/console/api/setup', async (req, reply) => {
      const b = Setup.safeParse(req.body ?? {});
      if (!b.success) return reply.code(400).send({ error: problems(b.error) });
      const taken = (await operatorCount(opts.db)) > 0;
      // Read after the await: a request that arrived meanwhile may have spent it.
      const expected = opts.setup.token();
      if (taken || !expected)
        return reply.code(409).send({ error: 'the console is already set up: sign in' });
      if (!sameSecret(b.data.token, expected))
        return reply
          .code(403)
          .send({ error: 'wrong setup token: use the link printed when the gateway started' });
      // Spent before anything else is awaited, so two requests with the link cannot both create an
      // admin; given back if no account could be created.
      opts.setup.done();
      try {
        const op = await createOperator(opts.db, { ...b.data, role: 'admin' }, now());
        return signedIn(reply, op, 201);
      } catch (err) {
        opts.setup.reopen(expected);
        if (err instanceof OperatorError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    });

    api.post('/console/api/login', async (req, reply) => {
      const b = Login.safeParse(req.body ?? {});
      if (!b.success) return reply.code(400).send({ error: problems(b.error) });
      const r = await signIn(opts.db, b.data.username, b.data.password, now());
      if (!r.ok)
        return reply.code(r.reason === 'locked' ? 429 : 401).send({
          error:
            r.reason === 'locked'
              ? `too many wrong passwords: try again in ${Math.ceil(((r.retryAt ?? now()) - now()) / 60_000)} minutes`
              : 'wrong username or password',
        });
      return signedIn(reply, r.operator);
    });

    api.post('/console/api/logout', async (req, reply) => {
      await endSession(opts.db, req.consoleSession!.id);
      for (const end of [...(streams.get(req.consoleSession!.id) ?? [])]) end();
      setCookie(reply, '', 0);
      return reply.code(204).send();
    });

    api.get('/console/api/me', async (req) => ({
      operator: publicOperator(who(req)),
      csrfToken: req.consoleSession!.csrfToken,
    }));

    api.get('/console/api/inbox', async (req, reply) => {
      const q = InboxQuery.safeParse(req.query ?? {});
      if (!q.success) return reply.code(400).send({ error: problems(q.error) });
      return { threads: await inbox(opts.db, { ...q.data, operatorId: who(req).id }) };
    });

    api.get<{ Params: { id: string } }>('/console/api/people/:id', async (req, reply) => {
      const c = await conversation(opts.db, req.params.id);
      if (!c) return reply.code(404).send({ error: `no person ${req.params.id}` });
      return c;
    });

    api.post<{ Params: { id: string } }>('/console/api/people/:id/read', async (req, reply) => {
      await markRead(opts.db, req.params.id, now());
      opts.events.changed([req.params.id]);
      return reply.code(204).send();
    });

    const act = async (reply: FastifyReply, personId: string, work: () => Promise<unknown>) => {
      try {
        const r = await work();
        opts.onOutbox();
        opts.events.changed([personId]);
        return r;
      } catch (err) {
        if (err instanceof ConsoleActionError) return reply.code(err.status).send({ error: err.message });
        throw err;
      }
    };

    api.post<{ Params: { id: string } }>('/console/api/people/:id/take', async (req, reply) => {
      if (!(await conversation(opts.db, req.params.id, 1)))
        return reply.code(404).send({ error: `no person ${req.params.id}` });
      const r = await act(reply, req.params.id, () =>
        takeOver({ db: opts.db, policy: opts.policy, now: now() }, req.params.id, who(req)),
      );
      if (reply.sent) return r;
      return { status: 'human', holder: { id: who(req).id, displayName: who(req).display_name } };
    });

    api.post<{ Params: { id: string } }>('/console/api/people/:id/release', async (req, reply) => {
      const r = await act(reply, req.params.id, () =>
        release({ db: opts.db, policy: opts.policy, now: now() }, req.params.id, who(req)),
      );
      if (reply.sent) return r;
      return { status: 'bot' };
    });

    api.post<{ Params: { id: string } }>('/console/api/people/:id/reply', async (req, reply) => {
      const b = Reply.safeParse(req.body ?? {});
      if (!b.success) return reply.code(400).send({ error: problems(b.error) });
      const r = await act(reply, req.params.id, () =>
        agentReply(
          { db: opts.db, policy: opts.policy, now: now() },
          req.params.id,
          who(req),
          b.data.text,
          b.data.channel,
        ),
      );
      if (reply.sent) return r;
      const sent = r as { messageId: string; decision: { action: string } };
      return reply.code(sent.decision.action === 'refuse' ? 422 : 202).send(sent);
    });

    api.get<{ Querystring: { q?: string } }>('/console/api/kb', async (req, reply) => {
      if (!opts.kb) return reply.code(404).send({ error: 'no knowledge base is loaded' });
      const q = (req.query.q ?? '').trim().toLowerCase();
      const { kb } = opts.kb();
      const entries = kb.entries.filter(
        (e) =>
          !q ||
          e.id.toLowerCase().includes(q) ||
          e.answer.toLowerCase().includes(q) ||
          e.questions.some((x) => x.toLowerCase().includes(q)),
      );
      return {
        entries: entries.map((e) => ({
          id: e.id,
          questions: e.questions,
          answer: e.answer,
          language: e.language ?? kb.language,
          tags: e.tags ?? [],
        })),
      };
    });

    api.post('/console/api/kb/try', async (req, reply) => {
      if (!opts.kb) return reply.code(404).send({ error: 'no knowledge base is loaded' });
      const b = Try.safeParse(req.body ?? {});
      if (!b.success) return reply.code(400).send({ error: problems(b.error) });
      const { kb, matcher } = opts.kb();
      const ranked = matcher.rank(b.data.text, { k: 5 });
      const d = decide(ranked, matcher.thresholds);
      const byId = new Map(kb.entries.map((e) => [e.id, e]));
      const { scope, answer, source } = matcher.thresholds;
      return {
        language: ranked.language,
        decision: d.kind,
        // What the decision rests on, so an operator can see why a question was declined and whether
        // the KB's outOfScope setting is the one they meant.
        thresholds: { scope, answer, source },
        candidates: ranked.candidates.slice(0, 5).map((c) => ({
          id: c.id,
          confidence: c.confidence,
          answer: byId.get(c.id)?.answer ?? '',
        })),
      };
    });

    api.get('/console/api/campaigns', async () => ({ campaigns: await opts.campaigns() }));

    api.get('/console/api/stats', async () => ({
      volume: await volume(opts.db, now()),
      ...(await opts.stats()),
    }));

    api.get('/console/api/events', (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      const sessionId = req.consoleSession!.id;
      const off = opts.events.subscribe((personId) =>
        res.write(`event: inbox\ndata: ${JSON.stringify({ personId })}\n\n`),
      );
      const beat = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
      beat.unref();
      // The session is checked again every few seconds: signed out elsewhere, expired, or the account
      // disabled (from the command line, another process), the stream ends.
      const check = setInterval(() => {
        sessionAlive(opts.db, sessionId, now()).then(
          (alive) => alive || end(),
          () => undefined,
        );
      }, SESSION_RECHECK_MS);
      check.unref();
      const close = () => {
        clearInterval(beat);
        clearInterval(check);
        off();
        streams.get(sessionId)?.delete(end);
      };
      function end() {
        close();
        res.end();
      }
      let mine = streams.get(sessionId);
      if (!mine) streams.set(sessionId, (mine = new Set()));
      mine.add(end);
      req.raw.on('close', close);
      res.on('error', close);
    });

    api.get('/console/api/operators', async (req, reply) => {
      if (who(req).role !== 'admin') return reply.code(403).send({ error: 'admins only' });
      const ops = await opts.db
        .selectFrom('operators')
        .selectAll()
        .where('disabled_at', 'is', null)
        .orderBy('username')
        .execute();
      return { operators: ops.map(publicOperator) };
    });

    api.post('/console/api/operators', async (req, reply) => {
      if (who(req).role !== 'admin') return reply.code(403).send({ error: 'admins only' });
      const b = NewOperator.safeParse(req.body ?? {});
      if (!b.success) return reply.code(400).send({ error: problems(b.error) });
      try {
        return reply.code(201).send(publicOperator(await createOperator(opts.db, b.data, now())));
      } catch (err) {
        if (err instanceof OperatorError)
          return reply.code(err.reason === 'conflict' ? 409 : 400).send({ error: err.message });
        throw err;
      }
    });
  });
}
