import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { loadPolicy, PolicyError } from '../policy/load.ts';
import type { Db } from '../store/db.ts';
import { openStore } from '../store/db.ts';

/** Where `policy` commands write; replaceable in tests. */
export interface PolicyIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: PolicyIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

/** One audit row about the message, its outbox items or its replies. */
export interface ExplainedDecision {
  at: number;
  time: string;
  actor: string;
  action: string;
  reasonCode: string | null;
  explanation: string | null;
  rule: string | null;
  data: unknown;
  messageId: string | null;
  outboxId: string | null;
}

/** What `policy explain` found for an id. */
export interface Explanation {
  id: string;
  messages: { id: string; direction: string; channel: string; status: string; inReplyTo: string | null }[];
  outbox: { id: string; messageId: string | null; state: string }[];
  decisions: ExplainedDecision[];
}

/**
 * Everything recorded about one message: `id` may be our message id, the provider's message id
 * (wamid) or an outbox id. An inbound message brings its replies along (their decisions are what an
 * operator asks about: "why was this not answered?"). `null` when the id is unknown.
 */
export async function explainMessage(db: Db, id: string): Promise<Explanation | null> {
  const direct = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'channel', 'status', 'meta'])
    .where((eb) =>
      eb.or([
        eb('id', '=', id),
        eb('provider_message_id', '=', id),
        eb('id', 'in', eb.selectFrom('outbox').select('message_id').where('id', '=', id)),
      ]),
    )
    .execute();
  const inbound = direct.filter((m) => m.direction === 'in').map((m) => m.id);
  const replies = inbound.length
    ? await db
        .selectFrom('messages')
        .select(['id', 'direction', 'channel', 'status', 'meta'])
        .where((eb) => eb.or(inbound.map((i) => eb('meta', 'like', `%"inReplyTo":"${i}"%`))))
        .execute()
    : [];
  const messages = [...direct, ...replies];
  const messageIds = messages.map((m) => m.id);
  const outbox = await db
    .selectFrom('outbox')
    .select(['id', 'message_id', 'state'])
    .where((eb) =>
      eb.or([eb('id', '=', id), ...(messageIds.length ? [eb('message_id', 'in', messageIds)] : [])]),
    )
    .execute();
  const outboxIds = outbox.map((o) => o.id);
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) =>
      eb.or([eb('message_id', 'in', [id, ...messageIds]), eb('outbox_id', 'in', [id, ...outboxIds])]),
    )
    .orderBy('at')
    .orderBy('id')
    .execute();
  if (messages.length === 0 && outbox.length === 0 && rows.length === 0) return null;
  return {
    id,
    messages: messages.map((m) => ({
      id: m.id,
      direction: m.direction,
      channel: m.channel,
      status: m.status,
      inReplyTo: inReplyTo(m.meta),
    })),
    outbox: outbox.map((o) => ({ id: o.id, messageId: o.message_id, state: o.state })),
    decisions: rows.map((r) => {
      const detail = parseDetail(r.detail);
      return {
        at: Number(r.at),
        time: new Date(Number(r.at)).toISOString(),
        actor: r.actor,
        action: r.action,
        reasonCode: r.reason_code,
        explanation: typeof detail.explanation === 'string' ? detail.explanation : null,
        rule: typeof detail.rule === 'string' ? detail.rule : null,
        data: 'explanation' in detail ? (detail.data ?? null) : detail,
        messageId: r.message_id,
        outboxId: r.outbox_id,
      };
    }),
  };
}

function parseDetail(detail: string | null): Record<string, unknown> {
  if (!detail) return {};
  try {
    const v: unknown = JSON.parse(detail);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { value: detail };
  }
}

function inReplyTo(meta: string | null): string | null {
  const v = parseDetail(meta).inReplyTo;
  return typeof v === 'string' ? v : null;
}

/** The readable form: the messages, then each decision in time order with its explanation. */
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
