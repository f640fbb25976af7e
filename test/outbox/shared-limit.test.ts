import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pauseSharedBucket, sweepSharedBuckets, takeSharedToken } from '../../src/outbox/shared-limit.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;
const T0 = 1_790_000_000_000;

describe.each(DIALECTS)('%s: shared send limits', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('lets a burst through, then one per refill interval, and says how long to wait', async () => {
    const take = (at: number) => takeSharedToken(store.db, 'whatsapp:1065', 3, 1, at);
    for (let i = 0; i < 3; i++) expect(await take(T0)).toEqual({ ok: true });
    expect(await take(T0)).toEqual({ ok: false, waitMs: 1000 });
    expect(await take(T0 + 400)).toEqual({ ok: false, waitMs: 600 });
    expect(await take(T0 + 1000)).toEqual({ ok: true });
    expect(await take(T0 + 1001)).toMatchObject({ ok: false });
    // Refill never goes above the capacity.
    for (let i = 0; i < 3; i++) expect(await take(T0 + 60_000)).toEqual({ ok: true });
    expect(await take(T0 + 60_000)).toMatchObject({ ok: false });
  });

  it('a pause holds every taker back; idle buckets are forgotten', async () => {
    expect(await takeSharedToken(store.db, 'k', 80, 80, T0)).toEqual({ ok: true });
    await pauseSharedBucket(store.db, 'k', 80, 2000, T0);
    expect(await takeSharedToken(store.db, 'k', 80, 80, T0 + 1500)).toMatchObject({ ok: false });
    expect(await takeSharedToken(store.db, 'k', 80, 80, T0 + 2100)).toEqual({ ok: true });
    await sweepSharedBuckets(store.db, 60_000, T0 + 120_000);
    expect(await store.db.selectFrom('rate_buckets').selectAll().execute()).toEqual([]);
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('postgres: several processes', () => {
  it('never lets more through than the bucket holds, whoever asks at the same time', async () => {
    store = await openTestStore('postgres');
    // Four more pools on the same schema: four "processes".
    const others: Store[] = Array.from({ length: 4 }, () => openStore({ url: store.database.url }));
    try {
      const all = [store, ...others];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => takeSharedToken(all[i % all.length]!.db, 'acct', 10, 0.001, T0)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    } finally {
      for (const o of others) await o.close();
      await store.close();
    }
  });
});
