import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';

export interface HealthOptions {
  metrics: Metrics;
  /** Resolves when the gateway can do its work (store reachable, workers running, not stopping). */
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

/** `/healthz` (the process answers), `/readyz` (it can do its work), `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await opts.ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(body);
  });
}
