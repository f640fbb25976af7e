import type { FastifyInstance, FastifyRequest } from 'fastify';
import { controlRoutes } from './control-routes.ts';
import { graphRoutes, hasValidToken, invalidToken, sendGraphReply } from './graph-routes.ts';
import { phonePage } from './phone-page.ts';
import { errorReply } from './send.ts';
import type { Sandbox } from './sandbox.ts';
import { contextOf } from './sandbox.ts';

/** Options of `sandboxPlugin`: the sandbox to serve (from `createSandbox`). */
export interface SandboxPluginOptions {
  sandbox: Sandbox;
}

/**
 * Serves a sandbox on a Fastify instance, under the prefix it is registered with:
 * `<prefix>/` the phone page, `<prefix>/graph/...` the Graph API, `<prefix>/api/...` the control API,
 * `<prefix>/lookaside/...` media downloads. Closing the Fastify instance closes the sandbox.
 */
export async function sandboxPlugin(app: FastifyInstance, opts: SandboxPluginOptions): Promise<void> {
  const { sandbox } = opts;
  const ctx = contextOf(sandbox);
  const prefix = app.prefix.replace(/\/+$/, '');
  const baseOf = (req: FastifyRequest): string => `${req.protocol}://${req.host}${prefix}`;

  app.addHook('onRequest', async (req) => ctx.learnBaseUrl(baseOf(req)));
  // Captured now: `startSandbox` later replaces `sandbox.close` with one that closes this server.
  const closeSandbox = sandbox.close;
  app.addHook('onClose', async () => closeSandbox());

  await app.register(graphRoutes(ctx, baseOf), { prefix: '/graph' });
  await app.register(controlRoutes(sandbox), { prefix: '/api' });

  // spec §2.5: the download URL needs the Bearer token; unknown or expired URLs answer 404.
  app.get<{ Querystring: { mid?: string; ext?: string; hash?: string } }>(
    '/lookaside/whatsapp_business/attachments/',
    async (req, reply) => {
      if (!hasValidToken(req, ctx.accessToken)) {
        return sendGraphReply(reply, errorReply(invalidToken(!req.headers.authorization)));
      }
      const media = ctx.media.resolveDownload(req.query);
      if (!media) return reply.code(404).type('text/plain').send('Not Found');
      return reply.type(media.mimeType).header('content-length', media.bytes.length).send(media.bytes);
    },
  );

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(phonePage()));
}
