import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/db.ts';

/** `passerelle migrate`: applies pending database migrations and exits. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (start does this too)')
    .action(async () => {
      const globals = program.opts<{ config?: string }>();
      const config = loadConfig(globals.config ? { file: globals.config } : {});
      const store = openStore({ url: config.DATABASE_URL });
      try {
        const applied = await store.migrate();
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
      } finally {
        await store.close();
      }
    });
}
