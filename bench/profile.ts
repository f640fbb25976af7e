/**
 * `node --import tsx bench/profile.ts [--rate=100] [--count=2000] [--closed=32] [--repeat=1]`: the
 * cost of one message through Passerelle's whole durable path, for performance work.
 *
 * Unlike `npm run bench`, whose `cpu ms/req` divides the CPU of a short window by the webhooks
 * *acknowledged* in it (background work still queued is not counted), this sends a fixed number of
 * messages (open loop at `--rate` msg/s, or closed loop with `--closed` connections), waits until the
 * sandbox has received **every reply**, and divides all the CPU the gateway used meanwhile (idle CPU
 * subtracted) by the number of messages: signature, inbox, pipeline, assistant, outbox, mark-as-read
 * and send, all included. It also prints ack and end-to-end latency and the event-loop lag seen by
 * the gateway (`/metrics`, read after the run).
 *
 * `BENCH_PASSERELLE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` writes a V8 CPU profile of the
 * gateway when it stops.
 */
import { createWriteStream } from 'node:fs';
import { newTraffic, signedBodies } from './bodies.ts';
import { installCleanup, killAllChildren } from './children.ts';
import { nowMs } from './constants.ts';
import { closedLoop, openLoop } from './load.ts';
import { cpuMs, machineBusyMs, rssMb } from './memory.ts';
import { SandboxProcess } from './sandbox-client.ts';
import { fmt, summarize } from './stats.ts';
import { startTarget } from './targets.ts';

interface Args {
  rate: number;
  count: number;
  closed: number;
  repeat: number;
  /** Leading milliseconds of load left out of the latency figures (not of the CPU). */
  warmup: number;
}

function parse(argv: string[]): Args {
  const a: Args = { rate: 100, count: 2000, closed: 0, repeat: 1, warmup: 0 };
  for (const arg of argv) {
    const m = /^--(rate|count|closed|repeat|warmup)=(\d+)$/.exec(arg);
    if (!m) throw new Error(`unknown option ${arg}`);
    a[m[1] as keyof Args] = Number(m[2]);
  }
  return a;
}

/** Event-loop delay percentiles (ms) since the previous scrape: prom-client resets them on each one. */
async function loopLag(port: number): Promise<{ p50: number; p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (q: string) => {
    const m = new RegExp(`^passerelle_nodejs_eventloop_lag_${q}_seconds ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) * 1000 : NaN;
  };
  return { p50: get('p50'), p99: get('p99'), max: get('max') };
}

/** Approximate quantiles (bucket upper bounds, ms) of a Prometheus histogram on `/metrics`. */
function histogram(text: string, name: string, label: string): string {
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\d+)$`, 'gm');
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
    if (le === undefined || !m[1]!.includes(label)) continue;
    buckets.push([le === '+Inf' ? Infinity : Number(le) * 1000, Number(m[2])]);
  }
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return '-';
  const q = (p: number) => buckets.find(([, n]) => n >= p * total)?.[0] ?? NaN;
  return `p50≤${q(0.5)} p90≤${q(0.9)} p99≤${q(0.99)} ms (n=${total})`;
}

/** Webhook requests acknowledged through the intake log (a flood), all channels. */
function intakeRequests(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/^passerelle_intake_requests_total\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

async function once(args: Args, sandbox: SandboxProcess): Promise<void> {
  const traffic = newTraffic('prof', args.count);
  const bodies = signedBodies(traffic);
  await sandbox.prepare(traffic);
  const target = await startTarget('passerelle', { graphUrl: sandbox.graphUrl });
  // `BENCH_PROFILE_OUTPUT=<file>`: everything the gateway prints (e.g. with `--trace-gc`).
  const dump = process.env.BENCH_PROFILE_OUTPUT;
  if (dump) {
    const out = createWriteStream(dump);
    target.child.proc.stdout?.on('data', (d: Buffer) => out.write(d));
    target.child.proc.stderr?.on('data', (d: Buffer) => out.write(d));
  }
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = rssMb(target.child.pid);
    // Idle CPU (timers, recovery tick), to subtract.
    const i0 = cpuMs(target.child.pid);
    const it = nowMs();
    await new Promise((r) => setTimeout(r, 2000));
    const idlePerMs = (cpuMs(target.child.pid) - i0) / (nowMs() - it);

    await loopLag(target.port); // resets the histogram: what follows is the run's
    const before = (await sandbox.stats()).replies;
    const c0 = cpuMs(target.child.pid);
    const m0 = machineBusyMs();
    const t0 = nowMs();
    const load =
      args.closed > 0
        ? await closedLoop(target, bodies, {
            concurrency: args.closed,
            warmupMs: 0,
            durationMs: 60_000,
            drainMs: 5000,
          })
        : await openLoop(target, bodies, { ratePerSec: args.rate, warmupMs: args.warmup, drainMs: 5000 });
    const tAcked = nowMs();
    let stats = await sandbox.stats();
    const deadline = Date.now() + 30_000;
    while (stats.replies - before < load.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      stats = await sandbox.stats();
    }
    const t1 = nowMs();
    const cpu = cpuMs(target.child.pid) - c0 - idlePerMs * (t1 - t0);
    const other = (machineBusyMs() - m0) / (t1 - t0);
    const replies = stats.replies - before;
    const times = await sandbox.replyTimes(traffic);
    const e2e: number[] = [];
    for (let i = load.firstMeasured; i < load.endIndex; i++) {
      const t = times[i];
      if (t !== null && t !== undefined) e2e.push(t - load.startTimes[i]!);
    }
    const e = summarize(e2e);
    const lag = await loopLag(target.port);
    const metricsText = await (await fetch(`http://127.0.0.1:${target.port}/metrics`)).text();
    const rss = rssMb(target.child.pid);
    console.log(
      [
        `sent ${load.sent} ok ${load.ok} err ${load.errors} replies ${replies}`,
        `${args.closed > 0 ? `closed(${args.closed})` : `open ${args.rate}/s`}: ack ${fmt(load.throughput)}/s in ${fmt((tAcked - t0) / 1000)} s, all replied after ${fmt((t1 - t0) / 1000)} s (${fmt((replies / (t1 - t0)) * 1000)} replies/s)`,
        `cpu ${fmt(cpu / Math.max(1, replies))} ms/msg (idle ${fmt(idlePerMs * 1000)} ms/s subtracted; machine busy ${fmt(other)} cores)`,
        `ack  p50 ${fmt(load.latency.p50)} p90 ${fmt(load.latency.p90)} p99 ${fmt(load.latency.p99)} max ${fmt(load.latency.max)} ms`,
        `e2e  p50 ${fmt(e.p50)} p90 ${fmt(e.p90)} p99 ${fmt(e.p99)} max ${fmt(e.max)} ms (n=${e.count})`,
        `loop delay (gateway, 10 ms resolution) p50 ${fmt(lag.p50)} p99 ${fmt(lag.p99)} max ${fmt(lag.max)} ms`,
        `gateway: ack ${histogram(metricsText, 'passerelle_webhook_ack_seconds', '')}`,
        `gateway: pipeline ${histogram(metricsText, 'passerelle_pipeline_seconds', '')}`,
        `gateway: graph send ${histogram(metricsText, 'passerelle_send_seconds', 'kind="message"')}`,
        `gateway: webhook requests through the intake log (flood) ${intakeRequests(metricsText)}`,
        `rss idle ${fmt(idleRss)} MB, after ${fmt(rss)} MB`,
      ].join('\n  '),
    );
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  installCleanup();
  const sandbox = await SandboxProcess.start();
  try {
    for (let i = 0; i < args.repeat; i++) await once(args, sandbox);
  } finally {
    await sandbox.stop();
    killAllChildren();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  process.exit(1);
});
