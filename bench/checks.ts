import type { PhaseResult, TargetResult } from './scenario.ts';
import { fmt, fmtRatio } from './stats.ts';
import type { TargetName } from './targets.ts';

/** One target of the issue, checked against this run's figures. */
export interface TargetCheck {
  goal: string;
  measured: string;
  met: boolean;
}

/**
 * Ratios between systems measured in the same run: throughput (higher is better for Passerelle), and
 * CPU per request (lower is better), which other load on the machine skews far less.
 */
export interface Ratios {
  passerelleOverBare?: number;
  passerelleOverWaApiJs?: number;
  passerelleFullOverBare?: number;
  passerelleFullOverWaApiJs?: number;
  /** Baseline (c), the least a durable receiver does, over (a): what durability alone costs here. */
  durableOverBare?: number;
  passerelleOverDurable?: number;
  cpuPerRequest: { passerelleOverBare?: number; passerelleOverWaApiJs?: number };
}

/** Milliseconds of the system's own CPU per acknowledged request in the max-throughput window. */
export function cpuMsPerRequest(p: PhaseResult): number {
  const cores = p.cores.target;
  return cores === undefined || p.load.throughput <= 0 ? NaN : (cores * 1000) / p.load.throughput;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

/** Passerelle ÷ each baseline. */
export function ratios(results: TargetResult[]): Ratios {
  const find = (n: TargetName) => results.find((r) => r.name === n)?.throughput;
  const tp = (n: TargetName) => find(n)?.load.throughput;
  const cpu = (n: TargetName) => {
    const p = find(n);
    return p ? cpuMsPerRequest(p) : undefined;
  };
  return {
    passerelleOverBare: ratio(tp('passerelle'), tp('bare')),
    passerelleOverWaApiJs: ratio(tp('passerelle'), tp('wa-api-js')),
    passerelleFullOverBare: ratio(tp('passerelle-full'), tp('bare')),
    passerelleFullOverWaApiJs: ratio(tp('passerelle-full'), tp('wa-api-js')),
    durableOverBare: ratio(tp('durable'), tp('bare')),
    passerelleOverDurable: ratio(tp('passerelle'), tp('durable')),
    cpuPerRequest: {
      passerelleOverBare: ratio(cpu('passerelle'), cpu('bare')),
      passerelleOverWaApiJs: ratio(cpu('passerelle'), cpu('wa-api-js')),
    },
  };
}

/** The targets, for one Passerelle result (`passerelle` or `passerelle-full`). */
export function checkTargets(results: TargetResult[], which: TargetName = 'passerelle'): TargetCheck[] {
  const p = results.find((r) => r.name === which);
  if (!p) return [];
  const wa = results.find((r) => r.name === 'wa-api-js');
  const bare = results.find((r) => r.name === 'bare');
  const tp = p.throughput.load.throughput;
  const checks: TargetCheck[] = [];
  const rps = (v: number) => `${fmt(v)} req/s`;
  if (wa) {
    const v = wa.throughput.load.throughput;
    checks.push({
      goal: 'throughput ≥ whatsapp-api-js bot',
      measured: `${rps(tp)} vs ${rps(v)}`,
      met: tp >= v,
    });
  }
  if (bare) {
    const v = bare.throughput.load.throughput;
    checks.push({
      goal: 'throughput ≥ 0.5 × bare node:http',
      measured: `${fmtRatio(tp / v)} ×`,
      met: tp >= 0.5 * v,
    });
  }
  const ack = p.ack.load;
  const ackOk = ack.latency.p99 < 50 && ack.errors === 0 && Object.keys(ack.non200).length === 0;
  checks.push({
    goal: `ack p99 < 50 ms at ${fmt(p.ack.load.sent / (ack.durationMs / 1000))} req/s`,
    measured: `${fmt(ack.latency.p99)} ms`,
    met: ackOk,
  });
  if (p.e2e) {
    const e = p.e2e;
    checks.push({
      goal: 'end-to-end reply p50 < 10 ms at 200 msg/s',
      measured: `${fmt(e.reply.p50)} ms`,
      met: e.reply.p50 < 10 && e.missing === 0,
    });
    checks.push({
      goal: 'end-to-end reply p99 < 50 ms at 200 msg/s',
      measured: `${fmt(e.reply.p99)} ms`,
      met: e.reply.p99 < 50 && e.missing === 0,
    });
  }
  checks.push({ goal: 'RSS idle < 150 MB', measured: `${fmt(p.idleRssMb)} MB`, met: p.idleRssMb < 150 });
  checks.push({
    goal: 'RSS under load < 300 MB',
    measured: `${fmt(p.peakRssMb)} MB`,
    met: p.peakRssMb < 300,
  });
  return checks;
}
