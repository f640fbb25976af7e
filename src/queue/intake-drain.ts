import { PostgresAdapter } from 'kysely';
import type { InboundEvent } from '../core/events.ts';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import { groupCommit, type GroupCommit } from '../store/group-commit.ts';
import { insertInboxBatches, type CommitResult, type InboxRef } from '../store/inbox.ts';
import type { Overflow } from '../store/inbox-ingest.ts';
import { intakeWaiting, parkIntake, takeIntake, type IntakeRow } from '../store/intake.ts';
import { nested } from '../store/sql.ts';
import type { WorkQueue } from './port.ts';

export interface IntakeDrainOptions {
  db: Db;
  queue: WorkQueue;
  metrics: Metrics;
  logger: Logger;
  /** Intake rows (webhook requests) moved to the inbox per step. */
  step?: number;
  /** Wait after a failed step before the next (ms), doubled at each failure in a row (up to 30 s). */
  retryMs?: number;
  /** How often to look for rows another process left (ms; Postgres only). */
  checkMs?: number;
  /** Whether webhooks are arriving in a flood; default: as the store's group commit measures it. */
  flooding?: () => boolean;
}

/**
 * The intake log's two sides (`store/intake.ts`). As the webhook routes' `Overflow`, it says when
 * requests go to the log: while the store's group commit sees a webhook flood, and after one until
 * the log is empty, so a conversation's later messages never overtake the ones still in the log.
 * As a worker, it drains the log into the inbox in the background, oldest first, a step at a time:
 * each step takes rows out of the log and inserts their events into the inbox (duplicates left out,
 * as at the door) in one background transaction, then hands what is new to the work queue. In a
 * flood its steps are paced like the rest of the background work; afterwards the log empties at
 * full speed.
 *
 * Rows left by a process that stopped are drained at the next start, or, with several processes on
 * one Postgres database, by the next process that looks (every `checkMs`). There one process drains at
 * a time, so the log reaches the inbox in order.
 */
interface Moved {
  accepted: InboxRef[];
  duplicates: Map<string, number>;
  /** Rows the inbox refused, kept in the log with the reason. */
  parked: { row: IntakeRow; err: unknown }[];
}

export class IntakeDrain implements Overflow {
  readonly #tx: GroupCommit;
  readonly #flooding: () => boolean;
  /** Several processes may share the log (Postgres). */
  readonly #shared: boolean;
  /** Failed steps in a row: after one, steps take a single row, to find a row the inbox refuses. */
  #failures = 0;
  /** Until `start` has looked: rows may be waiting from an earlier run, so requests are diverted. */
  #empty = false;
  /** Bumped by every diversion: an empty step ends the drain only if nothing was diverted since. */
  #generation = 0;
  #loop: Promise<void> | undefined;
  #running = false;
  #wake: (() => void) | undefined;
  #check: NodeJS.Timeout | undefined;

  constructor(private readonly opts: IntakeDrainOptions) {
    this.#tx = groupCommit(opts.db);
    this.#flooding = opts.flooding ?? (() => this.#tx.flooding);
    this.#shared = opts.db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Whether this process sends deferrable requests to the log (a flood, or its rows not drained). */
  diverting(): boolean {
    return !this.#empty || this.#flooding();
  }

  async divert(trx: Db): Promise<boolean> {
    if (this.diverting()) return true;
    // Another process may have left a conversation's earlier message there (Postgres): behind it.
    return this.#shared && (await intakeWaiting(trx));
  }

  diverted(requests: readonly (readonly InboundEvent[])[] = []): void {
    for (const events of requests) {
      const channel = events[0]?.channel;
      if (channel) this.opts.metrics.intakeRequests.inc({ channel });
    }
    this.#empty = false;
    this.#generation++;
    this.#kick();
  }

  /** Looks for rows left by an earlier run (drained in the background) and starts draining. */
  async start(): Promise<void> {
    this.#running = true;
    await this.#look();
    // Only another process can leave rows behind a running one (Postgres); stopped meanwhile: none.
    if (!this.#shared || !this.#running) return;
    this.#check = setInterval(() => {
      if (this.#running && this.#empty)
        this.#look().catch((err: unknown) => this.opts.logger.error({ err }, 'intake log check failed'));
    }, this.opts.checkMs ?? 2000);
    this.#check.unref();
  }

  /** Whether the log holds rows (left by an earlier run, or by another process): drain them first. */
  async #look(): Promise<void> {
    const generation = this.#generation;
    if (await intakeWaiting(this.opts.db)) this.diverted();
    else if (generation === this.#generation) this.#empty = true;
  }

  /** Stops after the step in progress; rows still in the log wait for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#check);
    this.#wake?.();
    await this.#loop;
  }

  #kick(): void {
    if (!this.#running || this.#loop) return;
    this.#loop = this.#drain().finally(() => {
      this.#loop = undefined;
      // A diversion between the drain's last empty step and now found the loop still there.
      if (!this.#empty) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#running) {
      const generation = this.#generation;
      const step = this.#failures > 0 ? 1 : (this.opts.step ?? 32);
      let moved: Moved | 'busy' | undefined;
      try {
        moved = await this.#tx.run(async (trx) => {
          const rows = await takeIntake(trx, step);
          if (rows === undefined) return 'busy' as const;
          if (rows.length === 0) return undefined;
          return this.#move(trx, rows);
        });
      } catch (err) {
        this.#failures++;
        const wait = Math.min((this.opts.retryMs ?? 1000) * 2 ** (this.#failures - 1), 30_000);
        this.opts.logger.error(
          { err, failures: this.#failures, retryInMs: wait },
          'intake drain failed; the requests stay in the log',
        );
        await this.#pause(wait);
        continue;
      }
      if (moved === 'busy') {
        // Another process is draining (Postgres): the log is not known to be empty until it is seen so.
        await this.#pause(10);
        continue;
      }
      if (!moved) {
        if (generation === this.#generation) {
          this.#empty = true;
          return;
        }
        continue;
      }
      this.#failures = 0;
      for (const { row, err } of moved.parked) {
        this.opts.logger.error(
          { err, intakeId: row.id, events: row.events.length },
          'the inbox refused a request from the intake log: kept there with the reason, the rest goes on',
        );
        for (const e of row.events)
          this.opts.metrics.inbound.inc({ channel: e.channel, kind: e.kind, outcome: 'failed' });
      }
      for (const [channel, n] of moved.duplicates)
        this.opts.metrics.inbound.inc({ channel, kind: 'any', outcome: 'duplicate' }, n);
      // After the commit: a failure to schedule now is recovered by the queue's sweep.
      this.opts.queue
        .publish(moved.accepted)
        .catch((err: unknown) => this.opts.logger.error({ err }, 'queue publish failed'));
    }
  }

  /**
   * The rows' events into the inbox. If the inbox refuses the step, row by row: a row it refuses while
   * others go in is parked (kept in the log with the reason, left out of the drain); if every row is
   * refused, the step fails (the store may be what is failing) and is tried again later, a row at a
   * time, a lone row being parked after three failures in a row.
   */
  async #move(trx: Db, rows: IntakeRow[]): Promise<Moved> {
    const all = await nested(trx, () =>
      insertInboxBatches(
        trx,
        rows.map((r) => r.events),
        rows.map((r) => r.receivedAt),
      ),
    );
    const results: (CommitResult | undefined)[] = [];
    const parked: Moved['parked'] = [];
    if (all.ok) results.push(...all.value);
    else {
      const refused: { row: IntakeRow; err: unknown }[] = [];
      for (const row of rows) {
        const one = await nested(trx, () => insertInboxBatches(trx, [row.events], [row.receivedAt]));
        results.push(one.ok ? one.value[0] : undefined);
        if (!one.ok) refused.push({ row, err: one.err });
      }
      if (refused.length === rows.length && (rows.length > 1 || this.#failures < 3)) throw refused[0]!.err;
      for (const r of refused) {
        await parkIntake(trx, r.row, r.err instanceof Error ? r.err.message : String(r.err));
        parked.push(r);
      }
    }
    const duplicates = new Map<string, number>();
    results.forEach((r, i) => {
      const channel = rows[i]!.events[0]?.channel;
      if (r && r.duplicates > 0 && channel)
        duplicates.set(channel, (duplicates.get(channel) ?? 0) + r.duplicates);
    });
    return { accepted: results.flatMap((r) => r?.accepted ?? []), duplicates, parked };
  }

  /** Waits `ms`, or until `stop`. */
  async #pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }
}
