import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { collectExport } from '../identity/export.ts';
import { findPerson, PersonRefError } from '../identity/lookup.ts';
import { EXPORT_FORMATS, renderExport, type ExportFormat } from '../server/export-download.ts';
import { consoleIo, openExistingStore, type CliIo } from './io.ts';

/** Where `export` writes its messages (and the document, without `--out`). */
export type ExportIo = CliIo;

/**
 * `passerelle export <person> [--format json|md|html] [--out <file>]`: everything kept about a person,
 * as the versioned JSON document (`docs/portability.md`) or a readable transcript. The person is a
 * person id or one of their contacts as `<channel>:<address>`. Without `--out`, the document goes to
 * standard output. An unknown or malformed person reference, or a missing SQLite database (which is not
 * created), exits with code 2.
 */
export function registerExport(program: Command, io: ExportIo = consoleIo): void {
  program
    .command('export')
    .description("Export a person's history across channels: JSON (versioned, for import) or a transcript")
    .argument('<person>', 'person id, or a contact as <channel>:<address> (e.g. whatsapp:+33612345678)')
    .addOption(
      new Option('--format <format>', 'json (the full document), md or html (a readable transcript)')
        .choices(EXPORT_FORMATS)
        .default('json'),
    )
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (ref: string, opts: { format: ExportFormat; out?: string }) => {
      // A read-only command: never creates an empty database where none was.
      const store = await openExistingStore(program, io);
      if (!store) return;
      const { config } = store;
      try {
        const { person } = await findPerson(store.db, ref);
        const exp = await collectExport(
          store.db,
          person.id,
          Date.now(),
          config.PUBLIC_URL ? { instance: config.PUBLIC_URL } : {},
        );
        const { body } = renderExport(exp, opts.format);
        if (opts.out) {
          writeFileSync(opts.out, body);
          io.err(`Exported ${exp.messages.length} message(s) of person ${person.id} to ${opts.out}.`);
        } else {
          io.out(body.replace(/\n$/, ''));
        }
      } catch (err) {
        if (!(err instanceof PersonRefError)) throw err;
        io.err(err.reason === 'not_found' ? `No such person: ${err.message}.` : err.message);
        process.exitCode = 2;
      } finally {
        await store.close();
      }
    });
}
