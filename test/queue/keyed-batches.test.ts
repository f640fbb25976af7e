import { describe, expect, it } from 'vitest';
import { KeyedBatches } from '../../src/queue/keyed-batches.ts';

/** The scheduling both work queues share: one batch per key at a time, a cap on batches at once. */
describe('KeyedBatches', () => {
  it('runs one batch per key at a time, in order, at most `concurrency` at once, `maxBatch` items each', async () => {
    const b = new KeyedBatches<string>({ concurrency: 2, maxBatch: 2 });
    for (const [k, v] of [
      ['a', 'a1'],
      ['a', 'a2'],
      ['a', 'a3'],
      ['b', 'b1'],
      ['c', 'c1'],
    ] as const)
      b.add(k, v);
    const started: string[][] = [];
    let running = 0;
    let most = 0;
    const finish: (() => void)[] = [];
    const all = new Promise<void>((done) => {
      let settledCount = 0;
      const run = (_key: string, batch: string[]) => {
        started.push(batch);
        running++;
        most = Math.max(most, running);
        return new Promise<void>((r) => finish.push(() => (running--, r())));
      };
      const settled = () => {
        if (++settledCount === 4) done();
        else b.start(run, settled);
      };
      b.start(run, settled);
    });
    expect(started).toEqual([['a1', 'a2'], ['b1']]);
    expect(b.waiting).toBe(2);
    expect(b.inFlight.size).toBe(2);
    while (finish.length) {
      finish.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await all;
    // a's second batch waited for its first; c waited for a free slot.
    expect(started).toEqual([['a1', 'a2'], ['b1'], ['c1'], ['a3']]);
    expect(most).toBe(2);
    expect(b.waiting).toBe(0);
  });

  it('hands back every waiting item when taken, keeping each key in order', () => {
    const b = new KeyedBatches<number>({ concurrency: 1, maxBatch: 10 });
    b.add('x', 1);
    b.add('y', 2);
    b.add('x', 3);
    expect([...b.waitingItems()]).toEqual([1, 3, 2]);
    expect(b.takeWaiting()).toEqual([1, 3, 2]);
    expect(b.waiting).toBe(0);
    expect([...b.waitingItems()]).toEqual([]);
  });
});
