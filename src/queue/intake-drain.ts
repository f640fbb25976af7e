import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import { groupCommit, type GroupCommit } from '../store/group-commit.ts';
import { insertInboxBatches, type InboxRef } from '../store/inbox.ts';
import type { Overflow } from '../store/inbox-ingest.ts';
import { intakeDepth, takeIntake } from '../store/intake.ts';
import type { WorkQueue } from './port.ts';

export interface IntakeDrainOptions {
  db: Db;
  queue: WorkQueue;
  metrics: Metrics;
  logger: Logger;
  /** Intake rows (webhook requests) moved to the inbox per step. */
  step?: number;
  /** Wait after a failed step before the next (ms). */
  retryMs?: number;
  /** How often to look for rows another process left (ms). */
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
export class IntakeDrain implements Overflow {
  readonly #tx: GroupCommit;
  readonly #flooding: () => boolean;
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
  }

  diverting(): boolean {
    return !this.#empty || this.#flooding();
  }

  diverted(): void {
    this.#empty = false;
    this.#generation++;
    this.#kick();
  }

  /** Looks for rows left by an earlier run (drained in the background) and starts draining. */
  async start(): Promise<void> {
    this.#running = true;
    await this.#look();
    this.#check = setInterval(() => {
      if (this.#empty)
        this.#look().catch((err: unknown) => this.opts.logger.error({ err }, 'intake log check failed'));
    }, this.opts.checkMs ?? 2000);
    this.#check.unref();
  }

  /** Whether the log holds rows (left by an earlier run, or by another process): drain them first. */
  async #look(): Promise<void> {
    const generation = this.#generation;
    if ((await intakeDepth(this.opts.db)) > 0) this.diverted();
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
    });
  }

  async #drain(): Promise<void> {
    const step = this.opts.step ?? 32;
    while (this.#running) {
      const generation = this.#generation;
      let moved: { accepted: InboxRef[]; duplicates: Map<string, number> } | 'busy' | undefined;
      try {
        moved = await this.#tx.run(async (trx) => {
          const rows = await takeIntake(trx, step);
          if (rows === undefined) return 'busy' as const;
          if (rows.length === 0) return undefined;
          const results = await insertInboxBatches(
            trx,
            rows.map((r) => r.events),
            rows.map((r) => r.receivedAt),
          );
          const duplicates = new Map<string, number>();
          results.forEach((r, i) => {
            const channel = rows[i]!.events[0]?.channel;
            if (r.duplicates > 0 && channel)
              duplicates.set(channel, (duplicates.get(channel) ?? 0) + r.duplicates);
          });
          return { accepted: results.flatMap((r) => r.accepted), duplicates };
        });
      } catch (err) {
        this.opts.logger.error({ err }, 'intake drain failed; the requests stay in the log, retrying');
        await this.#pause(this.opts.retryMs ?? 1000);
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
      for (const [channel, n] of moved.duplicates)
        this.opts.metrics.inbound.inc({ channel, kind: 'any', outcome: 'duplicate' }, n);
      // After the commit: a failure to schedule now is recovered by the queue's sweep.
      this.opts.queue
        .publish(moved.accepted)
        .catch((err: unknown) => this.opts.logger.error({ err }, 'queue publish failed'));
    }
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
