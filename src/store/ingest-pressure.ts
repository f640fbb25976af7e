import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * When webhooks arrive faster than this process could ever answer them, acknowledging them comes
 * first: background work (the pipeline, the dispatcher) still runs, in slices spaced `sliceMs` apart,
 * and the rest of the event loop takes in webhooks.
 *
 * Why: a message costs about fifteen times more to process (person, record, assistant, outbox, two
 * Graph calls) than to take in. Once webhooks arrive faster than the replies can leave, the backlog
 * grows whatever the split, and replies are late either way; what the split still decides is whether
 * Meta's deliveries are acknowledged promptly or wait their turn behind replies, and a delivery that
 * waits too long is delivered again. So in a flood the inbox takes the flood, and the backlog is
 * worked off, in order, once it ebbs. Below the rate (e.g. 1,000 webhooks/s here), nothing changes.
 *
 * The pressure is measured over windows of `windowMs`: it **starts** when a window saw at least
 * `minRate` webhooks per second on a saturated event loop (utilisation ≥ `minUtilization`), and
 * **lasts** while they keep arriving at that rate (the slicing itself frees the loop, so saturation
 * is no test of whether it is still needed).
 */
export interface PressureOptions {
  /** Length of a measurement window (ms). */
  windowMs: number;
  /** Webhook requests per second that count as a flood. */
  minRate: number;
  /** Event-loop utilisation (0–1) over a window at which a flood starts the pressure. */
  minUtilization: number;
  /** Under pressure, background groups start at most once per `sliceMs`. */
  sliceMs: number;
}

export const DEFAULT_PRESSURE: PressureOptions = {
  windowMs: 100,
  // About twice the steady reply capacity measured on the reference machine (573–737 replies/s),
  // so the 1,000 webhooks/s of the bench's ack-latency phase keep today's sharing.
  minRate: 1500,
  minUtilization: 0.9,
  // bench/ingest-probe.ts, closed loop of 32 connections, same session (bare node:http: 18,000–
  // 20,000/s): unsliced 3,800–5,500 acks/s; slices of 10 ms 5,400–6,000/s, 25 ms 7,000–7,100/s,
  // 50 ms 7,300–7,900/s, 100 ms 7,600–8,100/s; no pipeline at all 6,600–8,300/s. 25 ms takes most
  // of what there is to take while background work still gets a turn forty times a second.
  sliceMs: 25,
};

export class IngestPressure {
  readonly #opts: PressureOptions;
  readonly #utilization: (since?: EventLoopUtilization) => EventLoopUtilization;
  #windowStart: number;
  #elu: EventLoopUtilization;
  #ingested = 0;
  #on = false;

  constructor(
    opts: Partial<PressureOptions> = {},
    /** The event loop's utilisation since a mark (`performance.eventLoopUtilization`); tests replace it. */
    utilization: (since?: EventLoopUtilization) => EventLoopUtilization = (since) =>
      performance.eventLoopUtilization(since),
    /** When the first window starts (`performance.now()` time). */
    start = performance.now(),
  ) {
    this.#opts = { ...DEFAULT_PRESSURE, ...opts };
    this.#windowStart = start;
    this.#utilization = utilization;
    this.#elu = utilization();
  }

  /** `n` webhook requests were taken in (their inbox units were started). */
  ingested(n: number): void {
    this.#ingested += n;
  }

  /** Whether acknowledgements currently come first (re-measured when a window has passed). */
  active(now = performance.now()): boolean {
    const elapsed = now - this.#windowStart;
    if (elapsed >= this.#opts.windowMs) {
      const rate = (this.#ingested * 1000) / elapsed;
      const flood = rate >= this.#opts.minRate;
      const saturated = this.#utilization(this.#elu).utilization >= this.#opts.minUtilization;
      this.#elu = this.#utilization();
      this.#on = flood && (this.#on || saturated);
      this.#windowStart = now;
      this.#ingested = 0;
    }
    return this.#on;
  }

  /** Milliseconds background work must still wait, given when the last background group started. */
  holdMs(lastBackground: number, now = performance.now()): number {
    if (!this.active(now)) return 0;
    return Math.max(0, lastBackground + this.#opts.sliceMs - now);
  }
}
