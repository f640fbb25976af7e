import pg from 'pg';
import {
  Kysely,
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type PostgresPool,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';
import type { Database } from './schema.ts';

/**
 * The Postgres side of the store: a `pg` pool under Kysely's `PostgresDialect`. Everything specific to
 * Postgres is decided here, once, when the store is opened; repositories are the same on both dialects.
 *
 * - `bigint` columns (Unix-millisecond times, `count(*)`) come back from `pg` as strings: they are
 *   parsed to numbers, for this pool only (no global `pg.types` change). They fit a JS number.
 * - Each transaction holds one pooled connection until it ends (Kysely takes one per transaction);
 *   statements outside a transaction take any free connection.
 * - Pool size: `pool_size` in the URL's query (`postgres://…/db?pool_size=20`), default 10.
 */

const INT8 = 20;
const DEFAULT_POOL_SIZE = 10;

/** Type parsers for this pool: `int8` as a number, everything else as `pg` parses it by default. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface PostgresTarget {
  /** The connection string handed to `pg`, without our own parameters. */
  connectionString: string;
  poolSize: number;
  /** The URL with its password hidden, for messages and logs. */
  display: string;
}

/** Splits our own parameters (`pool_size`) off a `postgres://` URL. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL: not a valid postgres:// URL');
  }
  let poolSize = DEFAULT_POOL_SIZE;
  const raw = parsed.searchParams.get('pool_size');
  if (raw !== null) {
    poolSize = Number(raw);
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
      throw new Error(`DATABASE_URL: pool_size must be an integer from 1 to 1000, got "${raw}"`);
    }
    parsed.searchParams.delete('pool_size');
  }
  const connectionString = parsed.toString();
  if (parsed.password) parsed.password = '***';
  return { connectionString, poolSize, display: parsed.toString() };
}

/** Errors of `pool.connect()`: the server could not be reached, or refused us. Named for the operator. */
function unreachable(target: PostgresTarget, err: unknown): Error {
  const reason = err instanceof Error ? err.message || String((err as { code?: string }).code) : String(err);
  return new Error(`DATABASE_URL: cannot connect to the Postgres server at ${target.display}: ${reason}`, {
    cause: err,
  });
}

export interface PostgresHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  target: PostgresTarget;
}

/** Opens a pool (connections are made on first use) and the Kysely instance over it. */
export function openPostgres(url: string): PostgresHandle {
  const target = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: target.poolSize,
    types,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that breaks (server restart) must not crash the process: the pool drops it.
  pool.on('error', () => {});
  const wrapped: PostgresPool = {
    async connect() {
      try {
        return await pool.connect();
      } catch (err) {
        throw unreachable(target, err);
      }
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new OwnSchemaDialect({ pool: wrapped }) });
  return { db, pool, target };
}

/**
 * Kysely's Postgres introspection reads the columns of every table of every schema. The migrator uses
 * it only to ask whether its two tables exist, and a schema dropped meanwhile by another client (other
 * apps, parallel tests) makes that catalog scan fail. This introspector looks at the current schema
 * only, by name.
 */
class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return r.rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm')`.execute(this.db);
    return r.rows.map((t) => ({
      name: t.name,
      schema: t.schema,
      isView: t.kind === 'v' || t.kind === 'm',
      columns: [],
    }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class OwnSchemaDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}
