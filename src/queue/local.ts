import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { pendingInbox, type InboxRef } from '../store/inbox.ts';
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
  private readonly queued = new Map<string, string[]>();
  private readonly ready: string[] = [];
  private readonly running = new Set<string>();
  private readonly known = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private handler: BatchHandler | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly opts: LocalQueueOptions) {}

  async publish(refs: InboxRef[]): Promise<void> {
    for (const r of refs) {
      if (this.known.has(r.id)) continue;
      this.known.add(r.id);
      let q = this.queued.get(r.orderingKey);
      if (!q) {
        q = [];
        this.queued.set(r.orderingKey, q);
        if (!this.running.has(r.orderingKey)) this.ready.push(r.orderingKey);
      }
      q.push(r.id);
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
    const all = Promise.allSettled([...this.inFlight]);
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
    while (this.running.size < this.opts.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const q = this.queued.get(key);
      if (!q || q.length === 0) {
        this.queued.delete(key);
        continue;
      }
      const ids = q.splice(0, this.opts.maxBatch ?? 50);
      if (q.length === 0) this.queued.delete(key);
      this.running.add(key);
      const p = handler(key, ids)
        .catch((err: unknown) => this.opts.logger.error({ err, key }, 'batch handler failed'))
        .finally(() => {
          this.running.delete(key);
          for (const id of ids) this.known.delete(id);
          this.inFlight.delete(p);
          if (this.queued.has(key)) this.ready.push(key);
          this.pump();
        });
      this.inFlight.add(p);
    }
  }
}
