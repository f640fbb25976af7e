import type { TargetName } from './targets.ts';

/** What one `npm run bench` does; `--quick` shrinks every phase. */
export interface BenchPlan {
  quick: boolean;
  targets: TargetName[];
  /** Warm-up before each measured window (sent, not counted). */
  warmupMs: number;
  /** Measured window of each phase. */
  durationMs: number;
  /** Connections of the closed-loop (max throughput) phase. */
  concurrency: number;
  /** Arrival rate of the ack-latency phase (req/s). */
  ackRate: number;
  /** Arrival rate of the end-to-end reply phase (msg/s). */
  e2eRate: number;
  /** A light end-to-end rate (Passerelle only), to tell a saturated pipeline from a slow one; null = not run. */
  e2eLightRate: number | null;
  /** After the last send of a phase, how long answers are awaited before the rest count as errors. */
  drainMs: number;
  /** Distinct senders in the throughput phase (each gets few enough replies to stay under the pair limit). */
  throughputSenders: number;
  /** Upper bound of the closed-loop request rate, to size the pre-signed bodies. */
  maxRate: number;
  /** Wait after start before the idle RSS is read. */
  idleSettleMs: number;
  /** How long to wait for the last replies of the end-to-end phase. */
  replyGraceMs: number;
  /** The whatsapp-api-js bot replies after (`offload`) or before (`await`) its 200. */
  waReply: 'offload' | 'await';
  /** Before each phase, wait (up to this long) for the rest of the machine to be idle; 0 = don't. */
  waitQuietMs: number;
  /** The whole run is aborted past this. */
  deadlineMs: number;
  /** Also report the offline matcher's CLINC150 figures (`bench/clinc150.ts`) at the end. */
  clinc150: boolean;
  /** The scaling scenario (`bench/cluster.ts`); null = not run. */
  cluster: ClusterPlan | null;
}

/** One process vs two on Postgres + NATS, and one on SQLite (`bench/cluster.ts`). */
export interface ClusterPlan {
  /** Measurements of each setup; the report gives their median and spread. */
  runs: number;
  warmupMs: number;
  durationMs: number;
  /** Messages sent and not yet answered, at most (the load is closed on replies). */
  outstanding: number;
  /** Upper bound of the rate, to size the pre-signed bodies. */
  maxRate: number;
  /** Asked for by name (`--targets=…,cluster`): fail, rather than skip, without Postgres or NATS. */
  required: boolean;
}

const ALL_TARGETS: TargetName[] = ['bare', 'durable', 'wa-api-js', 'passerelle', 'passerelle-full'];
/** The scaling scenario, named in `--targets` like a system. */
const CLUSTER = 'cluster';

const USAGE = `Usage: npm run bench -- [--quick] [--targets=bare,durable,wa-api-js,passerelle,passerelle-full,cluster] [--cluster-runs=N] [--wa-await] [--wait-quiet] [--no-clinc150]
  --quick      short run (about 55 s): shorter phases, no SQLITE_SYNCHRONOUS=full run, no light e2e rate
  --targets    systems to measure (default: all five and cluster; --quick: the first four and cluster);
               cluster = replies/s of Passerelle on SQLite, and of one and two processes on Postgres + NATS
               (BENCH_POSTGRES_URL, BENCH_NATS_URL; skipped when they do not answer, unless named here)
  --cluster-runs  measurements of each cluster setup (default 3; --quick: 1)
  --wa-await   the whatsapp-api-js bot replies before acknowledging (README style) instead of after
  --wait-quiet on a shared machine: before each phase, wait up to 30 s for other processes to go idle
               (the run may then take longer than usual)
  --no-clinc150  skip the offline matcher's CLINC150 figures printed at the end (about 20 s)`;

/** A bad command line, or `--help` (`help: true`): the message is the text to print. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help = false,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Reads the command line; throws a `UsageError` with the usage text on `--help` or anything unknown. */
export function parsePlan(argv: string[]): BenchPlan {
  let quick = false;
  let targets: TargetName[] | undefined;
  let waReply: BenchPlan['waReply'] = 'offload';
  let waitQuiet = false;
  let clinc150 = true;
  let cluster: boolean | undefined;
  let clusterRuns: number | undefined;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--wa-await') waReply = 'await';
    else if (arg === '--wait-quiet') waitQuiet = true;
    else if (arg === '--no-clinc150') clinc150 = false;
    else if (arg.startsWith('--targets=')) {
      const names = arg.slice('--targets='.length).split(',');
      const bad = names.filter((n) => n !== CLUSTER && !ALL_TARGETS.includes(n as TargetName));
      if (bad.length) throw new UsageError(`unknown target(s): ${bad.join(', ')}\n${USAGE}`);
      cluster = names.includes(CLUSTER);
      targets = names.filter((n) => n !== CLUSTER) as TargetName[];
    } else if (/^--cluster-runs=[1-9]\d*$/.test(arg)) clusterRuns = Number(arg.split('=')[1]);
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE, true);
    else throw new UsageError(`unknown option ${arg}\n${USAGE}`);
  }
  const runs = clusterRuns ?? (quick ? 1 : 3);
  const clusterPlan: ClusterPlan | null =
    cluster === false
      ? null
      : {
          runs,
          warmupMs: quick ? 1500 : 2000,
          durationMs: quick ? 3000 : 6000,
          outstanding: 150,
          maxRate: 2500,
          required: cluster === true,
        };
  // Each measurement also starts its processes (a few seconds each) and stops them.
  const clusterBudgetMs = clusterPlan
    ? runs * 3 * (clusterPlan.warmupMs + clusterPlan.durationMs + 20_000)
    : 0;
  return {
    quick,
    targets: targets ?? (quick ? ALL_TARGETS.slice(0, 4) : ALL_TARGETS),
    warmupMs: quick ? 600 : 1500,
    durationMs: quick ? 1500 : 5000,
    concurrency: 32,
    ackRate: 1000,
    e2eRate: 200,
    e2eLightRate: quick ? null : 20,
    drainMs: quick ? 2000 : 3000,
    throughputSenders: 5000,
    maxRate: 20_000,
    idleSettleMs: quick ? 1000 : 3000,
    replyGraceMs: quick ? 2000 : 3000,
    waReply,
    waitQuietMs: waitQuiet ? 30_000 : 0,
    deadlineMs: (quick ? 120_000 : 300_000) + clusterBudgetMs + (waitQuiet ? 600_000 : 0),
    clinc150,
    cluster: clusterPlan,
  };
}
