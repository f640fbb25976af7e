import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { collectExport, exportedContact, exportedPerson } from '../identity/export.ts';
import { ExportContactSchema, ExportPersonSchema, PersonExportSchema } from '../identity/export-format.ts';
import { createExportLink, DEFAULT_EXPORT_LINK_TTL_MS } from '../identity/export-links.ts';
import { findPerson, PersonRefError } from '../identity/lookup.ts';
import type { Db } from '../store/db.ts';
import { EXPORT_FORMATS, renderExport } from './export-download.ts';

/**
 * Admin API routes for a person's history (mounted under the admin API's bearer-token guard):
 *
 * - `GET /api/people/:ref`: the person, their contacts and how much is kept about them;
 * - `GET /api/people/:ref/export?format=json|md|html`: the export (`docs/portability.md`);
 * - `POST /api/people/:ref/export-link`: a short-lived download link to give the person.
 *
 * `:ref` is a person id or a contact as `<channel>:<address>` (`whatsapp:33612345678`; URL-encode a
 * `+`). Errors: 400 (malformed reference, bad query or body) and 404 (nobody), as `{error, problems?}`.
 */

export interface AdminExportOptions {
  db: Db;
  clock?: () => number;
  /** The gateway's `PUBLIC_URL`: links are then absolute, and exports name it as their source. */
  publicUrl?: string;
}

const MAX_LINK_TTL_S = 7 * 24 * 3600;

export const ExportQuery = z.object({
  format: z
    .enum(EXPORT_FORMATS)
    .default('json')
    .describe('json: the versioned document; md, html: a transcript'),
});

export const ExportLinkBody = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_LINK_TTL_S)
      .optional()
      .describe(`How long the link works (default ${DEFAULT_EXPORT_LINK_TTL_MS / 1000} s)`),
  })
  .strict();

export const PersonSummary = z.object({
  person: ExportPersonSchema,
  contacts: z.array(ExportContactSchema),
  counts: z.object({
    conversations: z.number().int(),
    messages: z.number().int(),
    inbound: z.number().int(),
    outbound: z.number().int(),
    consents: z.number().int(),
  }),
});

export const ExportLinkResult = z.object({
  /** Absolute when the gateway knows its `PUBLIC_URL`; otherwise the same as `path`. */
  url: z.string(),
  path: z.string(),
  /** ISO 8601. */
  expiresAt: z.string(),
});

const ErrorBody = z.object({ error: z.string(), problems: z.array(z.string()).optional() });

function problemsOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

/** 400 for a malformed reference, 404 for nobody; anything else is not ours to answer. */
function refError(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof PersonRefError)) throw err;
  return err.reason === 'invalid'
    ? reply.code(400).send({ error: 'invalid person reference', problems: [`ref: ${err.message}`] })
    : reply.code(404).send({ error: err.message });
}

async function countsOf(db: Db, personId: string): Promise<z.infer<typeof PersonSummary>['counts']> {
  const [messages, conversations, consents] = await Promise.all([
    db
      .selectFrom('messages')
      .select(['direction', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('person_id', '=', personId)
      .groupBy('direction')
      .execute(),
    db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('consents')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow(),
  ]);
  const inbound = Number(messages.find((m) => m.direction === 'in')?.n ?? 0);
  const outbound = Number(messages.find((m) => m.direction === 'out')?.n ?? 0);
  return {
    conversations: Number(conversations.n),
    messages: inbound + outbound,
    inbound,
    outbound,
    consents: Number(consents.n),
  };
}

export async function adminExportRoutes(api: FastifyInstance, opts: AdminExportOptions): Promise<void> {
  const clock = opts.clock ?? Date.now;
  const source = opts.publicUrl ? { instance: opts.publicUrl } : {};

  api.get<{ Params: { ref: string } }>('/api/people/:ref', async (req, reply) => {
    try {
      const { person, contacts } = await findPerson(opts.db, req.params.ref);
      const exp = {
        person: exportedPerson(person),
        contacts: contacts.map(exportedContact),
        counts: await countsOf(opts.db, person.id),
      };
      return reply.send(exp);
    } catch (err) {
      return refError(reply, err);
    }
  });

  api.get<{ Params: { ref: string } }>('/api/people/:ref/export', async (req, reply) => {
    const q = ExportQuery.safeParse(req.query ?? {});
    if (!q.success) return reply.code(400).send({ error: 'invalid query', problems: problemsOf(q.error) });
    try {
      const { person } = await findPerson(opts.db, req.params.ref);
      const r = renderExport(await collectExport(opts.db, person.id, clock(), source), q.data.format);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', r.disposition)
        .type(r.contentType)
        .send(r.body);
    } catch (err) {
      return refError(reply, err);
    }
  });

  api.post<{ Params: { ref: string } }>('/api/people/:ref/export-link', async (req, reply) => {
    const b = ExportLinkBody.safeParse(req.body ?? {});
    if (!b.success) return reply.code(400).send({ error: 'invalid body', problems: problemsOf(b.error) });
    try {
      const { person } = await findPerson(opts.db, req.params.ref);
      const link = await createExportLink(opts.db, person.id, {
        now: clock(),
        ...(b.data.ttlSeconds ? { ttlMs: b.data.ttlSeconds * 1000 } : {}),
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          url: opts.publicUrl ? new URL(link.path, opts.publicUrl).toString() : link.path,
          path: link.path,
          expiresAt: new Date(link.expiresAt).toISOString(),
        });
    } catch (err) {
      return refError(reply, err);
    }
  });
}

/**
 * The OpenAPI 3.1 path objects of these routes, generated from the same zod schemas, to merge into
 * the admin API's document (`paths: { ...openApiDocument().paths, ...adminExportPaths() }`).
 */
export function adminExportPaths(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const ref = {
    name: 'ref',
    in: 'path',
    required: true,
    description: 'A person id, or a contact as <channel>:<address> (e.g. whatsapp:33612345678)',
    schema: { type: 'string' },
  };
  const errors = {
    '400': { description: 'Malformed person reference, query or body', ...json(ErrorBody) },
    '401': { description: 'Missing or wrong bearer token, or the API is disabled', ...json(ErrorBody) },
    '404': { description: 'No such person', ...json(ErrorBody) },
  };
  return {
    '/api/people/{ref}': {
      get: {
        summary: 'A person, their contacts, and how much is kept about them',
        parameters: [ref],
        responses: { '200': { description: 'The person', ...json(PersonSummary) }, ...errors },
      },
    },
    '/api/people/{ref}/export': {
      get: {
        summary: "A person's export: the versioned JSON document (docs/portability.md) or a transcript",
        parameters: [
          ref,
          {
            name: 'format',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: [...EXPORT_FORMATS], default: 'json' },
          },
        ],
        responses: {
          '200': {
            description: 'The export',
            content: {
              'application/json': { schema: schema(PersonExportSchema) },
              'text/markdown': { schema: { type: 'string' } },
              'text/html': { schema: { type: 'string' } },
            },
          },
          ...errors,
        },
      },
    },
    '/api/people/{ref}/export-link': {
      post: {
        summary: 'A short-lived download link to the export, to give the person',
        parameters: [ref],
        requestBody: { required: false, ...json(ExportLinkBody) },
        responses: { '201': { description: 'Created', ...json(ExportLinkResult) }, ...errors },
      },
    },
  };
}
