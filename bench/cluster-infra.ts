import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/**
 * The shared state of the cluster scenario: a Postgres database and a NATS JetStream server, both
 * already running (the bench starts neither). `BENCH_POSTGRES_URL` (default: the local test server,
 * `postgres://postgres@127.0.0.1:5432/test`) and `BENCH_NATS_URL` (default `nats://127.0.0.1:4222`).
 * Each measurement gets a fresh schema and a fresh stream, named `bench_…` and `BENCH_…`, removed after
 * it (a run killed half-way may leave one behind: they are safe to drop).
 */

export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';

async function withPostgres<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the cluster scenario cannot run here (Postgres or NATS JetStream not answering), or undefined. */
export async function clusterUnavailable(): Promise<string | undefined> {
  try {
    await withPostgres((c) => c.query('select 1'));
  } catch (err) {
    return `no Postgres at ${BENCH_POSTGRES_URL} (${err instanceof Error ? err.message : String(err)})`;
  }
  try {
    const nc = await connect({ servers: BENCH_NATS_URL, timeout: 3000, reconnect: false });
    try {
      await jetstreamManager(nc);
    } finally {
      await nc.close();
    }
  } catch (err) {
    return `no NATS JetStream at ${BENCH_NATS_URL} (${err instanceof Error ? err.message : String(err)})`;
  }
  return undefined;
}

/** A fresh schema, reached through `search_path` in the URL, as the tests do. */
export interface BenchSchema {
  url: string;
  drop(): Promise<void>;
}

export async function createSchema(): Promise<BenchSchema> {
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withPostgres((c) => c.query(`create schema ${schema}`));
  const url = new URL(BENCH_POSTGRES_URL);
  // Settings already in the URL's `options` (e.g. `-c synchronous_commit=off`, to experiment) stay.
  const options = url.searchParams.get('options');
  url.searchParams.set('options', `${options ? `${options} ` : ''}-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: () => withPostgres((c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined),
  };
}

/** A stream name for one measurement; the gateways create the stream, `deleteStream` removes it. */
export function streamName(): string {
  return `BENCH_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function deleteStream(name: string): Promise<void> {
  const nc = await connect({ servers: BENCH_NATS_URL, timeout: 3000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}

/**
 * The pids of the Postgres server (postmaster and backends) and of `nats-server` on this machine, by
 * `/proc/<pid>/comm`, to meter their CPU: on one machine they compete with the gateways for the cores.
 * Empty when they run elsewhere (or in a container whose processes are not visible).
 */
export function serverPids(): { postgres: number[]; nats: number[] } {
  const out = { postgres: [] as number[], nats: [] as number[] };
  const comm = (pid: string): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return ''; // gone meanwhile
    }
  };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out; // no /proc
  }
  for (const pid of pids) {
    const name = comm(pid);
    if (name.startsWith('postgres')) out.postgres.push(Number(pid));
    else if (name === 'nats-server') out.nats.push(Number(pid));
  }
  return out;
}
