import { newTraffic, signedBodies } from './bodies.ts';
import {
  BENCH_NATS_URL,
  clusterUnavailable,
  createSchema,
  deleteStream,
  serverPids,
  streamName,
  type BenchSchema,
} from './cluster-infra.ts';
import { CpuMeter, waitForQuietMachine } from './memory.ts';
import type { BenchPlan } from './plan.ts';
import { repliesLoop } from './replies-loop.ts';
import type { SandboxProcess } from './sandbox-client.ts';
import { fmt, fmtRatio } from './stats.ts';
import type { RunningTarget } from './targets.ts';
import { startTarget } from './targets.ts';

/**
 * The scaling scenario: how many messages per second Passerelle completes (webhook in, reply out at
 * the Graph API) with one process on SQLite, one process on Postgres + NATS JetStream, and two
 * processes on one Postgres database and one stream, measured in the same run with the same load
 * (`replies-loop.ts`: closed on replies, round-robin over the processes). Every measurement starts
 * fresh processes on a fresh database (a new SQLite file, or a new Postgres schema and NATS stream,
 * removed after it). Method and figures: docs/benchmarks.md, "Scaling out".
 */

export type ClusterSetup = 'sqlite-1' | 'postgres-1' | 'postgres-2';

const SETUPS: Record<ClusterSetup, { label: string; store: 'sqlite' | 'postgres'; processes: number }> = {
  'sqlite-1': { label: 'SQLite, 1 process', store: 'sqlite', processes: 1 },
  'postgres-1': { label: 'Postgres + NATS, 1 process', store: 'postgres', processes: 1 },
  'postgres-2': { label: 'Postgres + NATS, 2 processes', store: 'postgres', processes: 2 },
};

/** One measurement of one setup. */
export interface ClusterRun {
  setup: ClusterSetup;
  repliesPerSec: number;
  /** Webhooks acknowledged per second in the same window (≈ replies/s: the load is closed on replies). */
  acksPerSec: number;
  ackP99Ms: number;
  non200: number;
  errors: number;
  /** Graph `/messages` answers other than 200 during the measurement. */
  graphNon200: number;
  /** The pre-signed bodies ran out: the figure is a lower bound. */
  exhausted: boolean;
  /** Cores used in the window: `gateways` (all processes), `sandbox`, `loadgen`, `postgres`, `nats`, `other`. */
  cores: Record<string, number>;
}

export interface ClusterSummary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface ClusterResult {
  /** Why the scenario did not run (Postgres or NATS missing), when it did not. */
  skipped?: string;
  runs: ClusterRun[];
  summary: Partial<Record<ClusterSetup, ClusterSummary>>;
  /** Median replies/s of two processes ÷ one, both on Postgres + NATS. */
  twoOverOne?: number;
  /** The goal for `twoOverOne`. */
  goal: number;
}

const GOAL = 1.3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function graphFailures(before: Record<string, number>, after: Record<string, number>): number {
  let n = 0;
  for (const [status, count] of Object.entries(after))
    if (status !== '200') n += count - (before[status] ?? 0);
  return n;
}

/** Cores by role: the gateway processes summed, the servers' processes summed. */
function coresByRole(raw: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(raw)) {
    if (!Number.isFinite(v)) continue; // a backend that exited during the window
    const role = key.split(':')[0]!;
    out[role] = (out[role] ?? 0) + v;
  }
  return out;
}

async function measureSetup(
  plan: BenchPlan,
  sandbox: SandboxProcess,
  setup: ClusterSetup,
): Promise<ClusterRun> {
  const c = plan.cluster!;
  const { store, processes } = SETUPS[setup];
  const count = Math.ceil((c.maxRate * (c.warmupMs + c.durationMs)) / 1000) + c.outstanding;
  // One sender per message: replies are never joined, and no recipient meets the pair limit.
  const traffic = newTraffic(`cluster.${setup}`, count);
  const bodies = signedBodies(traffic);
  await sandbox.prepare(traffic);
  let schema: BenchSchema | undefined;
  let stream: string | undefined;
  const gateways: RunningTarget[] = [];
  try {
    let env: Record<string, string> = {};
    if (store === 'postgres') {
      schema = await createSchema();
      stream = streamName();
      env = { QUEUE_URL: BENCH_NATS_URL, QUEUE_STREAM: stream };
    }
    // One after the other: the first creates the tables and the stream.
    for (let i = 0; i < processes; i++) {
      gateways.push(
        await startTarget('passerelle', {
          graphUrl: sandbox.graphUrl,
          ...(schema ? { databaseUrl: schema.url } : {}),
          env,
          label: `${setup}#${i + 1}`,
        }),
      );
    }
    const pids: Record<string, number> = { loadgen: process.pid, sandbox: sandbox.child.pid };
    gateways.forEach((g, i) => (pids[`gateways:${i}`] = g.child.pid));
    if (plan.waitQuietMs > 0) {
      const servers = serverPids();
      await waitForQuietMachine(
        [...Object.values(pids), ...servers.postgres, ...servers.nats],
        0.15,
        plan.waitQuietMs,
      );
    }
    const graphBefore = (await sandbox.stats()).graph;
    let meter: CpuMeter | undefined;
    let cores: Record<string, number> = {};
    const r = await repliesLoop(gateways, bodies, {
      outstanding: c.outstanding,
      warmupMs: c.warmupMs,
      durationMs: c.durationMs,
      drainMs: plan.drainMs,
      replies: async () => (await sandbox.stats()).replies,
      onWindow(edge) {
        if (edge === 'open') {
          // Postgres backends exist once the gateways have connected: listed now, after the warm-up.
          const servers = serverPids();
          servers.postgres.forEach((pid) => (pids[`postgres:${pid}`] = pid));
          servers.nats.forEach((pid) => (pids[`nats:${pid}`] = pid));
          meter = new CpuMeter(pids);
        } else cores = coresByRole(meter?.stop() ?? {});
      },
    });
    const graphAfter = (await sandbox.stats()).graph;
    return {
      setup,
      repliesPerSec: r.repliesPerSec,
      acksPerSec: r.load.throughput,
      ackP99Ms: r.load.latency.p99,
      non200: Object.values(r.load.non200).reduce((a, b) => a + b, 0),
      errors: r.load.errors,
      graphNon200: graphFailures(graphBefore, graphAfter),
      exhausted: r.exhausted,
      cores,
    };
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    if (stream) await deleteStream(stream).catch(() => undefined);
    await schema?.drop().catch(() => undefined);
  }
}

/**
 * Runs the scenario `plan.cluster.runs` times, the three setups one after the other in each round (so
 * a slow patch of a shared machine touches all of them), and summarises each setup by its median.
 * Without Postgres or NATS it is skipped with the reason, unless it was asked for by name.
 */
export async function measureCluster(
  plan: BenchPlan,
  sandbox: SandboxProcess,
  progress: (line: string) => void,
): Promise<ClusterResult> {
  const c = plan.cluster!;
  const missing = await clusterUnavailable();
  if (missing) {
    if (c.required) throw new Error(`cluster: ${missing}`);
    return { skipped: missing, runs: [], summary: {}, goal: GOAL };
  }
  const runs: ClusterRun[] = [];
  for (let round = 0; round < c.runs; round++) {
    for (const setup of Object.keys(SETUPS) as ClusterSetup[]) {
      const t0 = Date.now();
      const run = await measureSetup(plan, sandbox, setup);
      runs.push(run);
      progress(
        `cluster ${setup} (${round + 1}/${c.runs}): ${fmt(run.repliesPerSec)} replies/s, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  }
  const summary: Partial<Record<ClusterSetup, ClusterSummary>> = {};
  for (const setup of Object.keys(SETUPS) as ClusterSetup[]) {
    const values = runs.filter((r) => r.setup === setup).map((r) => r.repliesPerSec);
    if (values.length)
      summary[setup] = {
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
        runs: values.length,
      };
  }
  const one = summary['postgres-1']?.median;
  const two = summary['postgres-2']?.median;
  return {
    runs,
    summary,
    ...(one && two ? { twoOverOne: two / one } : {}),
    goal: GOAL,
  };
}

/** A measurement during which the rest of the machine used more than this many cores. */
const BUSY_CORES = 0.2;
const busy = (r: ClusterRun) => (r.cores.other ?? 0) > BUSY_CORES;

function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The scenario's section of the printed report. */
export function renderCluster(plan: BenchPlan, result: ClusterResult): string {
  const c = plan.cluster!;
  const out: string[] = [];
  out.push(
    `7. Scaling out: messages completed per second (reply received by the Graph API), ${c.outstanding} unanswered at most, round-robin over the processes; ${fmt(c.warmupMs / 1000)} s warm-up, ${fmt(c.durationMs / 1000)} s measured, ${c.runs} run(s) each`,
  );
  if (result.skipped) {
    out.push(`   skipped: ${result.skipped}`);
    return out.join('\n');
  }
  const cores = (r: ClusterRun) =>
    ['gateways', 'sandbox', 'loadgen', 'postgres', 'nats', 'other']
      .map((k) => (r.cores[k] === undefined ? '-' : r.cores[k].toFixed(2)))
      .join('/');
  const rows = (Object.keys(SETUPS) as ClusterSetup[]).flatMap((setup) => {
    const s = result.summary[setup];
    const runs = result.runs.filter((r) => r.setup === setup);
    if (!s) return [];
    const last = runs[runs.length - 1]!;
    return [
      [
        `Passerelle, ${SETUPS[setup].label}`,
        fmt(s.median),
        runs.length > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : '-',
        runs.map((r) => fmt(r.repliesPerSec) + (r.exhausted ? '*' : '') + (busy(r) ? '!' : '')).join(' '),
        fmt(median(runs.map((r) => r.ackP99Ms))),
        `${runs.reduce((n, r) => n + r.non200, 0)}/${runs.reduce((n, r) => n + r.errors, 0)}`,
        String(runs.reduce((n, r) => n + r.graphNon200, 0)),
        cores(last),
      ],
    ];
  });
  out.push(
    table(
      [
        'setup',
        'msgs/s',
        'spread',
        'runs',
        'ack p99 ms',
        'non200/err',
        'graph non200',
        'cores gw/sbx/gen/pg/nats/other (last run)',
      ],
      rows,
    ),
  );
  if (result.runs.some(busy))
    out.push(
      `   ! other processes used more than ${BUSY_CORES} cores during the window: a pessimistic figure (rerun on a quiet machine, or --wait-quiet)`,
    );
  if (result.runs.some((r) => r.exhausted))
    out.push('   * the pre-signed bodies ran out before the window ended: a lower bound');
  out.push('');
  const ratio = result.twoOverOne;
  out.push(
    `   two processes ÷ one (Postgres + NATS, medians): ${fmtRatio(ratio)}   [${ratio !== undefined && ratio >= result.goal ? 'met   ' : 'MISSED'}] goal ≥ ${result.goal}`,
  );
  const ones = result.runs.filter((r) => r.setup === 'postgres-1');
  const twos = result.runs.filter((r) => r.setup === 'postgres-2');
  if (twos.length > 1)
    out.push(
      `   the same, round by round:                         ${twos.map((r, i) => fmtRatio(r.repliesPerSec / ones[i]!.repliesPerSec)).join(' ')}`,
    );
  const sqlite = result.summary['sqlite-1']?.median;
  const pg1 = result.summary['postgres-1']?.median;
  if (sqlite && pg1)
    out.push(`   one process, Postgres + NATS ÷ SQLite:             ${fmtRatio(pg1 / sqlite)}`);
  return out.join('\n');
}
