import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { KbError, loadKnowledgeBase, SAMPLE_KB } from '../assistant/kb/load.ts';
import type { Config } from '../config.ts';
import { loadPolicy, PolicyError } from '../policy/load.ts';
import type { Policy } from '../policy/profiles.ts';
import { migratorFor, openStore, type Store } from '../store/db.ts';
import { parsePostgresUrl } from '../store/postgres.ts';
import { ProbeError, tcpConnect } from './doctor-http.ts';

/**
 * The checks of `passerelle doctor` that look at this machine: the database and its migrations, the
 * queue's server, the policy file, the knowledge base. Each returns one `CheckResult`: a status, what
 * was found, and when something is wrong a one-line fix.
 */

export type CheckStatus = 'ok' | 'warning' | 'error';

/** One line of the doctor's report. `fix` says what to do, when the status is not `ok`. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

/** Builds results for one check name. */
export function resultsFor(name: string) {
  return {
    ok: (message: string): CheckResult => ({ name, status: 'ok', message }),
    warning: (message: string, fix: string): CheckResult => ({ name, status: 'warning', message, fix }),
    error: (message: string, fix: string): CheckResult => ({ name, status: 'error', message, fix }),
  };
}

/** Rejects with "no answer within …" when `work` takes longer than `ms`. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The database answers and has every migration this version knows. A missing SQLite file is an error
 * (and is not created: `openStore` would create an empty one); pending migrations are a warning, since
 * `start` applies them.
 */
export async function checkDatabase(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('database');
  const url = config.DATABASE_URL;
  let where: string;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === ':memory:')
      return r.warning(
        'in memory (sqlite::memory:): everything is lost when the process stops',
        'set DATABASE_URL to sqlite:<path of a file> or a postgres:// URL',
      );
    where = resolve(path);
    if (!existsSync(where))
      return r.error(
        `no database at ${where} (DATABASE_URL)`,
        'run "passerelle migrate" to create it, or point DATABASE_URL at the existing database',
      );
  } else {
    where = parsePostgresUrl(url).display;
  }
  let store: Store | undefined;
  try {
    store = openStore({ url });
    const opened = store;
    const migrations = await within(
      timeoutMs,
      migratorFor(opened.db, opened.dialect).then((m) => m.getMigrations()),
    );
    const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    if (pending.length > 0)
      return r.warning(
        `${where}: ${pending.length} migration(s) pending: ${pending.join(', ')}`,
        'run "passerelle migrate" (start also applies them)',
      );
    return r.ok(`${where}: reachable, ${migrations.length} migrations applied`);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^DATABASE_URL: /, '');
    return r.error(
      `${where}: ${reason}`,
      url.startsWith('sqlite:')
        ? 'check that DATABASE_URL names a Passerelle SQLite file this user can read and write'
        : 'check that the Postgres server runs and that DATABASE_URL names its host, database, user and password',
    );
  } finally {
    if (store) await within(timeoutMs, store.close()).catch(() => undefined);
  }
}

/**
 * The work queue: `local` needs nothing; a NATS URL gets a TCP connection to its host and port (the
 * default 4222). JetStream itself is checked by `start`, which refuses a server without it.
 */
export async function checkQueue(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('queue');
  if (config.QUEUE_URL === 'local') return r.ok('local: in this process (the inbox table is the queue)');
  const u = new URL(config.QUEUE_URL);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port ? Number(u.port) : 4222;
  // Never the URL itself: it may hold a user and password, or a token.
  const where = `${u.protocol}//${u.hostname}:${port}`;
  try {
    await tcpConnect(host, port, timeoutMs);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return r.error(
      `QUEUE_URL: cannot connect to ${where} (${err.message})`,
      'start the NATS server with JetStream (nats-server -js), or correct QUEUE_URL',
    );
  }
  if (config.DATABASE_URL.startsWith('sqlite:'))
    return r.warning(
      `${where} accepts connections, but DATABASE_URL is SQLite: only processes sharing one Postgres database can share the work`,
      'set DATABASE_URL to a postgres:// URL, or QUEUE_URL=local for one process',
    );
  return r.ok(`${where} accepts connections (start checks JetStream)`);
}

/** The policy in force, as start-up loads it; a bad `PASSERELLE_POLICY` file stops start-up. */
export function checkPolicy(config: Config): { result: CheckResult; policy?: Policy } {
  const r = resultsFor('policy');
  try {
    const policy = loadPolicy(config.PASSERELLE_POLICY, {
      whatsappMessagesPerSecond: config.WHATSAPP_MESSAGES_PER_SECOND,
      whatsappPairBurst: config.WHATSAPP_PAIR_BURST,
    });
    const where = config.PASSERELLE_POLICY ?? 'the shipped rules';
    return { result: r.ok(`${where}: valid`), policy };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : '';
    return {
      result: r.error(
        `PASSERELLE_POLICY: ${err.problems[0]}${more}`,
        `see every problem with "passerelle policy check ${config.PASSERELLE_POLICY ?? '<file>'}"`,
      ),
    };
  }
}

/** The knowledge base start-up would load (the bundled sample when `PASSERELLE_KB` is unset). */
export function checkKnowledgeBase(config: Config): CheckResult {
  const r = resultsFor('knowledge base');
  const path = config.PASSERELLE_KB ?? SAMPLE_KB;
  try {
    const kb = loadKnowledgeBase(path);
    return r.ok(
      `${config.PASSERELLE_KB ?? 'the bundled sample'}: ${kb.entries.length} entries${config.PASSERELLE_KB ? '' : ' (set PASSERELLE_KB to your own)'}`,
    );
  } catch (err) {
    if (!(err instanceof KbError)) throw err;
    const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : '';
    return r.error(
      `PASSERELLE_KB: ${err.problems[0]}${more}`,
      'correct the entry named, or point PASSERELLE_KB at a folder of Markdown files or one JSON/YAML file',
    );
  }
}
