import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  campaignProgress,
  campaignReport,
  cancelCampaign,
  CampaignError,
  createSunsetCampaign,
  listCampaigns,
  renderReport,
  type TickResult,
} from '../identity/sunset.ts';
import { SunsetRequestSchema, toCampaignInput } from '../identity/sunset-request.ts';
import type { Db } from '../store/db.ts';

/**
 * Sunset campaigns in the admin API (the caller applies the bearer guard):
 * - `POST /api/campaigns/sunset`: start one (201 with the number of people enrolled);
 * - `GET /api/campaigns`, `GET /api/campaigns/:id`: progress (members by state, who acted, notices);
 * - `GET /api/campaigns/:id/report` (`?format=md`): the final report, once the date has passed;
 * - `POST /api/campaigns/:id/run`: a pass now instead of at the next minute;
 * - `POST /api/campaigns/:id/cancel`.
 */
export interface AdminCampaignOptions {
  db: Db;
  /** The running campaigns changed (the gateway's runner reloads them). */
  onChange: () => Promise<void>;
  /** Runs a pass of every active campaign now. */
  runPass: () => Promise<TickResult[]>;
  clock?: (() => number) | undefined;
}

const ErrorBody = z.object({ error: z.string(), problems: z.array(z.string()).optional() });

function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof CampaignError) {
    const code = err.reason === 'not_found' ? 404 : err.reason === 'conflict' ? 409 : 400;
    return reply.code(code).send({ error: err.message });
  }
  throw err;
}

export async function adminCampaignRoutes(api: FastifyInstance, opts: AdminCampaignOptions): Promise<void> {
  const now = () => (opts.clock ?? Date.now)();

  api.post('/api/campaigns/sunset', async (req, reply) => {
    const parsed = SunsetRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({
        error: 'invalid body',
        problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
      });
    try {
      const r = await createSunsetCampaign(opts.db, toCampaignInput(parsed.data), now());
      await opts.onChange();
      return reply.code(201).send({ campaign: r.campaign, enrolled: r.enrolled });
    } catch (err) {
      return fail(reply, err);
    }
  });

  api.get('/api/campaigns', async () => {
    const all = await listCampaigns(opts.db);
    return { campaigns: await Promise.all(all.map((c) => campaignProgress(opts.db, c.id))) };
  });

  api.get<{ Params: { id: string } }>('/api/campaigns/:id', async (req, reply) => {
    try {
      return await campaignProgress(opts.db, req.params.id);
    } catch (err) {
      return fail(reply, err);
    }
  });

  api.get<{ Params: { id: string }; Querystring: { format?: string } }>(
    '/api/campaigns/:id/report',
    async (req, reply) => {
      const format = req.query.format ?? 'json';
      if (format !== 'json' && format !== 'md')
        return reply.code(400).send({ error: `format: expected json or md, got "${format}"` });
      try {
        const report = await campaignReport(opts.db, req.params.id);
        if (!report)
          return reply.code(409).send({
            error: 'the campaign has not finished yet: its progress is at GET /api/campaigns/{id}',
          });
        if (format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderReport(report));
        return report;
      } catch (err) {
        return fail(reply, err);
      }
    },
  );

  api.post<{ Params: { id: string } }>('/api/campaigns/:id/run', async (req, reply) => {
    try {
      await campaignProgress(opts.db, req.params.id); // 404 for an unknown id
      const results = await opts.runPass();
      return { results };
    } catch (err) {
      return fail(reply, err);
    }
  });

  api.post<{ Params: { id: string } }>('/api/campaigns/:id/cancel', async (req, reply) => {
    try {
      const c = await cancelCampaign(opts.db, req.params.id, now());
      await opts.onChange();
      return c;
    } catch (err) {
      return fail(reply, err);
    }
  });
}

/** OpenAPI 3.1 paths of the campaign routes. */
export function adminCampaignPaths(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const notFound = { '404': { description: 'No such campaign', ...json(ErrorBody) } };
  return {
    '/api/campaigns/sunset': {
      post: {
        summary:
          'Start a sunset campaign: notify everyone active on a closing channel, track, remind, redirect',
        requestBody: { required: true, ...json(SunsetRequestSchema) },
        responses: {
          '201': { description: 'Created; people enrolled' },
          '400': { description: 'Invalid body: each problem names the field', ...json(ErrorBody) },
          '409': { description: 'A campaign for this channel is already running', ...json(ErrorBody) },
        },
      },
    },
    '/api/campaigns': {
      get: { summary: 'Campaigns with their progress', responses: { '200': { description: 'List' } } },
    },
    '/api/campaigns/{id}': {
      get: {
        summary: 'Progress: members by state, who linked or exported, notices and their statuses',
        parameters: [id],
        responses: { '200': { description: 'Progress' }, ...notFound },
      },
    },
    '/api/campaigns/{id}/report': {
      get: {
        summary: 'The final report (JSON, or Markdown with ?format=md)',
        parameters: [id, { name: 'format', in: 'query', required: false, schema: { enum: ['json', 'md'] } }],
        responses: {
          '200': { description: 'Report' },
          '409': { description: 'Not finished yet', ...json(ErrorBody) },
          ...notFound,
        },
      },
    },
    '/api/campaigns/{id}/run': {
      post: {
        summary: 'Run a pass now',
        parameters: [id],
        responses: { '200': { description: 'What the pass did' }, ...notFound },
      },
    },
    '/api/campaigns/{id}/cancel': {
      post: {
        summary: 'Cancel: no more notices, no redirect',
        parameters: [id],
        responses: {
          '200': { description: 'Cancelled' },
          '409': { description: 'Not active', ...json(ErrorBody) },
          ...notFound,
        },
      },
    },
  };
}
