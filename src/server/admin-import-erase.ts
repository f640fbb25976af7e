import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { erasePerson } from '../identity/erase.ts';
import { PersonExportSchema } from '../identity/export-format.ts';
import { ImportError, importPersonExport } from '../identity/import.ts';
import { ChatImportError, importWhatsAppChat } from '../identity/import-whatsapp.ts';
import { findPerson, PersonRefError } from '../identity/lookup.ts';
import { ChatExportError, parseWhatsAppChat } from '../identity/whatsapp-chat.ts';
import type { Db } from '../store/db.ts';

/**
 * Admin API routes that bring a history in and take a person out (mounted under the admin API's
 * bearer-token guard, which the caller applies):
 *
 * - `POST /api/import`: a Passerelle export (`application/json`), or the text of WhatsApp's "Export
 *   chat" (`text/plain`, with `?person=<ref>&me=<author>`); 201 with what was written. Importing the
 *   same file again writes nothing.
 * - `DELETE /api/people/:ref`: erases the person and everything about them; 200 with the counts.
 *
 * Errors are `{error, problems?}`: 400 (bad file, query or reference; a WhatsApp chat also lists its
 * `authors`), 404 (nobody), 409 (the export's contacts belong to other people here), 413 (over 20 MB),
 * 415 (another content type).
 */

export interface AdminImportEraseOptions {
  db: Db;
  clock?: () => number;
}

/** Largest import body: a long chat with years of history fits; a runaway upload does not. */
export const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;

export const ChatImportQuery = z
  .object({
    person: z.string().trim().min(1).describe('Whose chat it is: a person id or <channel>:<address>'),
    me: z.string().trim().min(1).describe('The author name in the file who is that person'),
    counterpart: z.string().trim().min(1).optional().describe('The other author, when the file has none'),
    timezone: z.string().min(1).optional().describe('IANA time zone of the phone (default UTC)'),
    dateOrder: z.enum(['dmy', 'mdy', 'ymd']).optional().describe('Date order when the file cannot tell'),
  })
  .strict();

const Counts = z.object({
  contacts: z.number().int(),
  conversations: z.number().int(),
  messages: z.number().int(),
  statuses: z.number().int(),
  consents: z.number().int(),
  decisions: z.number().int(),
  llmUsage: z.number().int(),
});

export const ExportImportResult = z.object({
  format: z.literal('passerelle'),
  personId: z.string(),
  createdPerson: z.boolean(),
  inserted: Counts,
  skipped: z.number().int().describe('Rows already here, left as they are'),
});

export const ChatImportResult = z.object({
  format: z.literal('whatsapp'),
  personId: z.string(),
  contactId: z.string(),
  conversationId: z.string(),
  platform: z.enum(['android', 'ios']),
  dateOrder: z.enum(['dmy', 'mdy', 'ymd']),
  messages: z.number().int().describe('Messages in the file'),
  inserted: z.number().int(),
  skipped: z.number().int().describe('Messages imported before'),
});

export const EraseResult = z.object({
  personId: z.string(),
  erased: z.record(z.string(), z.number().int()).describe('Rows removed per table'),
});

const ErrorBody = z.object({
  error: z.string(),
  problems: z.array(z.string()).optional(),
  authors: z.array(z.string()).optional(),
});

function problemsOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`);
}

/** The errors this module's work throws, as responses; anything else is not ours to answer. */
function failure(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof PersonRefError)
    return err.reason === 'invalid'
      ? reply.code(400).send({ error: 'invalid person reference', problems: [`person: ${err.message}`] })
      : reply.code(404).send({ error: err.message });
  if (err instanceof ChatImportError)
    return reply.code(400).send({ error: err.headline, problems: err.problems, authors: err.authors });
  if (err instanceof ImportError)
    return reply.code(err.reason === 'conflict' ? 409 : 400).send({
      error: err.headline,
      ...(err.problems.length ? { problems: err.problems } : {}),
    });
  if (err instanceof ChatExportError) return reply.code(400).send({ error: err.message });
  throw err;
}

/** Body errors raised before the handler runs (size, type, malformed JSON), in the API's shape. */
function bodyError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return reply.code(413).send({ error: `the file is larger than ${IMPORT_BODY_LIMIT / 1024 / 1024} MB` });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply.code(415).send({
      error: 'expected application/json (a Passerelle export) or text/plain (a WhatsApp chat export)',
    });
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
    return reply.code(err.statusCode).send({ error: err.message });
  throw err;
}

export async function adminImportEraseRoutes(
  api: FastifyInstance,
  opts: AdminImportEraseOptions,
): Promise<void> {
  const clock = opts.clock ?? Date.now;

  api.post(
    '/api/import',
    { bodyLimit: IMPORT_BODY_LIMIT, errorHandler: bodyError },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const isChat = /^text\/plain\b/i.test(req.headers['content-type'] ?? '');
        if (!isChat || typeof req.body !== 'string') {
          const r = await importPersonExport(opts.db, req.body ?? null, { now: clock(), actor: 'api' });
          return reply.code(201).send({ format: 'passerelle', ...r });
        }
        const query = ChatImportQuery.safeParse(req.query ?? {});
        if (!query.success) {
          // Say who is in the file, so the caller can pick `me` (when the file can be read at all).
          let authors: string[] | undefined;
          try {
            authors = parseWhatsAppChat(req.body).authors;
          } catch {
            authors = undefined;
          }
          return reply.code(400).send({
            error: 'invalid query: a WhatsApp chat needs ?person=<ref>&me=<author name>',
            problems: problemsOf(query.error),
            ...(authors ? { authors } : {}),
          });
        }
        const q = query.data;
        const chat = parseWhatsAppChat(req.body, {
          ...(q.timezone !== undefined ? { timeZone: q.timezone } : {}),
          ...(q.dateOrder !== undefined ? { dateOrder: q.dateOrder } : {}),
        });
        const r = await importWhatsAppChat(opts.db, chat, {
          person: q.person,
          me: q.me,
          ...(q.counterpart !== undefined ? { counterpart: q.counterpart } : {}),
          now: clock(),
          actor: 'api',
        });
        return reply.code(201).send({
          format: 'whatsapp',
          ...r,
          platform: chat.platform,
          dateOrder: chat.dateOrder,
          messages: chat.messages.length,
        });
      } catch (err) {
        return failure(reply, err);
      }
    },
  );

  api.delete<{ Params: { ref: string } }>('/api/people/:ref', async (req, reply) => {
    try {
      const { person } = await findPerson(opts.db, req.params.ref);
      const erased = await erasePerson(opts.db, person.id, { actor: 'api', now: clock() });
      return reply.send({ personId: person.id, erased });
    } catch (err) {
      return failure(reply, err);
    }
  });
}

/**
 * OpenAPI 3.1 path objects of these routes, for the admin API's document. `/api/people/{ref}` also
 * has a `get` elsewhere (`admin-export.ts`): merge the two path items by method.
 */
export function adminImportErasePaths(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const unauthorized = {
    '401': { description: 'Missing or wrong bearer token, or the API is disabled', ...json(ErrorBody) },
  };
  const query = Object.entries(
    schema(ChatImportQuery).properties as Record<string, Record<string, unknown>>,
  ).map(([name, s]) => ({
    name,
    in: 'query',
    required: name === 'person' || name === 'me',
    description: `WhatsApp chat only. ${String(s.description ?? '')}`.trim(),
    schema: { ...s, description: undefined },
  }));
  return {
    '/api/import': {
      post: {
        summary: 'Import a person’s history: a Passerelle export, or a WhatsApp “Export chat” text file',
        description:
          'Rows already here (same ids, or the same lines of a chat) are skipped: importing a file twice ' +
          `writes nothing the second time. At most ${IMPORT_BODY_LIMIT / 1024 / 1024} MB.`,
        parameters: query,
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: schema(PersonExportSchema) },
            'text/plain': { schema: { type: 'string', description: 'The chat file, as WhatsApp wrote it' } },
          },
        },
        responses: {
          '201': {
            description: 'Imported',
            content: {
              'application/json': {
                schema: { oneOf: [schema(ExportImportResult), schema(ChatImportResult)] },
              },
            },
          },
          '400': {
            description:
              'Not an export, a newer version, a damaged file, a bad query (with the chat’s authors)',
            ...json(ErrorBody),
          },
          '404': { description: 'No such person (WhatsApp chat)', ...json(ErrorBody) },
          '409': { description: 'The export’s contacts belong to other people here', ...json(ErrorBody) },
          '413': { description: 'Larger than 20 MB', ...json(ErrorBody) },
          '415': { description: 'Neither application/json nor text/plain', ...json(ErrorBody) },
          ...unauthorized,
        },
      },
    },
    '/api/people/{ref}': {
      delete: {
        summary: 'Erase a person and everything recorded about them',
        description:
          'Messages, contacts, conversations, consents, pending sends, inbox events, audit entries… in one ' +
          'transaction; one `person.erased` audit entry (counts only) remains.',
        parameters: [
          {
            name: 'ref',
            in: 'path',
            required: true,
            description: 'A person id, or a contact as <channel>:<address> (e.g. whatsapp:33612345678)',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': { description: 'Erased: rows removed per table', ...json(EraseResult) },
          '400': { description: 'Malformed person reference', ...json(ErrorBody) },
          '404': { description: 'No such person (or erased already)', ...json(ErrorBody) },
          ...unauthorized,
        },
      },
    },
  };
}
