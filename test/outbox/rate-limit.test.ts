import { describe, expect, it } from 'vitest';
import { BucketMap, TokenBucket } from '../../src/outbox/rate-limit.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then paces at the rate', () => {
    const b = new TokenBucket(3, 1 / 6, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.waitMs(0)).toBe(6000);
    expect(b.tryTake(5999)).toBe(false);
    expect(b.tryTake(6000)).toBe(true);
  });

  it('holds empty after a pause', () => {
    const b = new TokenBucket(80, 80, 0);
    b.pause(2000, 0);
    expect(b.tryTake(1000)).toBe(false);
    expect(b.tryTake(2013)).toBe(true);
  });

  it('forgets idle buckets', () => {
    const m = new BucketMap(2, 1);
    m.get('a', 0).tryTake(0);
    m.get('b', 0);
    m.sweep(0);
    expect(m.size).toBe(1);
    m.sweep(5000);
    expect(m.size).toBe(0);
  });
});
