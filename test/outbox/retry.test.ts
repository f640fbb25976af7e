import { describe, expect, it } from 'vitest';
import type { DeliveryFailure, FailureClass } from '../../src/core/delivery.ts';
import { decideRetry } from '../../src/outbox/retry.ts';

const policy = { maxAttempts: 5, unitMs: 1000, jitter: 0 };
const f = (failure: FailureClass, code: number | string = 1): DeliveryFailure => ({
  failure,
  code,
  message: 'x',
});

describe('decideRetry', () => {
  it('waits 4^x seconds after a pair rate limit (131056, spec §3)', () => {
    const c: FailureClass = { kind: 'throttled', scope: 'recipient' };
    expect(decideRetry(f(c, 131056), 1, policy)).toMatchObject({ action: 'retry', delayMs: 4000 });
    expect(decideRetry(f(c, 131056), 2, policy)).toMatchObject({ action: 'retry', delayMs: 16000 });
    expect(decideRetry(f(c, 131056), 3, policy)).toMatchObject({ action: 'retry', delayMs: 64000 });
  });

  it('backs off exponentially after a throughput limit (130429)', () => {
    const c: FailureClass = { kind: 'throttled', scope: 'account' };
    expect(decideRetry(f(c, 130429), 1, policy)).toMatchObject({ delayMs: 1000 });
    expect(decideRetry(f(c, 130429), 3, policy)).toMatchObject({ delayMs: 4000 });
  });

  it("honours the provider's retry-after hint", () => {
    const c: FailureClass = { kind: 'throttled', scope: 'account', retryAfterMs: 7000 };
    expect(decideRetry(f(c, 429), 1, policy)).toMatchObject({ action: 'retry', delayMs: 7000 });
  });

  it('retries transient failures with growing delays, capped', () => {
    const c: FailureClass = { kind: 'transient' };
    const d = [1, 2, 3, 4].map((a) => decideRetry(f(c, 500), a, { ...policy, maxAttempts: 100 }));
    expect(d.map((x) => (x.action === 'retry' ? x.delayMs : 0))).toEqual([1000, 2000, 4000, 8000]);
    const late = decideRetry(f(c, 500), 40, { ...policy, maxAttempts: 100 });
    expect(late).toMatchObject({ delayMs: 300_000 });
  });

  it('never retries a permanent error', () => {
    expect(decideRetry(f({ kind: 'permanent' }, 131026), 1, policy)).toMatchObject({ action: 'dead' });
  });

  it('turns a closed window (131047) into a template need', () => {
    expect(decideRetry(f({ kind: 'window_closed' }, 131047), 1, policy).action).toBe('needs_template');
  });

  it('suspends on refused credentials (190) at any attempt, never dead-letters', () => {
    for (const attempt of [1, 5, 50])
      expect(decideRetry(f({ kind: 'unauthorized' }, 190), attempt, policy)).toMatchObject({
        action: 'suspend',
        delayMs: 30 * policy.unitMs,
      });
  });

  it('dead-letters after the last attempt, keeping the reason', () => {
    const d = decideRetry(
      { failure: { kind: 'transient' }, code: 131000, message: 'm', details: 'Something went wrong' },
      5,
      policy,
    );
    expect(d).toEqual({ action: 'dead', reason: 'gave up after 5 attempts: 131000: Something went wrong' });
  });

  it('spreads delays with jitter when asked', () => {
    const d = decideRetry(f({ kind: 'transient' }, 500), 1, { ...policy, jitter: 0.2 }, () => 1);
    expect(d).toMatchObject({ delayMs: 1200 });
  });
});

describe('decideRetry for sends in doubt', () => {
  it('parks a send whose outcome is unknown instead of resending at once', () => {
    expect(decideRetry(f({ kind: 'in_doubt' }, 'timeout'), 1, policy).action).toBe('park');
  });

  it('caps the pair-limit back-off at 15 minutes', () => {
    const d = decideRetry(f({ kind: 'throttled', scope: 'recipient' }, 131056), 7, {
      ...policy,
      maxAttempts: 99,
    });
    expect(d).toMatchObject({ delayMs: 900_000 });
  });
});
