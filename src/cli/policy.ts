import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { loadPolicy, PolicyError } from '../policy/load.ts';
import { openStore } from '../store/db.ts';
import { explainMessage, type Explanation } from '../store/explain.ts';

export { explainMessage, type ExplainedDecision, type Explanation } from '../store/explain.ts';

/** Where `policy` commands write; replaceable in tests. */
export interface PolicyIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: PolicyIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

export function renderExplanation(e: Explanation): string {
  const lines: string[] = [];
  for (const m of e.messages) {
    const items = e.outbox.filter((o) => o.messageId === m.id).map((o) => `outbox ${o.id} ${o.state}`);
    lines.push(
      `${m.direction === 'in' ? 'Message' : 'Reply'} ${m.id} (${m.direction === 'in' ? 'inbound' : 'outbound'}, ${m.channel}, ${m.status}${m.inReplyTo ? `, reply to ${m.inReplyTo}` : ''})${items.length ? `: ${items.join(', ')}` : ''}`,
    );
  }
  if (e.decisions.length === 0) {
    lines.push('No decisions recorded.');
    return lines.join('\n');
  }
  if (lines.length) lines.push('');
  lines.push(`Decisions (${e.decisions.length}):`);
  for (const d of e.decisions) {
    const about = d.messageId ? `message ${d.messageId}` : d.outboxId ? `outbox ${d.outboxId}` : '';
    lines.push(`${d.time}  ${d.action}  ${d.reasonCode ?? '-'}  ${about}`.trimEnd());
    if (d.explanation) lines.push(`    ${d.explanation}`);
    else if (d.data && Object.keys(d.data).length) lines.push(`    ${JSON.stringify(d.data)}`);
    if (d.rule) lines.push(`    rule: ${d.rule}`);
  }
  return lines.join('\n');
}

/**
 * `passerelle policy explain <message-id> [--json]`: what the policy (and the outbox) decided about a
 * message and why, from the audit log. An unknown id exits with code 2.
 * `passerelle policy check <file>`: validates a policy file without starting; problems exit with 2.
 */
export function registerPolicy(program: Command, io: PolicyIo = consoleIo): void {
  const policy = program.command('policy').description('Policy engine tools');
  policy
    .command('explain')
    .description('Show the decisions recorded about a message: time, action, reason code, explanation')
    .argument('<message-id>', 'message id, provider message id (wamid) or outbox id')
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { json?: boolean }) => {
      const globals = program.opts<{ config?: string }>();
      const config = loadConfig(globals.config ? { file: globals.config } : {});
      // A read-only look: never create an empty database where none was.
      const file = config.DATABASE_URL.startsWith('sqlite:')
        ? config.DATABASE_URL.slice('sqlite:'.length)
        : null;
      if (file && file !== ':memory:' && !existsSync(file)) {
        io.err(`No database at ${file} (DATABASE_URL).`);
        process.exitCode = 2;
        return;
      }
      const store = openStore({ url: config.DATABASE_URL });
      try {
        const e = await explainMessage(store.db, id);
        if (!e) {
          io.err(`No message, outbox item or decision with id "${id}".`);
          process.exitCode = 2;
          return;
        }
        io.out(opts.json ? JSON.stringify(e) : renderExplanation(e));
      } finally {
        await store.close();
      }
    });
  policy
    .command('check')
    .description('Validate a policy file (YAML or JSON) and print the rules in force')
    .argument('<file>', 'policy file')
    .option('--json', 'print the effective policy as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      try {
        const p = loadPolicy(file);
        io.out(
          opts.json
            ? JSON.stringify(p)
            : Object.values(p)
                .map(
                  (x) =>
                    `${x.channel}: scope ${x.scope}, ${x.generalPurpose.length} general-purpose period(s), ` +
                    `window ${x.window ? `${x.window.hours} h` : 'none'}, ${x.templates.length} template(s)`,
                )
                .join('\n'),
        );
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        io.err(err.message);
        process.exitCode = 2;
      }
    });
}
