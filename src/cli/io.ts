import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { migratorFor, openStore, type Store } from '../store/db.ts';

/** Where the data commands (`export`, `import`, `erase`, `sunset`) write; replaceable in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const consoleIo: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * Opens the database the configuration names, for a command that works on existing data: never
 * creates an empty SQLite file, and refuses a database with migrations pending (the command would
 * miss tables). Says why and sets exit code 2 when it returns undefined.
 */
export async function openExistingStore(
  program: Command,
  io: CliIo,
): Promise<(Store & { config: Config }) | undefined> {
  const globals = program.opts<{ config?: string }>();
  const config = loadConfig(globals.config ? { file: globals.config } : {});
  const file = config.DATABASE_URL.startsWith('sqlite:') ? config.DATABASE_URL.slice('sqlite:'.length) : null;
  if (file !== null && file !== ':memory:' && !existsSync(file)) {
    io.err(`No database at ${file} (DATABASE_URL).`);
    process.exitCode = 2;
    return undefined;
  }
  const store = openStore({ url: config.DATABASE_URL });
  try {
    const migrations = await (await migratorFor(store.db, store.dialect)).getMigrations();
    const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    if (pending.length === 0) return Object.assign(store, { config });
    io.err(
      `The database is not up to date (pending: ${pending.join(', ')}): run "passerelle migrate" first.`,
    );
  } catch (err) {
    await store.close();
    throw err;
  }
  await store.close();
  process.exitCode = 2;
  return undefined;
}

/**
 * Runs `work` on the configured database (see `openExistingStore`) and closes it. An error of one of
 * the `expected` classes is printed and exits with 2; others propagate.
 */
export async function withExistingStore(
  program: Command,
  io: CliIo,
  work: (store: Store & { config: Config }) => Promise<void>,
  expected: (new (...args: never[]) => Error)[] = [],
): Promise<void> {
  const store = await openExistingStore(program, io);
  if (!store) return;
  try {
    await work(store);
  } catch (err) {
    if (!expected.some((E) => err instanceof E)) throw err;
    io.err((err as Error).message);
    process.exitCode = 2;
  } finally {
    await store.close();
  }
}
