/** A scheduled callback on the sandbox clock; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

interface Timer {
  due: number;
  fn: () => void;
  real: NodeJS.Timeout;
}

/**
 * Sandbox time: real time plus an offset that tests (and the phone page) move forward with `advance`.
 * Everything time-based in the emulator reads this clock — the 24-hour window, token buckets, media
 * URL expiry, status delays and webhook back-off — so a test can close a window or skip a retry delay
 * without waiting. Timers fire on their own in real time, and at once when `advance` jumps past them.
 */
export class SandboxClock {
  #offset: number;
  readonly #timers = new Set<Timer>();

  /** `startMs`: the sandbox's Unix time (ms) at creation; defaults to the real time. */
  constructor(opts: { startMs?: number } = {}) {
    this.#offset = opts.startMs === undefined ? 0 : opts.startMs - Date.now();
  }

  /** Current sandbox time, Unix milliseconds. */
  now(): number {
    return Date.now() + this.#offset;
  }

  /** Current sandbox time as Meta writes webhook timestamps: a string of Unix seconds (spec §1.3). */
  unixSeconds(at: number = this.now()): string {
    return String(Math.floor(at / 1000));
  }

  /** Runs `fn` once `delayMs` of sandbox time has passed (by real waiting or by `advance`). */
  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer: Timer = {
      due: this.now() + Math.max(0, delayMs),
      fn,
      real: setTimeout(() => this.#fire(timer), Math.max(0, delayMs)),
    };
    this.#timers.add(timer);
    return {
      cancel: () => {
        clearTimeout(timer.real);
        this.#timers.delete(timer);
      },
    };
  }

  /** Resolves after `delayMs` of sandbox time. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, delayMs));
  }

  /**
   * Jumps the clock forward by `ms` and fires, in due order, every timer that is now due — including
   * timers those callbacks schedule within the jump (a status chain, a retry ladder).
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance(ms) needs a non-negative number');
    this.#offset += ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.#nextDue();
      if (!next) return;
      this.#fire(next);
    }
  }

  /** Number of timers still waiting (for diagnostics). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Cancels every timer; used when the sandbox shuts down. */
  close(): void {
    for (const t of this.#timers) clearTimeout(t.real);
    this.#timers.clear();
  }

  #nextDue(): Timer | undefined {
    const now = this.now();
    let best: Timer | undefined;
    for (const t of this.#timers) if (t.due <= now && (!best || t.due < best.due)) best = t;
    return best;
  }

  #fire(timer: Timer): void {
    if (!this.#timers.delete(timer)) return;
    clearTimeout(timer.real);
    timer.fn();
  }
}
