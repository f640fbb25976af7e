/**
 * `node --import tsx bench/ingest-probe.ts [--rounds=3] [--count=30000] [target…]`: webhook ingest
 * alone, for performance work. Each round starts every named target (default `durable passerelle`)
 * afresh, in turn, and drives it with a closed loop of 32 connections over `count` pre-signed
 * webhooks; it prints acknowledged requests per second and the target's CPU per request. Targets
 * alternate within a round so a change of load on a shared machine hits them alike. Passerelle's
 * replies are not waited for: run it with a checkout whose pipeline is off to see ingest alone.
 */
import { newTraffic, signedBodies } from './bodies.ts';
import { installCleanup, killAllChildren } from './children.ts';
import { closedLoop } from './load.ts';
import { cpuMs, machineBusyMs } from './memory.ts';
import { SandboxProcess } from './sandbox-client.ts';
import { fmt } from './stats.ts';
import { startTarget, type TargetName } from './targets.ts';
import { nowMs } from './constants.ts';

const opt = (name: string, dflt: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const rounds = opt('rounds', 3);
const count = opt('count', 30_000);
const names = process.argv.slice(2).filter((a) => !a.startsWith('--')) as TargetName[];
if (names.length === 0) names.push('durable', 'passerelle');

installCleanup();
const sandbox = await SandboxProcess.start();
try {
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const traffic = newTraffic(`probe.${name}.${r}`, count);
      const bodies = signedBodies(traffic);
      await sandbox.prepare(traffic);
      const target = await startTarget(name, { graphUrl: sandbox.graphUrl });
      try {
        await new Promise((res) => setTimeout(res, 1500));
        const c0 = cpuMs(target.child.pid);
        const m0 = machineBusyMs();
        const t0 = nowMs();
        const load = await closedLoop(target, bodies, {
          concurrency: 32,
          warmupMs: 500,
          durationMs: 60_000,
          drainMs: 3000,
        });
        const t1 = nowMs();
        const cpu = cpuMs(target.child.pid) - c0; // over the warm-up too: divided by every request
        if (load.throughput === 0) {
          console.log(`round ${r + 1} ${name}: every body was sent during the warm-up; raise --count`);
          continue;
        }
        console.log(
          `round ${r + 1} ${name.padEnd(12)} ${fmt(load.throughput).padStart(6)} req/s  ${(cpu / load.endIndex).toFixed(3)} ms CPU/req  errors ${load.errors}  machine ${fmt((machineBusyMs() - m0) / (t1 - t0))} cores`,
        );
      } finally {
        await target.stop();
      }
    }
  }
} finally {
  await sandbox.stop();
  killAllChildren();
}
