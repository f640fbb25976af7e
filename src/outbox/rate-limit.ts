/** Tolerance for floating-point refill arithmetic. */
const EPSILON = 1e-9;

/**
 * A token bucket: `capacity` sends at once, refilled at `ratePerSec`. Used for the per-number
 * throughput (spec §3: 80 msg/s by default) and the per-recipient pair limit (1 per 6 s, with a burst).
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    readonly capacity: number,
    readonly ratePerSec: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.updated = now;
  }

  /** Takes one token if there is one. */
  tryTake(now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens >= 1 - EPSILON) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available (0 if now). */
  waitMs(now = Date.now()): number {
    this.refill(now);
    return this.tokens >= 1 - EPSILON ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }

  /** Empties the bucket and holds it empty for `ms` (the provider told us to slow down). */
  pause(ms: number, now = Date.now()): void {
    this.tokens = -(ms / 1000) * this.ratePerSec;
    this.updated = now;
  }

  /** True when the bucket is full again and can be forgotten. */
  idle(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    const dt = (now - this.updated) / 1000;
    if (dt > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + dt * this.ratePerSec);
      this.updated = now;
    }
  }
}

/** Buckets by key, created on first use and dropped when idle so memory stays bounded. */
export class BucketMap {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly capacity: number,
    private readonly ratePerSec: number,
  ) {}

  get(key: string, now = Date.now()): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.capacity, this.ratePerSec, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Forgets full buckets. */
  sweep(now = Date.now()): void {
    for (const [k, b] of this.buckets) if (b.idle(now)) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
