import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CHANNELS, type ChannelName } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import { initiate, recordConsentFor } from '../outbox/initiate.ts';
import { templateContent, type Policy } from '../policy/index.ts';
import type { Db } from '../store/db.ts';
import { explainMessage } from '../store/explain.ts';
import { adminCampaignPaths, adminCampaignRoutes, type AdminCampaignOptions } from './admin-campaigns.ts';
import { adminExportPaths, adminExportRoutes } from './admin-export.ts';
import { adminImportErasePaths, adminImportEraseRoutes } from './admin-import-erase.ts';

/**
 * The admin API under `/api`: bearer-token access (`PASSERELLE_ADMIN_TOKEN`), JSON in and out, every
 * body validated with zod (a bad one gets 400 naming the field), described by an OpenAPI document at
 * `/api/openapi.json` generated from the same schemas.
 *
 * - `GET /api/messages/:id/decisions`: what the policy decided about a message, and why.
 * - `POST /api/messages`: a business-initiated message (a notification), decided by the policy.
 * - `POST /api/consents`: an opt-in or opt-out collected outside the chat.
 * - People and portability (`admin-export.ts`): a person, their export, a download link.
 * - Sunset campaigns (`admin-campaigns.ts`).
 */

export interface AdminApiOptions {
  db: Db;
  policy: Policy;
  /** `undefined`: the API answers 401 to everything, saying how to enable it. */
  token: string | undefined;
  /** Business account per channel (WhatsApp phone number id); a channel without one is not enabled. */
  accounts: Partial<Record<ChannelName, string>>;
  onOutbox: () => void;
  clock?: () => number;
  /** The gateway's public base URL (absolute download links). */
  publicUrl?: string | undefined;
  /** Sunset campaigns: how the running gateway reloads and runs them. */
  campaigns?: Pick<AdminCampaignOptions, 'onChange' | 'runPass'>;
}

const Channel = z.enum(CHANNELS);
/** A phone number (digits, optional `+`) or a business-scoped user id (`user.…`, spec §1.7). */
const WHATSAPP_TO = /^(\+?\d{6,15}|user\.[A-Za-z0-9._-]+)$/;
const WHATSAPP_TO_PROBLEM = {
  message: 'expected a WhatsApp number in international format, digits only (e.g. 33612345678), or a BSUID',
  path: ['to'],
};
const Address = z.string().trim().min(1, 'expected the person’s address on the channel').max(200);

export const SendMessageBody = z
  .object({
    channel: Channel.default('whatsapp'),
    to: Address.describe('WhatsApp: the phone number in international format, digits only'),
    text: z.string().min(1).max(4096).optional(),
    template: z
      .object({
        name: z.string().min(1).max(512),
        language: z.string().min(2).max(15),
        parameters: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
      })
      .optional(),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.template === undefined), {
    message: 'expected exactly one of "text" or "template"',
  })
  .refine((b) => b.channel !== 'whatsapp' || WHATSAPP_TO.test(b.to), WHATSAPP_TO_PROBLEM);

export const ConsentBody = z
  .object({
    channel: Channel.default('whatsapp'),
    to: Address,
    kind: z.enum(['opt_in', 'opt_out']),
    source: z.string().min(1).max(200).default('api'),
  })
  .strict()
  .refine((b) => b.channel !== 'whatsapp' || WHATSAPP_TO.test(b.to), WHATSAPP_TO_PROBLEM);

const Decision = z.object({
  action: z.enum(['allow', 'transform', 'hold', 'refuse']),
  reason: z.string(),
  explanation: z.string(),
  rule: z.string(),
});
const SendResult = z.object({ messageId: z.string(), decision: Decision, repeated: z.boolean() });
const ErrorBody = z.object({ error: z.string(), problems: z.array(z.string()).optional() });

/** Compares tokens in constant time (digests: equal lengths whatever was sent). */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function problemsOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

export async function adminApiRoutes(app: FastifyInstance, opts: AdminApiOptions): Promise<void> {
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url === '/api/openapi.json') return;
    if (!opts.token) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'the admin API is disabled: set PASSERELLE_ADMIN_TOKEN to enable it' });
    }
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m || !sameToken(m[1]!.trim(), opts.token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({
          error: m
            ? 'invalid token'
            : 'missing bearer token (Authorization: Bearer <PASSERELLE_ADMIN_TOKEN>)',
        });
    }
  };

  await app.register(async (api) => {
    api.addHook('onRequest', guard);

    api.get('/api/openapi.json', async () => openApiDocument());

    api.get<{ Params: { id: string } }>('/api/messages/:id/decisions', async (req, reply) => {
      const e = await explainMessage(opts.db, req.params.id);
      if (!e)
        return reply
          .code(404)
          .send({ error: `no message, provider message or outbox item ${req.params.id}` });
      return e;
    });

    api.post('/api/messages', async (req, reply) => {
      const parsed = SendMessageBody.safeParse(req.body ?? {});
      if (!parsed.success)
        return reply.code(400).send({ error: 'invalid body', problems: problemsOf(parsed.error) });
      const b = parsed.data;
      const account = opts.accounts[b.channel];
      if (!account)
        return reply.code(409).send({ error: `the ${b.channel} channel is not enabled on this gateway` });
      const key = req.headers['idempotency-key'];
      const r = await initiate(
        opts.db,
        opts.policy,
        {
          channel: b.channel,
          account,
          to: b.to,
          content: b.text !== undefined ? { type: 'text', text: b.text } : templateContent(b.template!),
          idempotencyKey: `api:${typeof key === 'string' && key ? key : newId()}`,
          source: 'api',
        },
        (opts.clock ?? Date.now)(),
      );
      if (r.queued) opts.onOutbox();
      // 202: accepted for sending (or held, or turned into a template); 422: the policy refused it.
      return reply.code(r.decision.action === 'refuse' ? 422 : 202).send({
        messageId: r.messageId,
        decision: r.decision,
        repeated: r.repeated,
      });
    });

    api.post('/api/consents', async (req, reply) => {
      const parsed = ConsentBody.safeParse(req.body ?? {});
      if (!parsed.success)
        return reply.code(400).send({ error: 'invalid body', problems: problemsOf(parsed.error) });
      const r = await recordConsentFor(opts.db, parsed.data);
      return reply.code(201).send(r);
    });

    await adminExportRoutes(api, { db: opts.db, clock: opts.clock, publicUrl: opts.publicUrl });
    await adminImportEraseRoutes(api, { db: opts.db, clock: opts.clock });
    if (opts.campaigns) await adminCampaignRoutes(api, { db: opts.db, clock: opts.clock, ...opts.campaigns });
  });
}

/** Joins path objects, merging the operations of a path both name (`GET` here, `DELETE` there). */
function mergePaths(...all: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const paths of all)
    for (const [path, ops] of Object.entries(paths))
      out[path] = { ...out[path], ...(ops as Record<string, unknown>) };
  return out;
}

/** Adds the common error responses (401, 400) to every operation of `paths` that does not say them. */
function withErrors(
  paths: Record<string, unknown>,
  errors: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, ops] of Object.entries(paths)) {
    const o: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops as Record<string, { responses?: Record<string, unknown> }>))
      o[method] = { ...op, responses: { ...errors, ...op.responses } };
    out[path] = o;
  }
  return out;
}

/** The OpenAPI 3.1 document, generated from the zod schemas the routes validate with. */
export function openApiDocument(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const errors = {
    '400': { description: 'Invalid body: each problem names the field', ...json(ErrorBody) },
    '401': { description: 'Missing or wrong bearer token, or the API is disabled', ...json(ErrorBody) },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Passerelle admin API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/api/messages': {
        post: {
          summary: 'Send a business-initiated message, decided by the policy',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: { required: true, ...json(SendMessageBody) },
          responses: {
            '202': { description: 'Allowed, turned into a template, or held', ...json(SendResult) },
            '422': { description: 'Refused by the policy (recorded as refused)', ...json(SendResult) },
            '409': { description: 'The channel is not enabled', ...json(ErrorBody) },
            ...errors,
          },
        },
      },
      '/api/messages/{id}/decisions': {
        get: {
          summary: 'The policy decisions about a message, its replies and outbox items',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'Decisions in time order' },
            '404': { description: 'Unknown id' },
            ...errors,
          },
        },
      },
      '/api/consents': {
        post: {
          summary: 'Record an opt-in or opt-out collected outside the chat',
          requestBody: { required: true, ...json(ConsentBody) },
          responses: { '201': { description: 'Recorded' }, ...errors },
        },
      },
      ...withErrors(mergePaths(adminExportPaths(), adminImportErasePaths()), errors),
      ...withErrors(adminCampaignPaths(), errors),
    },
  };
}
