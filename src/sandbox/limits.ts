import type { SandboxClock } from './clock.ts';
import type { SandboxSettings } from './options.ts';

/**
 * A token bucket on the sandbox clock: holds up to `capacity` tokens, refills `perMs` tokens per
 * millisecond, and starts full (so bursts up to `capacity` pass at once, spec §3 "borrow").
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.#tokens = Math.min(this.capacity, this.#tokens + Math.max(0, now - this.#at) * this.perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * The Cloud API's send limits (spec §3): throughput per business number (130429), the pair rate per
 * (number, recipient) (131056) and the optional per-user marketing cap (131049). Buckets are created
 * lazily from the current settings; `reset()` forgets them after a settings change.
 */
export class SendLimits {
  #throughput = new Map<string, TokenBucket>();
  #pairs = new Map<string, TokenBucket>();
  #marketing = new Map<string, number[]>();
  #lastThroughputReport = -Infinity;

  constructor(
    private readonly clock: SandboxClock,
    private readonly settings: () => SandboxSettings,
  ) {}

  /** False when this number has used its messages-per-second budget. */
  takeThroughput(phoneNumberId: string): boolean {
    const now = this.clock.now();
    let bucket = this.#throughput.get(phoneNumberId);
    if (!bucket) {
      const mps = this.settings().throughputPerSecond;
      bucket = new TokenBucket(mps, mps / 1000, now);
      this.#throughput.set(phoneNumberId, bucket);
    }
    return bucket.take(now);
  }

  /** False when this recipient got too many messages from this number lately. */
  takePair(phoneNumberId: string, userKey: string): boolean {
    const rate = this.settings().pairRate;
    if (!rate) return true;
    const now = this.clock.now();
    const key = `${phoneNumberId}:${userKey}`;
    let bucket = this.#pairs.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate.burst, 1 / (rate.perSeconds * 1000), now);
      this.#pairs.set(key, bucket);
    }
    return bucket.take(now);
  }

  /** Counts one marketing template to the user; false when it goes over the cap. */
  takeMarketing(userKey: string): boolean {
    const cap = this.settings().marketingCap;
    if (!cap) return true;
    const now = this.clock.now();
    const recent = (this.#marketing.get(userKey) ?? []).filter((t) => t > now - cap.perMs);
    if (recent.length >= cap.perUser) {
      this.#marketing.set(userKey, recent);
      return false;
    }
    recent.push(now);
    this.#marketing.set(userKey, recent);
    return true;
  }

  /** Whether to send a `value.errors` 130429 webhook now: at most one per sandbox second. */
  shouldReportThroughput(): boolean {
    const now = this.clock.now();
    if (now - this.#lastThroughputReport < 1000) return false;
    this.#lastThroughputReport = now;
    return true;
  }

  reset(): void {
    this.#throughput.clear();
    this.#pairs.clear();
    this.#marketing.clear();
  }
}
