import type { Command } from 'commander';
import { erasePerson, previewErasure, type ErasureCounts } from '../identity/erase.ts';
import { findPerson, PersonRefError } from '../identity/lookup.ts';
import { consoleIo, openExistingStore, type CliIo } from './io.ts';

/** What each table holds, as the summary names it. */
const LABELS: [keyof ErasureCounts, string][] = [
  ['people', 'person'],
  ['contacts', 'contacts'],
  ['conversations', 'conversations'],
  ['messages', 'messages'],
  ['message_statuses', 'delivery statuses'],
  ['consents', 'consents'],
  ['outbox', 'outbox items'],
  ['inbox', 'inbox events'],
  ['llm_usage', 'LLM usage records'],
  ['audit_log', 'audit entries'],
  ['link_codes', 'link codes'],
  ['export_links', 'export links'],
  ['campaign_members', 'campaign memberships'],
  ['link_attempts', 'link lockout counters'],
  ['handoffs', 'handoff requests'],
  ['console_reads', 'read markers'],
  ['intake', 'webhook events waiting in the intake log'],
  ['rate_buckets', 'send rate counters'],
];

/** `1 person, 2 contacts, 4 messages, …`: the tables with rows to erase, in this order. */
export function renderCounts(c: ErasureCounts): string {
  const parts = LABELS.filter(([k]) => c[k] > 0).map(([k, label]) => `${c[k]} ${label}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

/**
 * `passerelle erase <person> [--yes]`: erases a person and everything recorded about them (messages,
 * contacts, consents, pending sends, inbox events, audit entries…), leaving one `person.erased` audit
 * entry with counts only. Without `--yes` it prints what would go and exits with 1, changing nothing.
 * An unknown or malformed reference exits with 2.
 */
export function registerErase(program: Command, io: CliIo = consoleIo): void {
  program
    .command('erase')
    .description('Erase a person and everything recorded about them (asks for --yes)')
    .argument(
      '<person>',
      'person id, or <channel>:<address> of one of their contacts (whatsapp:+33612345678)',
    )
    .option('--yes', 'really erase (without it: show what would be erased, and change nothing)')
    .action(async (ref: string, opts: { yes?: boolean }) => {
      const store = await openExistingStore(program, io);
      if (!store) return;
      try {
        const { person, contacts } = await findPerson(store.db, ref);
        const who = `person ${person.id}${contacts.length ? ` (${contacts.map((c) => `${c.channel}:${c.address}`).join(', ')})` : ''}`;
        if (!opts.yes) {
          const counts = await previewErasure(store.db, person.id);
          io.out(`Would erase ${who}: ${renderCounts(counts)}.`);
          io.out('Nothing was changed. Run again with --yes to erase.');
          process.exitCode = 1;
          return;
        }
        const counts = await erasePerson(store.db, person.id, { actor: 'cli' });
        io.out(`Erased ${who}: ${renderCounts(counts)}.`);
      } catch (err) {
        if (!(err instanceof PersonRefError)) throw err;
        io.err(err.message);
        process.exitCode = 2;
      } finally {
        await store.close();
      }
    });
}
