import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import type { SignedBody } from './bodies.ts';
import { nowMs } from './constants.ts';
import type { LatencySummary } from './stats.ts';
import { summarize } from './stats.ts';

/**
 * The load generator: plain `node:http` with a keep-alive agent, posting pre-signed bodies to one
 * system under test on 127.0.0.1. Two modes:
 * - closed loop (`closedLoop`): a fixed number of connections, each sends its next request as soon as
 *   the previous answer arrived: the most the system can take;
 * - open loop (`openLoop`): requests leave at a fixed rate whatever the answers do, and latency runs
 *   from the *intended* send time, so a stall shows in the figures (no coordinated omission).
 * Each run starts with a warm-up whose requests are sent but not counted.
 */

/** Where the load goes. Always loopback. */
export interface LoadTarget {
  port: number;
  path: string;
}

/** What one load run measured (the warm-up excluded). */
export interface LoadResult {
  mode: 'closed' | 'open';
  /** Requests sent in the measured window. */
  sent: number;
  /** Answers with HTTP 200. */
  ok: number;
  /** Answers with another status, by status. */
  non200: Record<string, number>;
  /** Transport errors, timeouts, and requests still unanswered `drainMs` after the last send. */
  errors: number;
  /** Length of the measured window (ms). */
  durationMs: number;
  /** HTTP 200 answers per second over the measured window. */
  throughput: number;
  /** Ack latency: intended (open) or actual (closed) send time → end of the answer. */
  latency: LatencySummary;
  /** Open loop only: how late the generator itself sent (actual − intended send time). */
  generatorLag?: LatencySummary;
  /** Closed loop only: the pre-generated bodies ran out before the window ended. */
  exhausted?: boolean;
  /** Index of the first measured request. */
  firstMeasured: number;
  /** Index after the last request sent. */
  endIndex: number;
  /** Per body: the time latency is measured from (ms, monotonic), NaN when not sent. */
  startTimes: Float64Array;
  /** Per body: when its answer ended (ms, monotonic), NaN when none. */
  endTimes: Float64Array;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** One abort signal per run, listened to by every request in flight. */
export function runAbort(): AbortController {
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  return abort;
}
const START_DELAY_MS = 20;

/** Per body: when it left (or was due), when its answer ended, and its HTTP status (-1: failed). */
export interface Recorder {
  start: Float64Array;
  end: Float64Array;
  status: Int16Array;
}

export function recorder(n: number): Recorder {
  return {
    start: new Float64Array(n).fill(NaN),
    end: new Float64Array(n).fill(NaN),
    status: new Int16Array(n),
  };
}

/** One POST; resolves with the HTTP status, or -1 for a transport error, timeout or abort. Never rejects. */
export function post(agent: Agent, target: LoadTarget, b: SignedBody, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        signal,
        host: '127.0.0.1',
        port: target.port,
        path: target.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': b.body.length,
          'x-hub-signature-256': b.signature,
        },
      },
      (res) => {
        res.on('end', () => resolve(res.statusCode ?? -1));
        res.on('error', () => resolve(-1));
        res.resume();
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(-1));
    req.end(b.body);
  });
}

/** The figures of requests `first`…`endIndex - 1` of a run. */
export function tally(
  mode: 'closed' | 'open',
  rec: Recorder,
  first: number,
  endIndex: number,
  durationMs: number,
): LoadResult {
  const latencies: number[] = [];
  const non200: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  for (let i = first; i < endIndex; i++) {
    const s = rec.status[i]!;
    if (s === 200) {
      ok++;
      latencies.push(rec.end[i]! - rec.start[i]!);
    } else if (s === -1 || s === 0) errors++;
    else non200[s] = (non200[s] ?? 0) + 1;
  }
  return {
    mode,
    sent: Math.max(0, endIndex - first),
    ok,
    non200,
    errors,
    durationMs,
    throughput: (ok / durationMs) * 1000,
    latency: summarize(latencies),
    firstMeasured: first,
    endIndex,
    startTimes: rec.start,
    endTimes: rec.end,
  };
}

/**
 * Closed loop: `concurrency` connections send back to back for `warmupMs + durationMs`; requests sent
 * during the warm-up are not counted. Stops early (and says so) when the bodies run out. Answers still
 * missing `drainMs` after the end are aborted and counted as errors.
 */
export async function closedLoop(
  target: LoadTarget,
  bodies: SignedBody[],
  opts: { concurrency: number; warmupMs: number; durationMs: number; drainMs: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const abort = runAbort();
  const rec = recorder(bodies.length);
  const t0 = nowMs();
  const measureFrom = t0 + opts.warmupMs;
  const stopAt = measureFrom + opts.durationMs;
  let next = 0;
  let first = -1;
  const worker = async () => {
    for (;;) {
      const now = nowMs();
      if (now >= stopAt || next >= bodies.length) return;
      const i = next++;
      if (first < 0 && now >= measureFrom) first = i;
      rec.start[i] = now;
      rec.status[i] = await post(agent, target, bodies[i]!, abort.signal);
      rec.end[i] = nowMs();
    }
  };
  const cutoff = setTimeout(() => abort.abort(), opts.warmupMs + opts.durationMs + opts.drainMs);
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(cutoff);
  agent.destroy();
  const exhausted = next >= bodies.length && nowMs() < stopAt;
  const measuredEnd = Math.min(stopAt, nowMs());
  if (first < 0) first = next;
  const res = tally('closed', rec, first, next, Math.max(1, measuredEnd - measureFrom));
  return { ...res, exhausted };
}

/**
 * Open loop: request `i` is due at `start + i / rate`; every due request leaves at once, whatever is
 * still in flight (up to `maxSockets` connections, then the agent queues, which the latency shows).
 * The first `rate × warmupMs` requests are the warm-up. Sends all `bodies`; answers still missing
 * `drainMs` after the last send are aborted and counted as errors.
 */
export async function openLoop(
  target: LoadTarget,
  bodies: SignedBody[],
  opts: { ratePerSec: number; warmupMs: number; drainMs: number; maxSockets?: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 });
  const abort = runAbort();
  const rec = recorder(bodies.length);
  const lag = new Float64Array(bodies.length);
  const interval = 1000 / opts.ratePerSec;
  const first = Math.min(bodies.length, Math.round((opts.warmupMs / 1000) * opts.ratePerSec));
  const start = nowMs() + START_DELAY_MS;
  const inflight: Promise<void>[] = [];
  let i = 0;
  await new Promise<void>((done) => {
    const pump = () => {
      const now = nowMs();
      while (i < bodies.length && start + i * interval <= now) {
        const k = i++;
        const intended = start + k * interval;
        rec.start[k] = intended;
        lag[k] = now - intended;
        inflight.push(
          post(agent, target, bodies[k]!, abort.signal).then((status) => {
            rec.status[k] = status;
            rec.end[k] = nowMs();
          }),
        );
      }
      if (i >= bodies.length) return done();
      setTimeout(pump, Math.max(0, start + i * interval - nowMs() - 0.5));
    };
    pump();
  });
  const cutoff = setTimeout(() => abort.abort(), opts.drainMs);
  await Promise.all(inflight);
  clearTimeout(cutoff);
  agent.destroy();
  const durationMs = (bodies.length - first) * interval;
  const res = tally('open', rec, first, bodies.length, Math.max(1, durationMs));
  return { ...res, generatorLag: summarize(lag.subarray(first)) };
}
