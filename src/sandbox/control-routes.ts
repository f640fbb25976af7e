import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import {
  advanceSchema,
  reactSchema,
  readSchema,
  settingsPatchSchema,
  tapSchema,
  userContentSchema,
  userInputSchema,
  verifySchema,
} from './control-schemas.ts';
import { faultSchema } from './faults.ts';
import type { Sandbox } from './sandbox.ts';
import { contextOf } from './sandbox.ts';
import type { UserContent } from './user-actions.ts';
import { SandboxUserError } from './user-actions.ts';

type UserParams = { Params: { user: string } };

/**
 * The sandbox control API (`<base>/api/...`), used by the phone page and by tests in other
 * processes: simulated users and what they do, the clock, faults, settings, the webhook log and a
 * live event stream. Local development only: it has no authentication.
 */
export function controlRoutes(sandbox: Sandbox) {
  return async function control(app: FastifyInstance): Promise<void> {
    const ctx = contextOf(sandbox);
    const streams = new Set<ServerResponse>();

    app.get('/state', async () => ({
      business: sandbox.business,
      now: sandbox.clock.now(),
      settings: sandbox.settings,
      users: sandbox.users.list(),
      faults: sandbox.faults.list(),
    }));
    app.patch('/settings', async (req) => sandbox.configure(settingsPatchSchema.parse(req.body ?? {})));

    app.get('/users', async () => sandbox.users.list());
    app.post('/users', async (req, reply) =>
      reply.code(201).send(sandbox.users.create(userInputSchema.parse(req.body))),
    );
    app.get<UserParams>('/users/:user/conversation', async (req) => ({
      user: sandbox.users.get(req.params.user) ?? notFound(req.params.user),
      items: sandbox.conversation(req.params.user),
    }));
    app.post<UserParams>('/users/:user/messages', async (req, reply) => {
      const content = userContentSchema.parse(req.body) as UserContent;
      return reply.code(201).send(sandbox.userSends(req.params.user, content));
    });
    app.post<UserParams>('/users/:user/tap', async (req, reply) => {
      const { messageId, choice } = tapSchema.parse(req.body);
      return reply.code(201).send(sandbox.tapButton(req.params.user, messageId, choice));
    });
    app.post<UserParams>('/users/:user/react', async (req, reply) => {
      const { messageId, emoji } = reactSchema.parse(req.body);
      return reply.code(201).send(sandbox.react(req.params.user, messageId, emoji));
    });
    app.post<UserParams>('/users/:user/read', async (req) => {
      const upToId = readSchema.parse(req.body ?? undefined)?.upToId;
      return { read: sandbox.read(req.params.user, upToId).map((m) => m.id) };
    });

    app.post('/clock/advance', async (req) => {
      sandbox.clock.advance(advanceSchema.parse(req.body).ms);
      ctx.state.emit({ type: 'clock', now: sandbox.clock.now() });
      return { now: sandbox.clock.now() };
    });

    app.get('/faults', async () => sandbox.faults.list());
    app.post('/faults', async (req, reply) =>
      reply.code(201).send(sandbox.faults.inject(faultSchema.parse(req.body))),
    );
    app.delete('/faults', async () => {
      sandbox.faults.clear();
      return { cleared: true };
    });
    app.delete<{ Params: { id: string } }>('/faults/:id', async (req) => {
      sandbox.faults.clear(Number(req.params.id));
      return { cleared: true };
    });

    app.get<{ Querystring: { limit?: string } }>('/webhooks', async (req) => {
      const limit = Math.max(1, Math.min(2000, Number(req.query.limit ?? 100) || 100));
      return sandbox.webhookLog.slice(-limit);
    });
    app.post('/webhooks/verify', async (req) =>
      sandbox.verifyWebhook(verifySchema.parse(req.body ?? undefined) ?? {}),
    );

    // Media for the phone page to show (no token: the page is the user's own phone).
    app.get<{ Params: { id: string } }>('/media/:id', async (req, reply) => {
      const media = ctx.media.get(req.params.id);
      if (!media) return reply.code(404).send({ error: 'no such media' });
      return reply.type(media.mimeType).send(media.bytes);
    });

    app.get('/events', (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify({ type: 'hello', now: sandbox.clock.now() })}\n\n`);
      const unsubscribe = sandbox.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      streams.add(res);
      req.raw.on('close', () => {
        unsubscribe();
        clearInterval(ping);
        streams.delete(res);
      });
    });
    app.addHook('preClose', async () => {
      for (const res of streams) res.end();
    });

    app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply: FastifyReply) => {
      if (error instanceof ZodError)
        return reply.code(400).send({ error: 'invalid request', issues: error.issues });
      if (error instanceof SandboxUserError) return reply.code(error.status).send({ error: error.message });
      const status = error.statusCode ?? 500;
      if (status >= 500) ctx.logger.warn({ err: error }, 'sandbox control route failed');
      return reply.code(status).send({ error: error.message });
    });
  };
}

function notFound(ref: string): never {
  throw new SandboxUserError(`No simulated user "${ref}".`, 404);
}
