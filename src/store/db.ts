import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { migrationProvider } from './migrations.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface OpenDbOptions {
  /**
   * `sqlite:<path>` (`sqlite::memory:` for an in-memory database) or `postgres://…` (also
   * `postgresql://`; `?pool_size=N` sets the connection pool size, default 10).
   */
  url: string;
  synchronous?: 'normal' | 'full';
}

/** A handle on the store: the Kysely instance plus what the dialect needs for lifecycle. */
export interface Store {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** Runs pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Cheap liveness query for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs as much as running a simple
 * statement. The gateway issues the same few dozen statements over and over, so prepared statements
 * are kept by SQL text (bounded, least recently used first out). Kysely runs one statement at a time
 * on the single connection, so a cached statement is never used twice at once.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    let stmt = cache.get(source);
    if (stmt) {
      cache.delete(source);
    } else {
      stmt = sqlite.prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The migrator of this store's schema. On Postgres it is told the current schema: otherwise Kysely
 * takes another schema's migration tables (a second app, or a test) for ours and fails.
 */
export async function migratorFor(db: Db, dialect: 'sqlite' | 'postgres'): Promise<Migrator> {
  if (dialect === 'sqlite') return new Migrator({ db, provider: migrationProvider });
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return new Migrator({ db, provider: migrationProvider, migrationTableSchema: rows[0]!.schema });
}

function migrateWith(db: Db, dialect: 'sqlite' | 'postgres'): () => Promise<string[]> {
  return async () => {
    const migrator = await migratorFor(db, dialect);
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
}

/**
 * Opens the database named by `url`. SQLite runs in WAL mode with a busy timeout; Postgres through a
 * connection pool (see `postgres.ts`), connecting on first use: a server that cannot be reached is
 * reported, naming DATABASE_URL, by the first query (`migrate()` or `ping()`).
 */
export function openStore(opts: OpenDbOptions): Store {
  if (/^postgres(ql)?:/.test(opts.url)) {
    const { db } = openPostgres(opts.url);
    return {
      db,
      dialect: 'postgres',
      migrate: migrateWith(db, 'postgres'),
      async ping() {
        await sql`select 1`.execute(db);
      },
      async close() {
        await db.destroy();
      },
    };
  }
  if (!opts.url.startsWith('sqlite:')) {
    throw new Error('DATABASE_URL: expected sqlite:<path> or postgres://…');
  }
  const path = opts.url.slice('sqlite:'.length);
  const file = path === ':memory:' ? ':memory:' : resolve(path);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Sorts, GROUP BY and `RETURNING` use ephemeral tables; with the default (file) each one can create
  // and delete a temporary file. They are transient: memory is enough, and far cheaper.
  sqlite.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    migrate: migrateWith(db, 'sqlite'),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
