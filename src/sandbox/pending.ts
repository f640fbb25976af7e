/**
 * Counts work in flight (scheduled statuses, webhook deliveries and their retries) so `idle()` can tell
 * a test when the sandbox has nothing more to send. Each `begin()` returns a `done` callback that is
 * safe to call more than once.
 */
export class PendingWork {
  #count = 0;
  #waiters: (() => void)[] = [];

  begin(): () => void {
    this.#count++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.#count--;
      if (this.#count === 0) queueMicrotask(() => this.#wake());
    };
  }

  get count(): number {
    return this.#count;
  }

  /** Resolves once nothing is in flight (at once when already idle). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    if (this.#count !== 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
