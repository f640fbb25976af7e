import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { pendingInbox, type InboxRef } from '../store/inbox.ts';
import { KeyedBatches } from './keyed-batches.ts';
import type { BatchHandler, WorkQueue } from './port.ts';

export interface LocalQueueOptions {
  db: Db;
  logger: Logger;
  /** Conversations processed at once. */
  concurrency: number;
  /** Most items of one conversation handed over in one batch. */
  maxBatch?: number;
  /** How often the inbox is swept for items this process does not know about (retries, recovery). */
  sweepMs?: number;
}

/**
 * The embedded work queue: the inbox table is the durable queue, this class only schedules. Items of
 * one ordering key run one batch at a time, in arrival order; different keys run concurrently. A
 * periodic sweep picks up items released for retry and anything left by a previous run.
 */
export class LocalQueue implements WorkQueue {
  private readonly batches: KeyedBatches<string>;
  private readonly known = new Set<string>();
  private handler: BatchHandler | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly opts: LocalQueueOptions) {
    this.batches = new KeyedBatches({ concurrency: opts.concurrency, maxBatch: opts.maxBatch ?? 50 });
  }

  async publish(refs: InboxRef[]): Promise<void> {
    for (const r of refs) {
      if (this.known.has(r.id)) continue;
      this.known.add(r.id);
      this.batches.add(r.orderingKey, r.id);
    }
    this.pump();
  }

  async start(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    this.stopping = false;
    await this.sweep();
    const every = this.opts.sweepMs ?? 2000;
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.opts.logger.error({ err }, 'inbox sweep failed'));
    }, every);
    this.sweepTimer.unref();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const all = Promise.allSettled([...this.batches.inFlight.keys()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([all, timeout]);
    clearTimeout(timer);
  }

  depth(): number {
    return this.known.size;
  }

  private async sweep(): Promise<void> {
    if (this.stopping) return;
    const refs = await pendingInbox(this.opts.db, 1000);
    await this.publish(refs);
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler || this.stopping) return;
    this.batches.start(
      (key, ids) =>
        handler(key, ids).catch((err: unknown) =>
          this.opts.logger.error({ err, key }, 'batch handler failed'),
        ),
      (ids) => {
        for (const id of ids) this.known.delete(id);
        this.pump();
      },
    );
  }
}
