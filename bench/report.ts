import { checkTargets, cpuMsPerRequest, ratios } from './checks.ts';
import type { BenchPlan } from './plan.ts';
import type { PhaseResult, TargetResult } from './scenario.ts';
import { fmt, fmtRatio } from './stats.ts';
import type { TargetName } from './targets.ts';

/** How each system is named in the printed tables. */
const LABELS: Record<TargetName, string> = {
  bare: '(a) bare node:http',
  durable: '(c) durable node:http',
  'wa-api-js': '(b) whatsapp-api-js bot',
  passerelle: 'Passerelle',
  'passerelle-full': 'Passerelle, sync=FULL',
};

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}
function failures(p: PhaseResult): string {
  const non200 = Object.values(p.load.non200).reduce((a, b) => a + b, 0);
  return `${non200}/${p.load.errors}`;
}

function graphFailures(p: PhaseResult): string {
  if (!p.graph) return '-';
  return String(Object.entries(p.graph).reduce((n, [k, v]) => (k === '200' ? n : n + v), 0));
}

/** Cores used by the target, the sandbox, the load generator and the rest of the machine: `0.95/0.41/0.62/0.01`. */
function cores(p: PhaseResult): string {
  const c = (k: string) => (p.cores[k] === undefined ? '-' : p.cores[k]!.toFixed(2));
  return `${c('target')}/${c('sandbox')}/${c('loadgen')}/${c('other')}`;
}

function phasesOf(r: TargetResult): PhaseResult[] {
  return [r.throughput, r.ack, r.e2e, r.e2eLight].filter((p) => p !== undefined);
}

/** Warnings about the run itself: a busy machine, saturated systems. */
function notes(results: TargetResult[]): string[] {
  const out: string[] = [];
  const busiest = Math.max(0, ...results.flatMap(phasesOf).map((p) => p.cores.other ?? 0));
  if (busiest > 0.2) {
    out.push(
      `Other processes used up to ${busiest.toFixed(2)} cores during a measured window: figures are pessimistic; rerun on a quiet machine.`,
    );
  }
  for (const r of results) {
    for (const [what, p] of [
      ['ack', r.ack],
      ['e2e', r.e2e],
      ['throughput', r.throughput],
    ] as const) {
      if (p && p.load.errors > 0)
        out.push(
          `${LABELS[r.name]} (${what}): ${p.load.errors} requests failed or were still unanswered when the phase ended (saturated).`,
        );
    }
  }
  return out;
}
/** The human-readable report printed at the end of a run. */
export function renderReport(plan: BenchPlan, results: TargetResult[], machine: string): string {
  const sec = fmt(plan.durationMs / 1000);
  const out: string[] = [];
  out.push(`Passerelle bench (${plan.quick ? 'quick' : 'full'} run) — ${machine}`);
  out.push(`Each phase: ${fmt(plan.warmupMs / 1000)} s warm-up, then ${sec} s measured, on a fresh process.`);
  out.push('');
  out.push(
    `1. Signed webhook ingest, max throughput (closed loop, ${plan.concurrency} keep-alive connections)`,
  );
  out.push(
    table(
      [
        'system',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'non200/err',
        'replies/s',
        'graph non200',
        'cpu ms/req',
        'cores sut/sbx/gen/other',
      ],
      results.map((r) => {
        const l = r.throughput.load;
        return [
          LABELS[r.name],
          l.throughput,
          l.latency.p50,
          l.latency.p99,
          l.latency.max,
          failures(r.throughput),
          r.throughput.replyRate ?? NaN,
          graphFailures(r.throughput),
          cpuMsPerRequest(r.throughput),
          cores(r.throughput),
        ];
      }),
    ),
  );
  out.push('');
  out.push(`2. Ack latency at ${plan.ackRate} req/s (open loop, from the intended send time)`);
  out.push(
    table(
      [
        'system',
        'req/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'non200/err',
        'gen lag p99',
        'cores sut/sbx/gen/other',
      ],
      results.map((r) => {
        const l = r.ack.load;
        return [
          LABELS[r.name],
          l.throughput,
          l.latency.p50,
          l.latency.p90,
          l.latency.p99,
          l.latency.max,
          failures(r.ack),
          l.generatorLag?.p99 ?? NaN,
          cores(r.ack),
        ];
      }),
    ),
  );
  const e2eRows = results.flatMap((r) =>
    [r.e2e, r.e2eLight]
      .filter((e) => e !== undefined)
      .map((e) => ({ label: `${LABELS[r.name]} @ ${e.rate}/s`, e })),
  );
  if (e2eRows.length) {
    out.push('');
    out.push(
      `3. End-to-end reply (webhook intended send → reply received by the sandbox), ${plan.e2eRate} msg/s${plan.e2eLightRate ? ` and ${plan.e2eLightRate} msg/s` : ''}`,
    );
    out.push(
      table(
        [
          'system @ rate',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'ack p99 ms',
          'missing',
          'graph non200',
          'cores sut/sbx/gen/other',
        ],
        e2eRows.map(({ label, e }) => [
          label,
          e.reply.p50,
          e.reply.p90,
          e.reply.p99,
          e.reply.max,
          e.load.latency.p99,
          e.missing,
          graphFailures(e),
          cores(e),
        ]),
      ),
    );
  }
  out.push('');
  out.push('4. Resident memory of the system under test (MB)');
  out.push(
    table(
      ['system', 'idle', 'peak under load', 'warn/error logs'],
      results.map((r) => {
        const logs = phasesOf(r);
        const warn = logs.reduce((n, p) => n + p.logs.warn, 0);
        const error = logs.reduce((n, p) => n + p.logs.error, 0);
        return [LABELS[r.name], r.idleRssMb, r.peakRssMb, `${warn}/${error}`];
      }),
    ),
  );
  const rt = ratios(results);
  out.push('');
  out.push('5. Ratios (same run)');
  out.push(`   throughput, Passerelle ÷ bare node:http:          ${fmtRatio(rt.passerelleOverBare)}`);
  out.push(`   throughput, Passerelle ÷ whatsapp-api-js bot:     ${fmtRatio(rt.passerelleOverWaApiJs)}`);
  if (rt.durableOverBare !== undefined) {
    out.push(`   throughput, durable node:http ÷ bare node:http:   ${fmtRatio(rt.durableOverBare)}`);
    out.push(`   throughput, Passerelle ÷ durable node:http:       ${fmtRatio(rt.passerelleOverDurable)}`);
  }
  if (rt.passerelleFullOverBare !== undefined) {
    out.push(`   throughput, Passerelle sync=FULL ÷ bare:          ${fmtRatio(rt.passerelleFullOverBare)}`);
    out.push(
      `   throughput, Passerelle sync=FULL ÷ wa-api-js:     ${fmtRatio(rt.passerelleFullOverWaApiJs)}`,
    );
  }
  out.push(
    `   CPU per request, Passerelle ÷ bare node:http:     ${fmtRatio(rt.cpuPerRequest.passerelleOverBare)}`,
  );
  out.push(
    `   CPU per request, Passerelle ÷ whatsapp-api-js:    ${fmtRatio(rt.cpuPerRequest.passerelleOverWaApiJs)}`,
  );
  const warnings = notes(results);
  if (warnings.length) {
    out.push('');
    out.push('Notes');
    for (const w of warnings) out.push(`   ! ${w}`);
  }
  for (const which of ['passerelle', 'passerelle-full'] as const) {
    const checks = checkTargets(results, which);
    if (!checks.length) continue;
    out.push('');
    out.push(`6. Targets — ${LABELS[which]}`);
    for (const c of checks) out.push(`   [${c.met ? 'met   ' : 'MISSED'}] ${c.goal}: ${c.measured}`);
  }
  return out.join('\n');
}
