import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import type { Db } from '../../src/store/db.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';
import { IngestPressure } from '../../src/store/ingest-pressure.ts';
import { nested } from '../../src/store/sql.ts';
import {
  countTransactions,
  DIALECTS,
  failAtCommit,
  openTestStore,
  readCommitted,
  type TestStore,
} from '../helpers/db.ts';

/**
 * Group commit keeps the guarantees of one transaction per unit: each unit is atomic, a unit's
 * promise resolves only once its changes are committed (visible to another connection), and a
 * failing unit takes nobody else down.
 */
/** A pressure that is always on: the pacing alone is under test. */
class Flood extends IngestPressure {
  override active(): boolean {
    return true;
  }
}

let store: TestStore;

/** Rows of `people` as another connection sees them: only what is committed. */
async function committedPeople(): Promise<string[]> {
  const rows = await readCommitted<{ display_name: string }>(
    store.database,
    'select display_name from people order by display_name',
  );
  return rows.map((r) => r.display_name);
}

function person(db: Db, name: string) {
  return db
    .insertInto('people')
    .values({ id: newId(), display_name: name, language: null, created_at: 0, updated_at: 0 })
    .execute();
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect, { file: true });
  });
  afterEach(() => store.close());

  describe('GroupCommit', () => {
    it('commits the units of one turn in one transaction, each resolving after the commit', async () => {
      // No time budget (a slow, loaded machine could exceed the default 5 ms between units).
      const gc = new GroupCommit(store.db, { budgetMs: Infinity });
      const transactions = countTransactions(store.db);
      const seenAtResolve: string[][] = [];
      const units = ['a', 'b', 'c'].map((name) =>
        gc.run(async (trx) => {
          await person(trx, name);
          return name;
        }),
      );
      const reads = units.map((u) => u.then(async () => seenAtResolve.push(await committedPeople())));
      expect(await Promise.all(units)).toEqual(['a', 'b', 'c']);
      await Promise.all(reads);
      expect(transactions()).toBe(1);
      // Every unit's promise resolved after the commit: another connection already saw all three.
      for (const seen of seenAtResolve) expect(seen).toEqual(['a', 'b', 'c']);
    });

    it('rolls back only the unit that throws, which alone rejects', async () => {
      const gc = new GroupCommit(store.db);
      const ok1 = gc.run((trx) => person(trx, 'kept-1'));
      const bad = gc.run(async (trx) => {
        await person(trx, 'rolled-back');
        throw new Error('unit failed');
      });
      const ok2 = gc.run((trx) => person(trx, 'kept-2'));
      await expect(bad).rejects.toThrow('unit failed');
      await ok1;
      await ok2;
      expect(await committedPeople()).toEqual(['kept-1', 'kept-2']);
    });

    it('rejects every unit of a group whose commit fails, and stores none of them', async () => {
      // No time budget: both units in one group however slow the machine is.
      const gc = new GroupCommit(store.db, { budgetMs: Infinity });
      // A deferred constraint violation is only detected at COMMIT.
      const a = gc.run(async (trx) => {
        await failAtCommit(dialect, trx);
        await person(trx, 'a');
      });
      const b = gc.run((trx) => person(trx, 'b'));
      await expect(a).rejects.toThrow();
      await expect(b).rejects.toThrow();
      expect(await committedPeople()).toEqual([]);
    });

    it('puts ingest units in a transaction of their own, committed first', async () => {
      const gc = new GroupCommit(store.db);
      const order: string[] = [];
      const bg = gc.run(async (trx) => {
        await person(trx, 'background');
        order.push('background');
      });
      const ingest = gc.run(async (trx) => {
        await person(trx, 'ingest');
        order.push('ingest');
      }, 'ingest');
      await Promise.all([bg, ingest]);
      expect(order).toEqual(['ingest', 'background']);
    });

    it('rolls back a failed nested() step of a unit, keeping the rest of the unit and the group', async () => {
      const gc = new GroupCommit(store.db);
      const other = gc.run((trx) => person(trx, 'other'));
      const unit = gc.run(async (trx) => {
        await person(trx, 'before');
        const failed = await nested(trx, async () => {
          await person(trx, 'inside');
          // A failing statement: on Postgres it aborts the transaction up to the savepoint.
          await trx.executeQuery({ sql: 'select * from no_such_table', parameters: [] } as never);
        });
        const ok = await nested(trx, () => person(trx, 'after'));
        return [failed.ok, ok.ok];
      });
      expect(await unit).toEqual([false, true]);
      await other;
      expect(await committedPeople()).toEqual(['after', 'before', 'other']);
    });

    it('defers the units that do not fit in the time budget to a later group, in order', async () => {
      const gc = new GroupCommit(store.db, { budgetMs: 0 });
      const transactions = countTransactions(store.db);
      const names = ['u1', 'u2', 'u3', 'u4'];
      const done: string[] = [];
      await Promise.all(
        names.map((name) =>
          gc.run(async (trx) => {
            await person(trx, name);
            done.push(name);
          }),
        ),
      );
      expect(done).toEqual(names);
      expect(await committedPeople()).toEqual(names);
      // With no budget, each group holds only its first unit.
      expect(transactions()).toBe(4);
    });

    it('gives background work the smaller budget in a turn that also commits webhooks', async () => {
      const gc = new GroupCommit(store.db, { budgetMs: Infinity, busyBudgetMs: 0 });
      const transactions = countTransactions(store.db);
      const background = ['b1', 'b2', 'b3'].map((name) => gc.run((trx) => person(trx, name)));
      const ingest = gc.run((trx) => person(trx, 'w1'), 'ingest');
      await Promise.all([...background, ingest]);
      // First turn: the ingest group, then b1 alone (no budget left for b2); b2 and b3, with no
      // webhook waiting any more, share the next turn's group.
      expect(transactions()).toBe(3);
      expect(await committedPeople()).toEqual(['b1', 'b2', 'b3', 'w1']);
    });
    it('spaces background groups a slice apart, commits webhooks meanwhile, and loses nothing', async () => {
      const sliceMs = 30;
      const gc = new GroupCommit(store.db, {
        maxGroup: 1,
        budgetMs: Infinity,
        pressure: new Flood({ sliceMs }),
      });
      const transactions = countTransactions(store.db);
      const started: number[] = [];
      const order: string[] = [];
      const unit = (name: string) => async (trx: Db) => {
        order.push(name);
        await person(trx, name);
      };
      const background = ['b1', 'b2', 'b3'].map((name) =>
        gc.run(async (trx) => {
          started.push(performance.now());
          await unit(name)(trx);
        }),
      );
      // A webhook arriving while the second background group waits for its slice is not held with it.
      await background[0];
      await gc.run(unit('w1'), 'ingest');
      await Promise.all(background);

      expect(order).toEqual(['b1', 'w1', 'b2', 'b3']);
      for (let i = 1; i < started.length; i++)
        // Timers may fire up to a millisecond early against performance.now().
        expect(started[i]! - started[i - 1]!).toBeGreaterThanOrEqual(sliceMs - 1.5);
      expect(transactions()).toBe(4);
      const names = await store.db
        .selectFrom('people')
        .select('display_name')
        .orderBy('display_name')
        .execute();
      expect(names.map((r) => r.display_name)).toEqual(['b1', 'b2', 'b3', 'w1']);
    });
  });
});
