import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { campaignProgress, listCampaigns } from '../../identity/sunset.ts';
import type { Policy } from '../../policy/index.ts';
import type { Db } from '../../store/db.ts';
import { buildConsole, consoleHtml } from '../build.ts';
import { operatorCount } from './auth.ts';
import type { ConsoleEvents } from './events.ts';
import { consoleRoutes, type ConsoleRouteOptions } from './routes.ts';

export interface MountedConsole {
  events: ConsoleEvents;
  /** The first admin's setup token while no operator exists (printed in the start banner). */
  setupToken(): string | undefined;
}

/** Quantile of a Prometheus histogram, read from its cumulative buckets (the bucket's upper bound). */
async function quantiles(h: Histogram, qs: number[]): Promise<{ values: (number | null)[]; count: number }> {
  const m = await h.get();
  const buckets = m.values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }));
  // Sum over label sets (channels) per bound.
  const byLe = new Map<number, number>();
  for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.n);
  const sorted = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const values = qs.map((q) => {
    if (count === 0) return null;
    const hit = sorted.find(([, n]) => n >= q * count);
    return hit && Number.isFinite(hit[0]) ? hit[0] : null;
  });
  return { values, count };
}

/**
 * The console on the gateway's server: builds its front end, registers its page and API, and keeps
 * the one-time setup token while the console has no operator.
 */
export async function mountConsole(
  app: FastifyInstance,
  o: {
    db: Db;
    policy: Policy;
    events: ConsoleEvents;
    secureCookies: boolean;
    kb: ConsoleRouteOptions['kb'];
    pipelineSeconds: Histogram;
    depths: () => Promise<Record<string, number>>;
    onOutbox: () => void;
    clock?: (() => number) | undefined;
  },
): Promise<MountedConsole> {
  let token = (await operatorCount(o.db)) === 0 ? randomBytes(18).toString('base64url') : undefined;
  const { js, css } = await buildConsole();
  await app.register(consoleRoutes, {
    db: o.db,
    policy: o.policy,
    events: o.events,
    assets: { html: consoleHtml({ title: 'Passerelle console' }), js, css },
    setup: {
      token: () => token,
      done: () => (token = undefined),
      reopen: (t) => {
        token ??= t;
      },
    },
    secureCookies: o.secureCookies,
    kb: o.kb,
    campaigns: async () => Promise.all((await listCampaigns(o.db)).map((c) => campaignProgress(o.db, c.id))),
    stats: async () => {
      const { values, count } = await quantiles(o.pipelineSeconds, [0.5, 0.95]);
      return { latency: { p50: values[0] ?? null, p95: values[1] ?? null, count }, queue: await o.depths() };
    },
    onOutbox: o.onOutbox,
    clock: o.clock,
  });
  return { events: o.events, setupToken: () => token };
}
