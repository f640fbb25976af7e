/**
 * `npm run bench [-- --quick]`: signed-webhook ingest throughput and ack latency, end-to-end reply
 * latency and memory, for Passerelle and two baselines measured in the same run. Prints a table and
 * writes `bench/results/latest.json`. Method and caveats: `docs/benchmarks.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { installCleanup, killAllChildren } from './children.ts';
import type { ClusterResult } from './cluster.ts';
import { measureCluster, renderCluster } from './cluster.ts';
import type { BenchPlan } from './plan.ts';
import { parsePlan, UsageError } from './plan.ts';
import { checkTargets, ratios } from './checks.ts';
import { renderReport } from './report.ts';
import type { TargetResult } from './scenario.ts';
import { measureTarget } from './scenario.ts';
import { SandboxProcess } from './sandbox-client.ts';

function machine(): string {
  const c = cpus();
  return `Node ${process.version}, ${c.length} CPU(s) ${c[0]?.model.trim() ?? ''}, ${process.platform}`;
}

function writeJson(
  plan: BenchPlan,
  results: TargetResult[],
  cluster: ClusterResult | undefined,
  startedAt: Date,
): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}latest.json`;
  const json = {
    startedAt: startedAt.toISOString(),
    machine: machine(),
    cpus: cpus().length,
    node: process.version,
    plan,
    results,
    ratios: ratios(results),
    targets: {
      passerelle: checkTargets(results, 'passerelle'),
      'passerelle-full': checkTargets(results, 'passerelle-full'),
    },
    ...(cluster ? { cluster } : {}),
  };
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  return file;
}

async function main(): Promise<void> {
  const plan = parsePlan(process.argv.slice(2));
  installCleanup();
  const startedAt = new Date();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${plan.deadlineMs / 1000} s, aborting`);
    killAllChildren();
    process.exit(1);
  }, plan.deadlineMs);
  const names = [...plan.targets, ...(plan.cluster ? ['cluster'] : [])];
  console.log(`bench: ${plan.quick ? 'quick' : 'full'} run of ${names.join(', ')} on ${machine()}`);
  const results: TargetResult[] = [];
  let cluster: ClusterResult | undefined;
  try {
    let maxRate = plan.maxRate;
    for (const name of plan.targets) {
      const t0 = Date.now();
      process.stdout.write(`bench: ${name}… `);
      const r = await measureTarget(plan, name, maxRate);
      results.push(r);
      // Nothing outruns the bare receiver: size the later targets' pre-signed bodies on it.
      if (name === 'bare') maxRate = Math.min(maxRate, Math.ceil(r.throughput.load.throughput * 1.25) + 500);
      console.log(
        `${Math.round(r.throughput.load.throughput)} req/s max, done in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    if (plan.cluster) {
      const sandbox = await SandboxProcess.start();
      try {
        cluster = await measureCluster(plan, sandbox, (line) => console.log(`bench: ${line}`));
      } finally {
        await sandbox.stop();
      }
    }
  } finally {
    clearTimeout(watchdog);
    killAllChildren();
  }
  if (results.length) console.log('\n' + renderReport(plan, results, machine()));
  if (cluster) console.log('\n' + renderCluster(plan, cluster));
  console.log(
    `\nResults: ${writeJson(plan, results, cluster, startedAt)} (run took ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`,
  );
  if (plan.clinc150) {
    // The offline matcher's figures (`bench/clinc150.ts`), after the load phases: no child is running.
    const { renderClinc150, runClinc150 } = await import('./clinc150.ts');
    console.log('\n' + renderClinc150(await runClinc150()));
  }
  const { renderWidgetSize } = await import('../src/channels/webchat/widget/size.ts');
  console.log('\n' + (await renderWidgetSize()));
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    (err.help ? console.log : console.error)(err.message);
    process.exit(err.help ? 0 : 2);
  }
  console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  killAllChildren();
  process.exit(1);
});
