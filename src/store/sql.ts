import { CompiledQuery, type Compilable } from 'kysely';
import type { Db } from './db.ts';

/**
 * Prepared queries for the hot path. A query is still written with Kysely's builder, so its SQL is
 * compiled by the dialect in use and stays portable, but it is built and compiled **once**: its
 * parameters are named placeholders (`arg('id')`), replaced by each call's values. Building and
 * compiling a query costs more than SQLite takes to run most of the gateway's statements, and the
 * gateway runs the same few dozen statements for every message. Execution still goes through
 * Kysely (`db.executeQuery`), so connections, transactions and their ordering are unchanged.
 *
 * `in` lists: `args('ids', n)` stands for a list of `n` values; one compiled form is kept per length
 * (`PreparedList`). The same class keeps one compiled form per value of a literal, such as a limit.
 *
 * Do not bind a `limit` (`.limit(arg(…))`, or Kysely's `.limit(n)`, which binds it): SQLite then plans
 * the statement again on every run (its OR and ORDER BY optimisations depend on the limit's value);
 * compile it in with `sql.lit(n)`.
 */

const MARK = '\u0000arg:';

/**
 * A named parameter of a prepared query. Typed as the value it stands for where the builder's context
 * says so; elsewhere as `never`, which fits any operand (the arguments object is typed by `Prepared`).
 */
export function arg<T = never>(name: string): T {
  return `${MARK}${name}` as unknown as T;
}

/** `n` parameters standing for the elements of the list argument `name`. */
export function args<T = never>(name: string, n: number): T[] {
  return Array.from({ length: n }, (_, i) => arg<T>(`${name}.${i}`));
}

interface Slot {
  name: string;
  index: number; // -1: a scalar argument
}

interface Template {
  sql: string;
  parameters: readonly unknown[];
  /** Per parameter: the argument it takes, or undefined for a constant compiled in. */
  slots: (Slot | undefined)[];
}

function template(q: Compilable<unknown>): Template {
  const c = q.compile();
  // Some builders inline values as literals (e.g. `case … else <value>`): that would bind nothing.
  if (c.sql.includes(MARK)) throw new Error(`prepared query inlines an argument: ${c.sql}`);
  const slots = c.parameters.map((p): Slot | undefined => {
    if (typeof p !== 'string' || !p.startsWith(MARK)) return undefined;
    const name = p.slice(MARK.length);
    const dot = name.lastIndexOf('.');
    return dot > 0 && /^\d+$/.test(name.slice(dot + 1))
      ? { name: name.slice(0, dot), index: Number(name.slice(dot + 1)) }
      : { name, index: -1 };
  });
  return { sql: c.sql, parameters: c.parameters, slots };
}

function bind(t: Template, values: Record<string, unknown>): CompiledQuery {
  const params = new Array<unknown>(t.parameters.length);
  for (let i = 0; i < params.length; i++) {
    const s = t.slots[i];
    if (s === undefined) params[i] = t.parameters[i];
    else {
      const v = s.index < 0 ? values[s.name] : (values[s.name] as readonly unknown[])[s.index];
      // SQLite cannot bind `undefined`; a missing optional value is SQL NULL.
      params[i] = v === undefined ? null : v;
    }
  }
  return CompiledQuery.raw(t.sql, params);
}

/**
 * The compiled form depends on the dialect only; it is kept per dialect adapter class, so stores of
 * several dialects can share one process.
 */
function adapterOf(db: Db): unknown {
  return db.getExecutor().adapter.constructor;
}

/** A query compiled once per dialect, run with named arguments `A`, returning rows `R`. */
export class Prepared<A extends Record<string, unknown>, R = never> {
  readonly #build: (db: Db) => Compilable<unknown>;
  readonly #templates = new Map<unknown, Template>();

  constructor(build: (db: Db) => Compilable<unknown>) {
    this.#build = build;
  }

  compiled(db: Db, values: A): CompiledQuery {
    const key = adapterOf(db);
    let t = this.#templates.get(key);
    if (!t) {
      t = template(this.#build(db));
      this.#templates.set(key, t);
    }
    return bind(t, values);
  }

  async all(db: Db, values: A): Promise<R[]> {
    return (await db.executeQuery(this.compiled(db, values))).rows as R[];
  }

  async first(db: Db, values: A): Promise<R | undefined> {
    return (await this.all(db, values))[0];
  }

  /** Runs a statement; returns the number of rows it changed. */
  async run(db: Db, values: A): Promise<number> {
    const r = await db.executeQuery(this.compiled(db, values));
    return Number(r.numAffectedRows ?? 0n);
  }
}

/**
 * A prepared query with one list argument of variable length (`where id in (...)`): one compiled
 * form per length, built on first use of that length.
 */
export class PreparedList<A extends Record<string, unknown>, R = never> {
  readonly #build: (db: Db, n: number) => Compilable<unknown>;
  readonly #byLength = new Map<number, Prepared<A, R>>();

  constructor(build: (db: Db, n: number) => Compilable<unknown>) {
    this.#build = build;
  }

  #for(n: number): Prepared<A, R> {
    let p = this.#byLength.get(n);
    if (!p) {
      p = new Prepared<A, R>((db) => this.#build(db, n));
      this.#byLength.set(n, p);
    }
    return p;
  }

  all(db: Db, n: number, values: A): Promise<R[]> {
    return this.#for(n).all(db, values);
  }

  run(db: Db, n: number, values: A): Promise<number> {
    return this.#for(n).run(db, values);
  }
}

const NESTED = CompiledQuery.raw('savepoint nested');
const NESTED_RELEASE = CompiledQuery.raw('release nested');
const NESTED_ROLLBACK = CompiledQuery.raw('rollback to nested');

/**
 * Runs `work` inside a savepoint of the caller's transaction: if it throws, its changes are rolled
 * back and the error is returned, while what the transaction did before stays (to be committed).
 */
export async function nested<T>(
  trx: Db,
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> {
  await trx.executeQuery(NESTED);
  try {
    const value = await work();
    await trx.executeQuery(NESTED_RELEASE);
    return { ok: true, value };
  } catch (err) {
    await trx.executeQuery(NESTED_ROLLBACK);
    await trx.executeQuery(NESTED_RELEASE);
    return { ok: false, err };
  }
}
