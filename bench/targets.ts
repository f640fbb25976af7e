import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Child } from './children.ts';
import { freePort, onExit, startChild, waitForHttp200 } from './children.ts';
import { BENCH_SECRETS, GRAPH_VERSION, WEBHOOK_PATH } from './constants.ts';

/** The systems under test. */
export type TargetName = 'bare' | 'durable' | 'wa-api-js' | 'passerelle' | 'passerelle-full';

/** A system under test, listening on 127.0.0.1. */
export interface RunningTarget {
  name: TargetName;
  child: Child;
  port: number;
  path: string;
  /** Stops the process and removes its scratch files. */
  stop(): Promise<void>;
}

/** Options that shape how a target is started. */
export interface TargetOptions {
  /** Graph API base URL (the sandbox), for the targets that reply. */
  graphUrl?: string;
  /** whatsapp-api-js bot: reply after the 200 (`offload`, default) or before it (`await`). */
  waReply?: 'offload' | 'await';
  /** Passerelle: this `DATABASE_URL` (e.g. a Postgres schema) instead of a fresh SQLite file. */
  databaseUrl?: string;
  /** Passerelle: more environment (e.g. `QUEUE_URL`, `QUEUE_STREAM`). */
  env?: Record<string, string>;
  /** Name of the child process in logs and errors (default: the target's name). */
  label?: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;

/** Our environment without anything that would configure the systems under test behind our back. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      !/^(WHATSAPP_|PASSERELLE_|TELEGRAM_|LLM_|SQLITE_|DATABASE_URL$|QUEUE_URL$|PORT$|HOST$|NODE_OPTIONS$)/.test(
        k,
      )
    ) {
      env[k] = v;
    }
  }
  return { ...env, ...extra };
}

const credentials = {
  WHATSAPP_VERIFY_TOKEN: BENCH_SECRETS.verifyToken,
  WHATSAPP_APP_SECRET: BENCH_SECRETS.appSecret,
  WHATSAPP_ACCESS_TOKEN: BENCH_SECRETS.accessToken,
  WHATSAPP_PHONE_NUMBER_ID: BENCH_SECRETS.phoneNumberId,
};

async function startBaseline(
  name: TargetName,
  file: string,
  env: Record<string, string>,
): Promise<RunningTarget> {
  const script = fileURLToPath(new URL(`./baselines/${file}`, import.meta.url));
  const child = startChild(name, [script, '0'], {
    env: cleanEnv(env),
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
  });
  const m = await child.waitForLine(/^READY (\d+)$/, STARTUP_TIMEOUT_MS);
  return { name, child, port: Number(m[1]), path: WEBHOOK_PATH, stop: () => child.stop() };
}

/**
 * Passerelle as users run it: `node bin/passerelle.js start` from the repository root, configured by
 * environment, with a fresh SQLite database in a temporary folder. Ready when `GET /readyz` is 200.
 * `BENCH_PASSERELLE_ENTRY=<file>` runs another entry script instead (e.g. to bench another build);
 * `BENCH_PASSERELLE_ROOT=<dir>` runs the checkout in `<dir>` (e.g. to compare with a copy of the
 * last commit); `BENCH_PASSERELLE_NODE_ARGS` adds node flags (e.g. `--cpu-prof`).
 */
async function startPasserelle(name: TargetName, opts: TargetOptions): Promise<RunningTarget> {
  if (!opts.graphUrl) throw new Error(`${name} needs the sandbox's Graph URL`);
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  const port = await freePort();
  const env = cleanEnv({
    ...credentials,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: opts.databaseUrl ?? `sqlite:${join(dir, 'bench.db')}`,
    LOG_LEVEL: 'warn',
    WHATSAPP_GRAPH_URL: opts.graphUrl,
    WHATSAPP_API_VERSION: GRAPH_VERSION,
    WHATSAPP_MESSAGES_PER_SECOND: '1000',
    WHATSAPP_PAIR_BURST: '45',
    SHUTDOWN_TIMEOUT_MS: '1000',
    SQLITE_SYNCHRONOUS: name === 'passerelle-full' ? 'full' : 'normal',
    ...opts.env,
  });
  const entry = process.env.BENCH_PASSERELLE_ENTRY;
  const root = process.env.BENCH_PASSERELLE_ROOT ?? ROOT;
  const args = entry ? [entry] : [join(root, 'bin/passerelle.js'), 'start'];
  // `BENCH_PASSERELLE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`: extra node flags (profiling).
  const nodeArgs = (process.env.BENCH_PASSERELLE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = startChild(opts.label ?? name, args, {
    env,
    cwd: root,
    execArgv: [...nodeArgs, ...(entry ? ['--import', 'tsx'] : [])],
  });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forget = onExit(removeDir);
  const cleanup = () => {
    forget();
    removeDir();
  };
  try {
    await waitForHttp200(`http://127.0.0.1:${port}/readyz`, child, STARTUP_TIMEOUT_MS);
  } catch (err) {
    await child.stop();
    cleanup();
    throw err;
  }
  return {
    name,
    child,
    port,
    path: WEBHOOK_PATH,
    stop: async () => {
      await child.stop();
      cleanup();
    },
  };
}

/** Starts one system under test and waits until it accepts webhooks. */
export function startTarget(name: TargetName, opts: TargetOptions = {}): Promise<RunningTarget> {
  switch (name) {
    case 'bare':
      return startBaseline(name, 'bare-http.ts', {});
    case 'durable':
      return startBaseline(name, 'durable-http.ts', {});
    case 'wa-api-js':
      if (!opts.graphUrl) throw new Error('wa-api-js needs the sandbox Graph URL');
      return startBaseline(name, 'wa-api-js-bot.ts', {
        ...credentials,
        WHATSAPP_GRAPH_URL: opts.graphUrl,
        WA_BOT_REPLY: opts.waReply ?? 'offload',
      });
    case 'passerelle':
    case 'passerelle-full':
      return startPasserelle(name, opts);
  }
}
