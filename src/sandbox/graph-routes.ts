import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import type { SandboxTemplate } from './templates.ts';
import { GraphError, invalidParameter, paramRequired } from './errors.ts';
import { checkUpload } from './media.ts';
import { parseMultipart } from './multipart.ts';
import type { GraphReply } from './send.ts';
import { errorReply, handleMessagesPost, unknownObject } from './send.ts';

/** Largest request the media route reads: documents may be 100 MB (spec §2.5), plus multipart overhead. */
const MEDIA_BODY_LIMIT = 101 * 1024 * 1024;
const VERSION_RE = /^v\d+\.\d+$/;

/** Writes a `GraphReply`. */
export function sendGraphReply(reply: FastifyReply, r: GraphReply): FastifyReply {
  reply.code(r.status);
  if ('json' in r) return reply.type('application/json; charset=UTF-8').send(JSON.stringify(r.json));
  return reply.type(r.contentType).send(r.raw);
}

/** True when the request carries the sandbox's access token (Bearer header, or `access_token` query). */
export function hasValidToken(req: FastifyRequest, accessToken: string): boolean {
  const header = req.headers.authorization;
  const query = (req.query as { access_token?: unknown } | undefined)?.access_token;
  const token =
    header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? (typeof query === 'string' ? query : undefined);
  return token === accessToken;
}

/** spec §7 item 7: a missing or wrong token is a Graph 190 with HTTP 401 (no WhatsApp `error_data`). */
export function invalidToken(missing: boolean): GraphError {
  return new GraphError(190, {
    message: missing
      ? 'An active access token must be used to query information about the current user.'
      : 'Invalid OAuth access token - Cannot parse access token',
    withErrorData: false,
  });
}

/**
 * The Graph API the gateway talks to (spec §2): messages and media under any `vNN.N` version.
 * Mounted under `<sandbox base>/graph`, so `WHATSAPP_GRAPH_URL=<sandbox base>/graph`. `baseOf`
 * gives the absolute sandbox base for a request (media download URLs point back to it).
 */
export function graphRoutes(ctx: SandboxContext, baseOf: (req: FastifyRequest) => string) {
  return async function graph(app: FastifyInstance): Promise<void> {
    app.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: MEDIA_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );

    app.addHook('onRequest', async (req, reply) => {
      if (!hasValidToken(req, ctx.accessToken)) {
        return sendGraphReply(reply, errorReply(invalidToken(!req.headers.authorization)));
      }
    });
    app.addHook('preHandler', async (req, reply) => {
      const { version } = req.params as { version?: string };
      if (version !== undefined && !VERSION_RE.test(version)) {
        const err = new GraphError(2500, {
          message: `Unknown path components: /${version}`,
          withErrorData: false,
        });
        return sendGraphReply(reply, errorReply(err));
      }
    });

    app.post<{ Params: { version: string; phoneNumberId: string } }>(
      '/:version/:phoneNumberId/messages',
      async (req, reply) =>
        sendGraphReply(reply, await handleMessagesPost(ctx, req.params.phoneNumberId, req.body)),
    );

    app.post<{ Params: { version: string; phoneNumberId: string } }>(
      '/:version/:phoneNumberId/media',
      { bodyLimit: MEDIA_BODY_LIMIT },
      async (req, reply) => sendGraphReply(reply, await upload(ctx, req)),
    );

    app.get<{
      Params: { version: string; wabaId: string };
      Querystring: { limit?: string; after?: string; fields?: string };
    }>('/:version/:wabaId/message_templates', async (req, reply) => {
      if (req.params.wabaId !== ctx.business.wabaId)
        return sendGraphReply(reply, errorReply(unknownObject(req.params.wabaId, 'get')));
      return sendGraphReply(reply, { status: 200, json: templateListing(ctx.templates, req.query) });
    });

    app.get<{
      Params: { version: string; mediaId: string };
      Querystring: { phone_number_id?: string; fields?: string };
    }>('/:version/:mediaId', async (req, reply) => {
      // The business phone number's own node (what set-up tools read).
      if (req.params.mediaId === ctx.business.phoneNumberId)
        return sendGraphReply(reply, { status: 200, json: phoneNumberNode(ctx, req.query.fields) });
      const media = ctx.media.get(req.params.mediaId);
      const pnid = req.query.phone_number_id;
      if (!media || (pnid !== undefined && pnid !== ctx.business.phoneNumberId)) {
        return sendGraphReply(reply, errorReply(unknownObject(req.params.mediaId, 'get')));
      }
      return sendGraphReply(reply, {
        status: 200,
        json: {
          messaging_product: 'whatsapp',
          url: ctx.media.issueUrl(media.id, baseOf(req)),
          mime_type: media.mimeType,
          sha256: media.sha256,
          file_size: media.bytes.length,
          id: media.id,
        },
      });
    });

    app.delete<{ Params: { version: string; mediaId: string } }>('/:version/:mediaId', async (req, reply) => {
      if (!ctx.media.delete(req.params.mediaId)) {
        return sendGraphReply(reply, errorReply(unknownObject(req.params.mediaId, 'delete')));
      }
      return sendGraphReply(reply, { status: 200, json: { success: true } });
    });

    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0];
      const err = new GraphError(2500, { message: `Unknown path components: ${path}`, withErrorData: false });
      return sendGraphReply(reply, errorReply(err));
    });

    // Framework errors (bad JSON, body too large) answered the Graph way.
    app.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) => {
      const status = error.statusCode ?? 500;
      const err =
        status >= 500
          ? new GraphError(1, { message: 'An unknown error occurred', http: 500, withErrorData: false })
          : new GraphError(100, { details: error.message, http: status === 413 ? 413 : 400 });
      if (status >= 500) ctx.logger.warn({ err: error }, 'sandbox graph route failed');
      return sendGraphReply(reply, errorReply(err));
    });
  };
}

/** `POST /<PHONE_NUMBER_ID>/media` (spec §2.5): multipart with `messaging_product`, `file` and optional `type`. */
async function upload(
  ctx: SandboxContext,
  req: FastifyRequest<{ Params: { phoneNumberId: string } }>,
): Promise<GraphReply> {
  try {
    if (req.params.phoneNumberId !== ctx.business.phoneNumberId)
      throw unknownObject(req.params.phoneNumberId, 'post');
    const contentType = req.headers['content-type'] ?? '';
    const fields = Buffer.isBuffer(req.body) ? await parseMultipart(req.body, contentType) : undefined;
    if (!fields) throw paramRequired('file');
    const product = fields.get('messaging_product');
    if (product === undefined) throw paramRequired('messaging_product');
    if (product !== 'whatsapp') throw invalidParameter('Param messaging_product must be one of {WHATSAPP}.');
    const file = fields.get('file');
    if (file === undefined || typeof file === 'string') throw paramRequired('file');
    const type = fields.get('type');
    const mimeType = (typeof type === 'string' && type) || file.mimeType || 'application/octet-stream';
    checkUpload(mimeType, file.bytes.length);
    const media = ctx.media.put(file.bytes, mimeType, file.filename);
    return { status: 200, json: { id: media.id } };
  } catch (err) {
    if (err instanceof GraphError) return errorReply(err);
    throw err;
  }
}

/** `+1 555-078-3881`, as the Graph API formats `display_phone_number` on the phone number node. */
function formatDisplayNumber(digits: string): string {
  if (digits.startsWith('1') && digits.length === 11)
    return `+1 ${digits.slice(1, 4)}-${digits.slice(4, 7)}-${digits.slice(7)}`;
  return `+${digits}`;
}

/** `GET /{phone-number-id}`: the sandbox's business number, with the fields asked for (`fields=`). */
function phoneNumberNode(ctx: SandboxContext, fields: string | undefined): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: ctx.business.phoneNumberId,
    display_phone_number: formatDisplayNumber(ctx.business.displayPhoneNumber),
    verified_name: 'Passerelle Sandbox',
    quality_rating: 'GREEN',
    code_verification_status: 'VERIFIED',
    platform_type: 'CLOUD_API',
    throughput: { level: 'STANDARD' },
  };
  const wanted = (fields ?? 'verified_name,display_phone_number,quality_rating')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const out: Record<string, unknown> = { id: all.id };
  for (const f of wanted) if (f in all) out[f] = all[f];
  return out;
}

/**
 * `GET /{waba-id}/message_templates`: the registry, one entry per template and language (as Meta
 * lists them), all APPROVED, paged with `limit` and an `after` cursor.
 */
function templateListing(
  templates: SandboxTemplate[],
  q: { limit?: string; after?: string; fields?: string },
): Record<string, unknown> {
  const rows = templates.flatMap((t) =>
    (t.languages ?? ['en_US']).map((language) => ({
      id: `${t.name}:${language}`,
      name: t.name,
      language,
      status: 'APPROVED',
      category: (t.category ?? 'utility').toUpperCase(),
      components: [
        ...(t.header ? [{ type: 'HEADER', format: 'TEXT', text: t.header }] : []),
        ...(t.body ? [{ type: 'BODY', text: t.body }] : []),
        ...(t.footer ? [{ type: 'FOOTER', text: t.footer }] : []),
        ...(t.quickReplies?.length
          ? [{ type: 'BUTTONS', buttons: t.quickReplies.map((text) => ({ type: 'QUICK_REPLY', text })) }]
          : []),
      ],
    })),
  );
  const limit = Math.max(1, Math.min(Number(q.limit) || 25, 1000));
  const start = q.after ? Number(Buffer.from(q.after, 'base64url').toString()) || 0 : 0;
  const page = rows.slice(start, start + limit);
  const wanted = q.fields?.split(',').map((f) => f.trim());
  const data = wanted
    ? page.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k === 'id' || wanted.includes(k))))
    : page;
  const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
  return {
    data,
    paging: {
      cursors: { before: cursor(start), after: cursor(start + page.length) },
      ...(start + limit < rows.length
        ? { next: `?limit=${limit}&after=${cursor(start + page.length)}` }
        : {}),
    },
  };
}
