import type { DeliveryFailure } from '../core/delivery.ts';

export type RetryDecision =
  | { action: 'retry'; delayMs: number; reason: string }
  /** Outcome unknown: wait for proof it went out (or the grace period) before sending again. */
  | { action: 'park'; reason: string }
  | { action: 'needs_template'; reason: string }
  /** The account's credentials were refused: wait (not counted as an attempt), the account paused. */
  | { action: 'suspend'; delayMs: number; reason: string }
  | { action: 'dead'; reason: string };

export interface RetryPolicy {
  maxAttempts: number;
  /** One back-off unit: 1 s in production (spec §3 speaks in seconds); tests compress it. */
  unitMs: number;
  /** Random spread, 0..1, so that many retries do not fire at once. 0 in tests for determinism. */
  jitter?: number;
}

/**
 * What to do after a failed send, from the failure's class and the attempt number (1-based). Pure.
 * - 131056 pair limit: wait 4^x units, as Meta suggests (spec §3), at most 900;
 * - in doubt (timeout, connection lost mid-request): park until proof or the grace period;
 * - 130429 throughput: the provider's hint if any, else 2^(x-1) units, at most 60;
 * - transient (5xx, timeouts): 2^(x-1) units, at most 300;
 * - 131047: no retry — the reply needs a template;
 * - permanent: no retry, dead letter with the reason; and anything after `maxAttempts` is dead too.
 */
export function decideRetry(
  f: DeliveryFailure,
  attempt: number,
  p: RetryPolicy,
  rnd = Math.random,
): RetryDecision {
  const reason = `${f.code}${f.details ? `: ${f.details}` : f.message ? `: ${f.message}` : ''}`;
  const c = f.failure;
  if (c.kind === 'window_closed') return { action: 'needs_template', reason };
  // Until an operator fixes the credentials every try fails the same way: look again every 30 units.
  if (c.kind === 'unauthorized')
    return { action: 'suspend', delayMs: 30 * p.unitMs, reason: `credentials refused: ${reason}` };
  if (c.kind === 'in_doubt') {
    return attempt >= p.maxAttempts
      ? { action: 'dead', reason: `gave up after ${attempt} attempts: ${reason}` }
      : { action: 'park', reason };
  }
  if (c.kind === 'permanent') return { action: 'dead', reason: `permanent error ${reason}` };
  if (attempt >= p.maxAttempts)
    return { action: 'dead', reason: `gave up after ${attempt} attempts: ${reason}` };
  let units: number;
  // Capped so a long run of throttling never parks a reply for hours.
  if (c.kind === 'throttled' && c.scope === 'recipient') units = Math.min(4 ** attempt, 900);
  else if (c.kind === 'throttled')
    units = c.retryAfterMs !== undefined ? c.retryAfterMs / p.unitMs : Math.min(2 ** (attempt - 1), 60);
  else units = Math.min(2 ** (attempt - 1), 300);
  // A provider's retry-after is the least wait it accepts (Telegram's `retry_after`): spread it upward only.
  const hinted = c.kind === 'throttled' && c.retryAfterMs !== undefined;
  const r = rnd() * 2 - 1;
  const spread = 1 + (p.jitter ?? 0.2) * (hinted ? Math.abs(r) : r);
  return { action: 'retry', delayMs: Math.max(1, Math.round(units * p.unitMs * spread)), reason };
}
