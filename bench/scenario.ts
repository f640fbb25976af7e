import type { TrafficSpec } from './bodies.ts';
import { newTraffic, signedBodies } from './bodies.ts';
import { nowMs } from './constants.ts';
import type { LoadResult } from './load.ts';
import { closedLoop, openLoop } from './load.ts';
import { CpuMeter, idleRssMb, RssSampler, waitForQuietMachine } from './memory.ts';
import type { BenchPlan } from './plan.ts';
import { SandboxProcess } from './sandbox-client.ts';
import type { LatencySummary } from './stats.ts';
import { summarize } from './stats.ts';
import type { RunningTarget, TargetName } from './targets.ts';
import { startTarget } from './targets.ts';

/** One measured phase: the load figures plus what the sandbox saw and the process's memory. */
export interface PhaseResult {
  load: Omit<LoadResult, 'startTimes' | 'endTimes'>;
  /** Business messages that reached the sandbox per second during the measured window. */
  replyRate?: number;
  /** Graph `/messages` answers by HTTP status over the whole phase. */
  graph?: Record<string, number>;
  peakRssMb: number;
  /** Cores used during the measured window by `target`, `sandbox`, `loadgen`, and `other` (the rest of the machine). */
  cores: Record<string, number>;
  /** pino warnings and errors the process printed. */
  logs: { warn: number; error: number };
}

/** End-to-end phase: webhook sent (intended time) → its reply reaches the sandbox. */
export interface E2eResult extends PhaseResult {
  /** Arrival rate (msg/s). */
  rate: number;
  reply: LatencySummary;
  /** Measured messages whose reply did not arrive within the grace period. */
  missing: number;
}

/** Everything measured for one system under test. */
export interface TargetResult {
  name: TargetName;
  idleRssMb: number;
  peakRssMb: number;
  throughput: PhaseResult;
  ack: PhaseResult;
  e2e?: E2eResult;
  /** The same at a light rate (`plan.e2eLightRate`), for context. */
  e2eLight?: E2eResult;
}

const replies = (name: TargetName) => name !== 'bare' && name !== 'durable';
/** `--wait-quiet`: the rest of the machine counts as idle below this many cores. */
const QUIET_CORES = 0.15;

function spec(name: TargetName, phase: string, count: number, senderPool: number): TrafficSpec {
  return newTraffic(`${name}.${phase}`, count, senderPool);
}

function strip(r: LoadResult): Omit<LoadResult, 'startTimes' | 'endTimes'> {
  const { startTimes: _starts, endTimes: _ends, ...rest } = r;
  return rest;
}

/**
 * Runs one phase on a fresh process of the target (so no phase inherits another's backlog): signs the
 * bodies, tells the sandbox about the senders, starts the target, loads it, stops it.
 */
async function phase<T>(
  plan: BenchPlan,
  name: TargetName,
  sandbox: SandboxProcess | undefined,
  traffic: TrafficSpec,
  run: (target: RunningTarget, bodies: ReturnType<typeof signedBodies>, endWindow: () => void) => Promise<T>,
  onStarted?: (target: RunningTarget) => Promise<void>,
): Promise<{
  value: T;
  peakRssMb: number;
  cores: Record<string, number>;
  logs: { warn: number; error: number };
}> {
  const bodies = signedBodies(traffic);
  if (sandbox) await sandbox.prepare(traffic);
  const target = await startTarget(name, { graphUrl: sandbox?.graphUrl, waReply: plan.waReply });
  try {
    await onStarted?.(target);
    if (plan.waitQuietMs > 0) {
      const ours = [process.pid, target.child.pid, ...(sandbox ? [sandbox.child.pid] : [])];
      const q = await waitForQuietMachine(ours, QUIET_CORES, plan.waitQuietMs);
      if (q.waitedMs > 1500)
        process.stdout.write(`(waited ${Math.round(q.waitedMs / 1000)} s for a quiet machine) `);
    }
    const sampler = new RssSampler(target.child.pid).start();
    const pids: Record<string, number> = { target: target.child.pid, loadgen: process.pid };
    if (sandbox) pids.sandbox = sandbox.child.pid;
    let meter: CpuMeter | undefined;
    let cores: Record<string, number> = {};
    const timer = setTimeout(() => (meter = new CpuMeter(pids)), plan.warmupMs);
    const value = await run(target, bodies, () => {
      clearTimeout(timer);
      cores = meter?.stop() ?? {};
    });
    return { value, peakRssMb: sampler.stop().peakMb, cores, logs: { ...target.child.logs } };
  } finally {
    await target.stop();
  }
}

/** Max throughput (closed loop), with the rate at which replies reached the sandbox meanwhile. */
async function throughputPhase(
  plan: BenchPlan,
  name: TargetName,
  sandbox: SandboxProcess | undefined,
  maxRate: number,
  onStarted: (t: RunningTarget) => Promise<void>,
): Promise<PhaseResult> {
  const count = Math.ceil((maxRate * (plan.warmupMs + plan.durationMs)) / 1000);
  const traffic = spec(name, 'max', count, plan.throughputSenders);
  const r = await phase(
    plan,
    name,
    sandbox,
    traffic,
    async (target, bodies, endWindow) => {
      let first: Promise<{ at: number; replies: number }> | undefined;
      const timer = setTimeout(() => {
        first = sandbox?.stats().then((s) => ({ at: nowMs(), replies: s.replies }));
      }, plan.warmupMs);
      const load = await closedLoop(target, bodies, { ...plan });
      endWindow();
      clearTimeout(timer);
      if (!sandbox || !first) return { load };
      const start = await first;
      const end = await sandbox.stats();
      const replyRate = ((end.replies - start.replies) / (nowMs() - start.at)) * 1000;
      return { load, replyRate, graph: end.graph };
    },
    onStarted,
  );
  return { ...r.value, load: strip(r.value.load), peakRssMb: r.peakRssMb, cores: r.cores, logs: r.logs };
}

/** Fixed arrival rate; latency from the intended send time. */
async function ackPhase(
  plan: BenchPlan,
  name: TargetName,
  sandbox: SandboxProcess | undefined,
): Promise<PhaseResult> {
  const count = Math.round((plan.ackRate * (plan.warmupMs + plan.durationMs)) / 1000);
  const traffic = spec(name, 'ack', count, count);
  const r = await phase(plan, name, sandbox, traffic, async (target, bodies, endWindow) => {
    const load = await openLoop(target, bodies, {
      ratePerSec: plan.ackRate,
      warmupMs: plan.warmupMs,
      drainMs: plan.drainMs,
    });
    endWindow();
    return { load, graph: (await sandbox?.stats())?.graph };
  });
  return {
    load: strip(r.value.load),
    graph: r.value.graph,
    peakRssMb: r.peakRssMb,
    cores: r.cores,
    logs: r.logs,
  };
}

/**
 * End-to-end: one distinct sender per message, so the first business message the sandbox receives
 * for a sender is the reply to that sender's only webhook. Latency = sandbox receipt (monotonic clock,
 * shared by all processes) − intended send time of the webhook.
 */
async function e2ePhase(
  plan: BenchPlan,
  name: TargetName,
  sandbox: SandboxProcess,
  rate: number,
): Promise<E2eResult> {
  const count = Math.round((rate * (plan.warmupMs + plan.durationMs)) / 1000);
  const traffic = spec(name, `e2e${rate}`, count, count);
  const r = await phase(plan, name, sandbox, traffic, async (target, bodies, endWindow) => {
    const before = (await sandbox.stats()).replies;
    const load = await openLoop(target, bodies, {
      ratePerSec: rate,
      warmupMs: plan.warmupMs,
      drainMs: plan.drainMs,
    });
    endWindow();
    const deadline = Date.now() + plan.replyGraceMs;
    let stats = await sandbox.stats();
    while (stats.replies - before < count && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      stats = await sandbox.stats();
    }
    return { load, times: await sandbox.replyTimes(traffic), graph: stats.graph };
  });
  const { load, times, graph } = r.value;
  const latencies: number[] = [];
  let missing = 0;
  for (let i = load.firstMeasured; i < load.endIndex; i++) {
    const t = times[i];
    if (t === null || t === undefined) missing++;
    else latencies.push(t - load.startTimes[i]!);
  }
  return {
    rate,
    load: strip(load),
    reply: summarize(latencies),
    missing,
    graph,
    peakRssMb: r.peakRssMb,
    cores: r.cores,
    logs: r.logs,
  };
}

/**
 * Measures one target: max throughput, ack latency at a fixed rate and, for the targets that reply,
 * end-to-end reply latency; idle RSS is read once, on the first start. A sandbox child serves as the
 * Graph API for the targets that reply.
 */
export async function measureTarget(
  plan: BenchPlan,
  name: TargetName,
  maxRate: number,
): Promise<TargetResult> {
  const sandbox = replies(name) ? await SandboxProcess.start() : undefined;
  try {
    let idle = NaN;
    const throughput = await throughputPhase(plan, name, sandbox, maxRate, async (t) => {
      idle = await idleRssMb(t.child.pid, plan.idleSettleMs);
    });
    const ack = await ackPhase(plan, name, sandbox);
    const e2e = sandbox ? await e2ePhase(plan, name, sandbox, plan.e2eRate) : undefined;
    const light =
      sandbox && plan.e2eLightRate && name === 'passerelle'
        ? await e2ePhase(plan, name, sandbox, plan.e2eLightRate)
        : undefined;
    const phases = [throughput, ack, e2e, light].filter((p) => p !== undefined);
    return {
      name,
      idleRssMb: idle,
      peakRssMb: Math.max(...phases.map((p) => p.peakRssMb).filter((v) => !Number.isNaN(v))),
      throughput,
      ack,
      ...(e2e ? { e2e } : {}),
      ...(light ? { e2eLight: light } : {}),
    };
  } finally {
    await sandbox?.stop();
  }
}
