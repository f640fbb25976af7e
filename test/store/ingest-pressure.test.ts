import type { EventLoopUtilization } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { IngestPressure } from '../../src/store/ingest-pressure.ts';

/** An event loop whose utilisation the test sets. */
function loop(initial: number) {
  const state = { utilization: initial };
  const measure = (): EventLoopUtilization => ({ idle: 0, active: 0, utilization: state.utilization });
  return { state, measure };
}

describe('IngestPressure', () => {
  const opts = { windowMs: 100, minRate: 1000, minUtilization: 0.9, sliceMs: 25 };

  /** Feeds `perWindow` requests in each of `windows` windows of 100 ms from `t0`; the state after. */
  function feed(p: IngestPressure, t0: number, windows: number, perWindow: number): boolean {
    let on = false;
    for (let w = 1; w <= windows; w++) {
      p.ingested(perWindow);
      on = p.active(t0 + w * 100);
    }
    return on;
  }

  it('starts in a flood on a saturated event loop, and only then', () => {
    const busy = loop(1);
    // 50 requests per 100 ms = 500/s: no flood, however busy the loop.
    expect(feed(new IngestPressure(opts, busy.measure, 0), 0, 5, 50)).toBe(false);
    // 200 per 100 ms = 2,000/s, but the loop has time to spare: background work is not in the way.
    const idle = loop(0.5);
    expect(feed(new IngestPressure(opts, idle.measure, 0), 0, 5, 200)).toBe(false);
    expect(feed(new IngestPressure(opts, busy.measure, 0), 0, 1, 200)).toBe(true);
  });

  it('lasts while the flood lasts, even once the slicing has freed the loop, and ends with it', () => {
    const l = loop(1);
    const p = new IngestPressure(opts, l.measure, 0);
    expect(feed(p, 0, 1, 200)).toBe(true);
    l.state.utilization = 0.4;
    expect(feed(p, 100, 3, 200)).toBe(true);
    expect(feed(p, 400, 1, 20)).toBe(false);
    // Saturation alone does not bring it back: it takes a flood again.
    l.state.utilization = 1;
    expect(feed(p, 500, 2, 20)).toBe(false);
  });

  it('holds background work until its slice, measured from the last background group', () => {
    const p = new IngestPressure(opts, loop(1).measure, 0);
    expect(p.holdMs(0, 50)).toBe(0); // no pressure yet
    feed(p, 0, 1, 200);
    expect(p.holdMs(90, 100)).toBe(15);
    expect(p.holdMs(75, 100)).toBe(0);
    expect(p.holdMs(-Infinity, 100)).toBe(0);
  });

  it('re-measures on a window that was longer than planned (the rate is per second)', () => {
    const p = new IngestPressure(opts, loop(1).measure, 0);
    p.ingested(200);
    // 200 requests over one second: 200/s, no flood.
    expect(p.active(1000)).toBe(false);
  });
});
