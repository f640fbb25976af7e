import type { ChildProcess } from 'node:child_process';
import { fork, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * Child processes of a bench run: every one is registered so that it is killed when the bench ends,
 * normally, on an error, or on Ctrl-C. Their output is always read (a full pipe would stall them),
 * kept as a short tail for error messages, and pino warnings/errors are counted.
 */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** pino lines at level warn (40) and error or worse (≥ 50) seen so far. */
  readonly logs: { warn: number; error: number };
  /** The last lines printed, for error messages. */
  tail(): string;
  /** Resolves with the first output line matching `re`; rejects if the child exits or time runs out. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const finalizers = new Set<() => void>();

/** Registers a synchronous clean-up (e.g. removing a scratch folder) run at exit; returns its remover. */
export function onExit(fn: () => void): () => void {
  finalizers.add(fn);
  return () => finalizers.delete(fn);
}
const TAIL_LINES = 40;

/** Starts `node <args>` (`ipc`: with an IPC channel, as `fork` does) and registers it for cleanup. */
export function startChild(
  name: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; ipc?: boolean; execArgv?: string[] } = {},
): Child {
  const stdio: ('pipe' | 'ipc')[] = ['pipe', 'pipe', 'pipe'];
  const proc = opts.ipc
    ? fork(args[0]!, args.slice(1), {
        env: opts.env,
        cwd: opts.cwd,
        stdio: [...stdio, 'ipc'],
        execArgv: opts.execArgv,
      })
    : spawn(process.execPath, [...(opts.execArgv ?? []), ...args], { env: opts.env, cwd: opts.cwd, stdio });
  if (proc.pid === undefined) throw new Error(`${name}: could not start`);
  live.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => live.delete(proc));
  const lines: string[] = [];
  const logs = { warn: 0, error: 0 };
  const watchers = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (level === '40') logs.warn++;
    else if (level !== undefined && Number(level) >= 50) logs.error++;
    for (const w of watchers) w(line);
  };
  createInterface({ input: proc.stdout! }).on('line', onLine);
  createInterface({ input: proc.stderr! }).on('line', onLine);

  return {
    name,
    proc,
    pid: proc.pid,
    logs,
    tail: () => lines.join('\n'),
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const finish = (err: Error | undefined, m?: RegExpExecArray) => {
          clearTimeout(timer);
          watchers.delete(watch);
          proc.off('exit', onExit);
          if (err) reject(err);
          else resolve(m!);
        };
        const watch = (line: string) => {
          const m = re.exec(line);
          if (m) finish(undefined, m);
        };
        const onExit = (code: number | null) =>
          finish(new Error(`${name} exited (code ${code}) before printing ${re}:\n${lines.join('\n')}`));
        const timer = setTimeout(
          () => finish(new Error(`${name}: no ${re} within ${timeoutMs} ms:\n${lines.join('\n')}`)),
          timeoutMs,
        );
        watchers.add(watch);
        proc.once('exit', onExit);
      });
    },
    async stop(graceMs = 3000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every child still running, then runs the `onExit` clean-ups (synchronous: usable from an `exit` handler). */
export function killAllChildren(): void {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const fn of finalizers) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  finalizers.clear();
}

/** Makes sure no child outlives the bench: on exit, Ctrl-C, SIGTERM and crashes. */
export function installCleanup(): void {
  process.once('exit', killAllChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\nbench: ${sig}, stopping children`);
      killAllChildren();
      process.exit(130);
    });
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200 (or `timeoutMs` passes, or `child` exits). */
export async function waitForHttp200(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null)
      throw new Error(`${child.name} exited (code ${child.proc.exitCode}):\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name}: ${url} not 200 within ${timeoutMs} ms:\n${child.tail()}`);
}
