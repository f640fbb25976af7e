import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/db.ts';
import {
  claimableForKey,
  claimForKey,
  claimInbox,
  commitToInbox,
  markInboxDone,
  pendingInbox,
  releaseInbox,
} from '../../src/store/inbox.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import { textEvent as msg } from '../helpers/events.ts';

/** `claimForKey` is `claimableForKey` + `claimInbox` in one statement: the same items, in order. */
let store: Store;

const KEY = 'whatsapp:106540352242922:16505551234';

async function three(): Promise<string[]> {
  const { accepted } = await commitToInbox(store.db, [msg('wamid.1'), msg('wamid.2'), msg('wamid.3')]);
  return accepted.map((a) => a.id);
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  describe('claimForKey', () => {
    it('claims every pending item of the key up to the given id, oldest first, in one go', async () => {
      const ids = await three();
      const items = await claimForKey(store.db, KEY, ids[2]!, 'w1', 60_000);
      expect(items.map((i) => i.id)).toEqual(ids);
      expect(items.map((i) => i.attempts)).toEqual([1, 1, 1]);
      expect(items[0]!.event).toMatchObject({ kind: 'message', providerMessageId: 'wamid.1' });
      const rows = await store.db.selectFrom('inbox').select(['state', 'lease_owner']).execute();
      expect(rows.every((r) => r.state === 'processing' && r.lease_owner === 'w1')).toBe(true);
    });

    it('stops below `upTo` and leaves other keys alone', async () => {
      const ids = await three();
      await commitToInbox(store.db, [msg('wamid.other', '33612345678')]);
      const items = await claimForKey(store.db, KEY, ids[1]!, 'w1', 60_000);
      expect(items.map((i) => i.id)).toEqual(ids.slice(0, 2));
      expect(await pendingInbox(store.db, 10)).toHaveLength(2);
    });

    it('never lets a newer item overtake an older one waiting for its retry', async () => {
      const ids = await three();
      await claimInbox(store.db, [ids[1]!], 'w1', 60_000, 1000);
      await releaseInbox(store.db, [ids[1]!], 'boom', 5, 10_000, 1000); // back-off until 11 000
      const now = 5000;
      const items = await claimForKey(store.db, KEY, ids[2]!, 'w2', 60_000, now);
      expect(items.map((i) => i.id)).toEqual([ids[0]]);
      expect(await claimableForKey(store.db, KEY, ids[2]!, now)).toEqual([]); // the same answer
      // The first item is processed; once the back-off is over, the rest goes, in order.
      await markInboxDone(store.db, [ids[0]!], 'w2');
      const later = await claimForKey(store.db, KEY, ids[2]!, 'w2', 60_000, 12_000);
      expect(later.map((i) => i.id)).toEqual(ids.slice(1));
    });

    it('waits behind an item leased by another live worker, and takes over an expired lease', async () => {
      const ids = await three();
      await claimInbox(store.db, [ids[0]!], 'w1', 100, 1000); // leased until 1100
      expect(await claimForKey(store.db, KEY, ids[2]!, 'w2', 60_000, 1050)).toEqual([]);
      const items = await claimForKey(store.db, KEY, ids[2]!, 'w2', 60_000, 1200);
      expect(items.map((i) => i.id)).toEqual(ids);
      expect(items[0]!.attempts).toBe(2);
    });

    it('claims nothing that is done', async () => {
      const ids = await three();
      await store.db.updateTable('inbox').set({ state: 'done' }).execute();
      expect(await claimForKey(store.db, KEY, ids[2]!, 'w1', 60_000)).toEqual([]);
    });
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('postgres: two workers claiming one key at once', () => {
  it('never lease an older and a newer item of one conversation to two workers', async () => {
    store = await openTestStore('postgres');
    try {
      let both = 0;
      for (let round = 0; round < 60; round++) {
        const key = `webchat:web:v${round}`;
        const { accepted } = await commitToInbox(store.db, [
          { ...msg(`r${round}.1`), orderingKey: key, dedupeKey: `r${round}.1` },
          { ...msg(`r${round}.2`), orderingKey: key, dedupeKey: `r${round}.2` },
        ]);
        const [x, y] = accepted.map((a) => a.id);
        // A takes the older item while B, at the same moment, looks at the key up to the newer one.
        const [a, b] = await Promise.all([
          store.db.transaction().execute((trx) => claimForKey(trx, key, x!, 'A', 60_000)),
          store.db.transaction().execute((trx) => claimForKey(trx, key, y!, 'B', 60_000)),
        ]);
        if (a.some((i) => i.id === x) && b.some((i) => i.id === y) && !b.some((i) => i.id === x)) both++;
      }
      expect(both).toBe(0);
    } finally {
      await store.close();
    }
  });
});
