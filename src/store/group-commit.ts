import { CompiledQuery, PostgresAdapter } from 'kysely';
import type { Db } from './db.ts';
import { IngestPressure, type PressureOptions } from './ingest-pressure.ts';

/**
 * Group commit. Units of work submitted during one turn of the event loop run in **one** transaction,
 * once the turn's I/O has been read (`setImmediate`): one commit for all of them instead of one each.
 * On this store a transaction boundary (taking the WAL read lock, appending and checksumming frames at
 * commit) costs more than most statements, and every message crosses several.
 *
 * Guarantees, unchanged from one transaction per unit:
 * - **atomic per unit**: each unit runs inside its own SAVEPOINT; if it throws, its own changes are
 *   rolled back, its promise rejects with its error, and the other units of the group go on;
 * - **durable before resolved**: a unit's promise resolves only after the COMMIT that holds its
 *   changes (a webhook is acknowledged only once its events are committed); if the COMMIT fails,
 *   every unit of the group rejects;
 * - **serial**: units run one after the other, on the single connection, in submission order but
 *   for one case: units a background group had no budget left for go back to the head of their
 *   lane, and on Postgres, where group transactions are chained (one at a time per process, each on
 *   a pooled connection of its own), a group chained meanwhile runs before them. Work whose units
 *   must stay in order submits each after the previous one resolved (the pipeline and the dispatcher
 *   do), which this keeps.
 *
 * A unit must only use the transaction it is given, and must not wait on anything but it (no network
 * call inside): the connection is held until the group commits.
 *
 * Two lanes: `ingest` (webhook inbox writes) is committed first in every turn, on its own, so an
 * acknowledgement never waits behind background work; a `background` (pipeline, dispatcher) group is
 * bounded, by `maxGroup` units and by `budgetMs` of work (`busyBudgetMs` in a turn that also had
 * webhooks to commit): the units that did not fit wait for the next turn, after the next I/O poll. A
 * turn of the event loop stays short, so webhooks keep being read and acknowledged while a backlog is
 * worked off; while they keep coming, the turns are shorter still, and the work that follows each
 * background unit (the assistant, the sends) is cut into smaller slices between acknowledgements.
 * In a flood (`IngestPressure`: webhooks faster than replies could ever leave, on a saturated loop),
 * background groups are also spaced out in time, so most of the loop takes in webhooks.
 */
export type Lane = 'ingest' | 'background';

interface Unit {
  work: (trx: Db) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
const RELEASE = CompiledQuery.raw('release unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to unit');

export class GroupCommit {
  readonly #db: Db;
  readonly #maxGroup: number;
  readonly #budgetMs: number;
  readonly #busyBudgetMs: number;
  readonly #lanes: Record<Lane, Unit[]> = { ingest: [], background: [] };
  #scheduled = false;
  /** Floods: when background groups may start (undefined: no such pacing). */
  readonly #pressure: IngestPressure | undefined;
  /** When the last background group started (`performance.now()`). */
  #lastBackground = -Infinity;
  /** A flush waiting for the next background slice. */
  #deferred: NodeJS.Timeout | undefined;
  /** Postgres: the last group transaction started; the next one starts after it. SQLite: undefined. */
  #tail: Promise<void> | undefined;

  constructor(
    db: Db,
    opts: {
      maxGroup?: number;
      budgetMs?: number;
      busyBudgetMs?: number;
      /** Pacing of background work in a webhook flood; `false`: none. */
      pressure?: Partial<PressureOptions> | IngestPressure | false;
    } = {},
  ) {
    this.#db = db;
    // Chosen once: Kysely serialises transactions on SQLite's single connection, not on a pool.
    if (db.getExecutor().adapter instanceof PostgresAdapter) this.#tail = Promise.resolve();
    this.#maxGroup = opts.maxGroup ?? 128;
    // Measured at 1,000 webhooks/s: 5 ms keeps the ack p99 near 40 ms (10 ms: about 100 ms) and works
    // the backlog off as fast.
    this.#budgetMs = opts.budgetMs ?? 5;
    // With webhooks arriving: 1 ms per turn took closed-loop ingest (32 connections) from ~2,000 to
    // ~4,000–4,600 acknowledgements/s and the ack p99 at 1,000/s from ~35 to ~21 ms; replies sent
    // during such a flood went from ~300 to ~150/s. The steady reply capacity (open loop at 1,000/s)
    // did not move beyond noise (573–737 replies/s either way). A budget scaled with the turn's
    // webhooks (5 ms down to 1 ms at 16) kept only half of the flood's gain. (bench/profile.ts)
    this.#busyBudgetMs = opts.busyBudgetMs ?? 1;
    this.#pressure =
      opts.pressure === false
        ? undefined
        : opts.pressure instanceof IngestPressure
          ? opts.pressure
          : new IngestPressure(opts.pressure);
  }

  /** Runs `work` in the next group transaction; resolves with its result once that committed. */
  run<T>(work: (trx: Db) => Promise<T>, lane: Lane = 'background'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#lanes[lane].push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** A webhook request was taken in (whatever unit holds it): the flood measure counts requests. */
  tookIn(requests = 1): void {
    this.#pressure?.ingested(requests);
  }

  /** Whether webhooks are arriving in a flood (background groups are paced meanwhile). */
  get flooding(): boolean {
    return this.#pressure?.active() ?? false;
  }

  /** Units waiting for the next group. */
  get waiting(): number {
    return this.#lanes.ingest.length + this.#lanes.background.length;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    // Kysely serialises transactions on the connection: the ingest group commits first.
    const ingest = this.#lanes.ingest.splice(0);
    if (ingest.length > 0) this.#start(ingest, Infinity);
    if (this.#lanes.background.length > 0) {
      const now = performance.now();
      const hold = this.#pressure?.holdMs(this.#lastBackground, now) ?? 0;
      if (hold > 0) this.#deferBackground(hold);
      else {
        this.#lastBackground = now;
        const background = this.#lanes.background.splice(0, this.#maxGroup);
        this.#start(background, ingest.length > 0 ? this.#busyBudgetMs : this.#budgetMs);
      }
    }
    // Whatever did not fit goes after the next I/O poll (background work held for its slice: then).
    if (this.#lanes.ingest.length > 0 || (this.#lanes.background.length > 0 && !this.#deferred))
      this.#schedule();
  };

  /** Background work waits `ms` for its next slice; webhooks are still committed meanwhile. */
  #deferBackground(ms: number): void {
    if (this.#deferred) return;
    this.#deferred = setTimeout(() => {
      this.#deferred = undefined;
      this.#schedule();
    }, Math.ceil(ms));
  }

  #start(units: Unit[], budgetMs: number): void {
    if (this.#tail === undefined) void this.#commit(units, budgetMs);
    else this.#tail = this.#tail.then(() => this.#commit(units, budgetMs));
  }

  /**
   * Commits `units` in one transaction; those not started when `budgetMs` ran out go back first.
   * Never rejects: each unit's promise gets its outcome.
   */
  async #commit(units: Unit[], budgetMs: number): Promise<void> {
    if (units.length === 1) {
      const [u] = units;
      return this.#db.transaction().execute(u!.work).then(u!.resolve, u!.reject);
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        const started = performance.now();
        for (const u of units) {
          if (outcomes.length > 0 && performance.now() - started > budgetMs) {
            // Not started: they run in a later group, ahead of anything submitted since.
            this.#lanes.background.unshift(...units.splice(outcomes.length));
            this.#schedule();
            break;
          }
          await trx.executeQuery(SAVEPOINT);
          try {
            outcomes.push({ ok: true, value: await u.work(trx) });
          } catch (err) {
            outcomes.push({ ok: false, err });
            await trx.executeQuery(ROLLBACK_TO);
          }
          await trx.executeQuery(RELEASE);
        }
      });
    } catch (err) {
      for (const u of units) u.reject(err);
      return;
    }
    units.forEach((u, i) => {
      const o = outcomes[i]!;
      if (o.ok) u.resolve(o.value);
      else u.reject(o.err);
    });
  }
}

const groups = new WeakMap<Db, GroupCommit>();

/** The group committer of a store's database (one per `Kysely` instance, created on first use). */
export function groupCommit(db: Db): GroupCommit {
  let g = groups.get(db);
  if (!g) {
    g = new GroupCommit(db);
    groups.set(db, g);
  }
  return g;
}
