import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newId } from '../../src/core/ids.ts';
import { openStore, type Db, type Store } from '../../src/store/db.ts';

/**
 * Stores for tests, on each dialect. SQLite: in memory, or a file in a fresh directory. Postgres: a
 * fresh schema, created for the test and dropped after it, in the database named by
 * `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`, the local server with trust
 * auth). The store reaches its schema through `search_path`, set at connection time.
 *
 * Postgres tests are skipped when the server does not answer, except under `CI=true`: there they run,
 * and fail, since CI must have started the server (`.ci/run` does).
 */

export type Dialect = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether the Postgres test server answers (probed once per test file). */
export const postgresReachable = await answers(POSTGRES_URL);

/** The dialects to run store tests on; Postgres is always there under CI, reachable or not. */
export const DIALECTS: Dialect[] = postgresReachable || inCi ? ['sqlite', 'postgres'] : ['sqlite'];

if (!postgresReachable && !inCi) {
  console.warn(`Postgres tests skipped: no server at ${POSTGRES_URL} (they run, and must pass, under CI)`);
}

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database URL for a test, and how to drop what it created. */
export interface TestDatabase {
  dialect: Dialect;
  url: string;
  /** SQLite: the database file (`file: true`); undefined in memory and on Postgres. */
  file?: string;
  /** Postgres: the schema the URL points at. */
  schema?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test: an in-memory SQLite database (or a file with `file: true`),
 * or a new Postgres schema.
 */
export async function createTestDatabase(
  dialect: Dialect,
  opts: { file?: boolean } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    if (!opts.file) return { dialect, url: 'sqlite::memory:', drop: () => Promise.resolve() };
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-db-'));
    const file = join(dir, 'db.sqlite');
    return {
      dialect,
      url: `sqlite:${file}`,
      file,
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create schema ${schema}`));
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect,
    url: url.toString(),
    schema,
    drop: () => admin((c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined),
  };
}

/** An open, migrated store on a fresh database; `close()` also drops the database. */
export async function openTestStore(dialect: Dialect, opts: { file?: boolean } = {}): Promise<TestStore> {
  const database = await createTestDatabase(dialect, opts);
  const store = openStore({ url: database.url });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    await database.drop();
    throw err;
  }
  return {
    ...store,
    database,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

export interface TestStore extends Store {
  database: TestDatabase;
}

/**
 * Rows of `sql` as another connection sees them: only what is committed. Parameters are `?` on
 * SQLite and `$1…` on Postgres; the statements used in tests take none.
 */
export async function readCommitted<R>(database: TestDatabase, query: string): Promise<R[]> {
  if (database.dialect === 'postgres') {
    const client = new pg.Client({
      connectionString: database.url,
      connectionTimeoutMillis: 5000,
    });
    await client.connect();
    try {
      return (await client.query(query)).rows as R[];
    } finally {
      await client.end();
    }
  }
  if (!database.file) throw new Error('readCommitted on SQLite needs a file database');
  const { default: SQLite } = await import('better-sqlite3');
  const other = new SQLite(database.file, { readonly: true });
  try {
    return other.prepare(query).all() as R[];
  } finally {
    other.close();
  }
}

/** Counts the transactions Kysely starts on the store's connection. */
export function countTransactions(db: Db): () => number {
  let n = 0;
  const original = db.transaction.bind(db);
  (db as { transaction: typeof db.transaction }).transaction = () => {
    n++;
    return original();
  };
  return () => n;
}

/** Statements whose transaction fails at COMMIT (a deferred constraint violated). */
export async function failAtCommit(dialect: Dialect, trx: Db): Promise<void> {
  const run = (sql: string) => trx.executeQuery({ sql, parameters: [] } as never);
  if (dialect === 'sqlite') {
    await run('pragma defer_foreign_keys = on');
    await run(
      `insert into contacts (id, person_id, channel, address, created_at, last_seen_at)
       values ('${newId()}', 'no-such-person', 'whatsapp', '1', 0, 0)`,
    );
  } else {
    await run('create table deferred_probe (k integer, unique (k) deferrable initially deferred)');
    await run('insert into deferred_probe (k) values (1), (1)');
  }
}

/** Makes the store refuse inbox rows with this dedupe key (a trigger), as a store may refuse a row. */
export async function refuseInboxKey(store: TestStore, key: string): Promise<void> {
  const run = (q: string) => store.db.executeQuery({ sql: q, parameters: [] } as never);
  if (store.database.dialect === 'sqlite') {
    await run(`create trigger refuse_key before insert on inbox when new.dedupe_key = '${key}'
      begin select raise(abort, 'refused by the test'); end`);
    return;
  }
  await run(`create function refuse_key() returns trigger language plpgsql as $$
    begin if new.dedupe_key = '${key}' then raise exception 'refused by the test'; end if; return new; end $$`);
  await run('create trigger refuse_key before insert on inbox for each row execute function refuse_key()');
}
