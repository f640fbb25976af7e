/**
 * The scheduling both work queues share: items of one key (a conversation) run one batch at a time,
 * in arrival order; different keys run concurrently, up to `concurrency` batches at once, each batch
 * at most `maxBatch` items of its key. What an item is (an inbox id, a NATS message) and what running
 * a batch means is the queue's.
 */
export class KeyedBatches<T> {
  readonly #queued = new Map<string, T[]>();
  /** Keys with waiting items and no running batch, in the order they became ready. */
  readonly #ready: string[] = [];
  readonly #running = new Set<string>();
  readonly #inFlight = new Map<Promise<void>, T[]>();
  #waiting = 0;

  constructor(private readonly limits: { concurrency: number; maxBatch: number }) {}

  /** Queues an item behind the others of its key. */
  add(key: string, item: T): void {
    let q = this.#queued.get(key);
    if (!q) {
      q = [];
      this.#queued.set(key, q);
      if (!this.#running.has(key)) this.#ready.push(key);
    }
    q.push(item);
    this.#waiting++;
  }

  /**
   * Starts batches while slots are free. `run` processes one batch and must not reject; `settled`
   * is called once it has finished (the key's next batch may start then: call `start` again).
   */
  start(run: (key: string, batch: T[]) => Promise<void>, settled: (batch: T[]) => void): void {
    while (this.#running.size < this.limits.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const q = this.#queued.get(key);
      if (!q || q.length === 0) {
        this.#queued.delete(key);
        continue;
      }
      const batch = q.splice(0, this.limits.maxBatch);
      if (q.length === 0) this.#queued.delete(key);
      this.#waiting -= batch.length;
      this.#running.add(key);
      const p: Promise<void> = run(key, batch).finally(() => {
        this.#running.delete(key);
        this.#inFlight.delete(p);
        if (this.#queued.has(key)) this.#ready.push(key);
        settled(batch);
      });
      this.#inFlight.set(p, batch);
    }
  }

  /** Items waiting for their key's turn or a free slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /** The waiting items, each key's in order. */
  *waitingItems(): Iterable<T> {
    for (const q of this.#queued.values()) yield* q;
  }

  /** Removes every waiting item and returns them (stopping: they go back to the source). */
  takeWaiting(): T[] {
    const all = [...this.waitingItems()];
    this.#queued.clear();
    this.#ready.length = 0;
    this.#waiting = 0;
    return all;
  }

  /** The running batches: their completion, and their items. */
  get inFlight(): ReadonlyMap<Promise<void>, readonly T[]> {
    return this.#inFlight;
  }
}
