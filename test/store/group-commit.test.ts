import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';

/**
 * Group commit keeps the guarantees of one transaction per unit: each unit is atomic, a unit's
 * promise resolves only once its changes are committed (visible to another connection), and a
 * failing unit takes nobody else down.
 */
let dir: string;
let file: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'passerelle-gc-'));
  file = join(dir, 'db.sqlite');
  store = openStore({ url: `sqlite:${file}` });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Rows of `people` as another process would see them: only what is committed. */
function committedPeople(): string[] {
  const other = new Database(file, { readonly: true });
  try {
    return (
      other.prepare('select display_name from people order by display_name').all() as {
        display_name: string;
      }[]
    ).map((r) => r.display_name);
  } finally {
    other.close();
  }
}

function person(db: Db, name: string) {
  return db
    .insertInto('people')
    .values({ id: newId(), display_name: name, language: null, created_at: 0, updated_at: 0 })
    .execute();
}

/** Counts the transactions Kysely starts on the store's connection. */
function countTransactions(db: Db): () => number {
  let n = 0;
  const original = db.transaction.bind(db);
  (db as { transaction: typeof db.transaction }).transaction = () => {
    n++;
    return original();
  };
  return () => n;
}

describe('GroupCommit', () => {
  it('commits the units of one turn in one transaction, each resolving after the commit', async () => {
    const gc = new GroupCommit(store.db);
    const transactions = countTransactions(store.db);
    const seenAtResolve: string[][] = [];
    const units = ['a', 'b', 'c'].map((name) =>
      gc.run(async (trx) => {
        await person(trx, name);
        return name;
      }),
    );
    for (const u of units) void u.then(() => seenAtResolve.push(committedPeople()));
    expect(await Promise.all(units)).toEqual(['a', 'b', 'c']);
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
    expect(committedPeople()).toEqual(['kept-1', 'kept-2']);
  });

  it('rejects every unit of a group whose commit fails, and stores none of them', async () => {
    const gc = new GroupCommit(store.db);
    // A deferred foreign key violation is only detected at COMMIT.
    const a = gc.run(async (trx) => {
      await trx.executeQuery({ sql: 'pragma defer_foreign_keys = on', parameters: [] } as never);
      await person(trx, 'a');
      await trx
        .insertInto('contacts')
        .values({
          id: newId(),
          person_id: 'no-such-person',
          channel: 'whatsapp',
          address: '1',
          wa_id: null,
          user_id: null,
          username: null,
          country_code: null,
          display_name: null,
          created_at: 0,
          last_seen_at: 0,
        })
        .execute();
    });
    const b = gc.run((trx) => person(trx, 'b'));
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
    expect(committedPeople()).toEqual([]);
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
    expect(committedPeople()).toEqual(names);
    // With no budget, each group holds only its first unit.
    expect(transactions()).toBe(4);
  });
});
