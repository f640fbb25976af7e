import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessageEvent } from '../../src/core/events.ts';
import { InboxIngest } from '../../src/store/inbox-ingest.ts';
import { groupCommit } from '../../src/store/group-commit.ts';
import {
  countTransactions,
  DIALECTS,
  failAtCommit,
  openTestStore,
  readCommitted,
  type TestStore,
} from '../helpers/db.ts';
import { textEvent } from '../helpers/events.ts';

/**
 * The webhook routes' ingest batcher: the requests of one turn of the event loop share one insert
 * and one commit, and each still gets its own outcome, only once its events are committed.
 */
let store: TestStore;

const msg = (id: string, from?: string) => textEvent(id, from, { text: `text of ${id}` });

/** Inbox rows as another connection sees them: only what is committed. */
async function committed(): Promise<{ dedupe_key: string; id: string }[]> {
  return readCommitted<{ dedupe_key: string; id: string }>(
    store.database,
    'select dedupe_key, id from inbox order by id',
  );
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect, { file: true });
  });
  afterEach(() => store.close());

  it('commits the requests of one turn with one insert in one transaction, each resolved after the commit', async () => {
    const ingest = new InboxIngest(store.db);
    const transactions = countTransactions(store.db);
    const requests = [[msg('a1'), msg('a2')], [msg('b1')], [msg('c1'), msg('c2'), msg('c3')]];
    const seen: number[] = [];
    const results = await Promise.all(
      requests.map((events) =>
        ingest.commit(events).then(async (r) => {
          seen.push((await committed()).length);
          return r;
        }),
      ),
    );
    expect(results.map((r) => r.accepted.length)).toEqual([2, 1, 3]);
    expect(results.map((r) => r.duplicates)).toEqual([0, 0, 0]);
    // Each request's items are its own, in its order, with their conversation.
    const rows = await committed();
    expect(rows.map((r) => r.dedupe_key)).toEqual([
      'msg:a1',
      'msg:a2',
      'msg:b1',
      'msg:c1',
      'msg:c2',
      'msg:c3',
    ]);
    expect(results.flatMap((r) => r.accepted.map((a) => a.id))).toEqual(rows.map((r) => r.id));
    expect(results[0]!.accepted[0]!.orderingKey).toBe('whatsapp:106540352242922:16505551234');
    // One transaction for the three requests; every promise resolved after its commit.
    expect(transactions()).toBe(1);
    expect(seen).toEqual([6, 6, 6]);
  });

  it('counts, per request, the duplicates of stored events and of events earlier in the same turn', async () => {
    const ingest = new InboxIngest(store.db);
    await ingest.commit([msg('x')]);
    const [first, second, third] = await Promise.all([
      ingest.commit([msg('x'), msg('y')]), // x is stored already
      ingest.commit([msg('y')]), // y: the same turn's first request has it
      ingest.commit([msg('z'), msg('z')]), // twice in one body
    ]);
    expect(first!.duplicates).toBe(1);
    expect(first!.accepted).toHaveLength(1);
    expect(second).toEqual({ accepted: [], duplicates: 1 });
    expect(third!.duplicates).toBe(1);
    expect(third!.accepted).toHaveLength(1);
    expect((await committed()).map((r) => r.dedupe_key)).toEqual(['msg:x', 'msg:y', 'msg:z']);
  });

  it('stores a turn of more rows than one statement takes, in order', async () => {
    const ingest = new InboxIngest(store.db);
    const ids = Array.from({ length: 150 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    const results = await Promise.all(
      ids.map((id) => ingest.commit([msg(id, String(1000 + (Number(id.slice(1)) % 7)))])),
    );
    expect(results.every((r) => r.accepted.length === 1 && r.duplicates === 0)).toBe(true);
    expect((await committed()).map((r) => r.dedupe_key)).toEqual(ids.map((id) => `msg:${id}`));
  });

  it("refuses only the request whose event the store refuses; the turn's other requests are stored", async () => {
    const ingest = new InboxIngest(store.db);
    // NOT NULL violated by the second request's event: the batch's insert fails, then each request
    // is inserted on its own.
    const bad = { ...msg('bad'), dedupeKey: null } as unknown as InboundMessageEvent;
    const outcomes = await Promise.allSettled([
      ingest.commit([msg('ok-1')]),
      ingest.commit([msg('bad-neighbour'), bad]),
      ingest.commit([msg('ok-2')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The refused request is refused whole: its valid event is not stored either.
    expect((await committed()).map((r) => r.dedupe_key)).toEqual(['msg:ok-1', 'msg:ok-2']);
  });

  it('fails every request of a turn whose COMMIT fails, storing none of them; the next turn works', async () => {
    const ingest = new InboxIngest(store.db);
    const requests = [ingest.commit([msg('a')]), ingest.commit([msg('b')])];
    // Another unit of the same ingest group leaves a constraint that only COMMIT checks.
    const saboteur = groupCommit(store.db).run((trx) => failAtCommit(dialect, trx), 'ingest');
    const outcomes = await Promise.allSettled([...requests, saboteur]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await committed()).toEqual([]);
    expect((await ingest.commit([msg('a')])).accepted).toHaveLength(1);
    if (dialect === 'postgres') await store.db.schema.dropTable('deferred_probe').ifExists().execute();
  });

  it('fails the waiting requests when the transaction cannot start, then starts afresh', async () => {
    const ingest = new InboxIngest(store.db);
    const begin = store.db.transaction.bind(store.db);
    let refuse = true;
    (store.db as { transaction: typeof store.db.transaction }).transaction = () => {
      if (!refuse) return begin();
      refuse = false;
      return {
        execute: () => Promise.reject(new Error('connection refused')),
      } as unknown as ReturnType<typeof begin>;
    };
    const outcomes = await Promise.allSettled([ingest.commit([msg('a')]), ingest.commit([msg('b')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    // A request after the failure is not left waiting behind the failed batch.
    const later = await ingest.commit([msg('a')]);
    expect(later.accepted).toHaveLength(1);
    expect((await committed()).map((r) => r.dedupe_key)).toEqual(['msg:a']);
  });

  it('answers an empty request at once, storing nothing', async () => {
    const ingest = new InboxIngest(store.db);
    expect(await ingest.commit([])).toEqual({ accepted: [], duplicates: 0 });
    expect(await committed()).toEqual([]);
  });
});
