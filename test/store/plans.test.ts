import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

/**
 * No statement the gateway runs while answering messages (and applying their status webhooks) may
 * scan a whole table: those tables grow with the history, and a scan per message makes every message
 * slower than the last. Found by this check once already: the contact lookup scanned every contact of
 * the channel, the head-of-line read every unfinished outbox item, the inbox sweep the whole inbox.
 * Scans of the partial indexes over unfinished rows (a few pages) are fine.
 */
const prepared = new Set<string>();
/** Off while this test runs queries of its own. */
let recording = true;
const proto = (SQLite as unknown as { prototype: { prepare: (source: string) => unknown } }).prototype;
const original = proto.prepare;
proto.prepare = function (this: SQLite.Database, source: string) {
  if (
    recording &&
    /^\s*(select|update|insert|delete)\b/i.test(source) &&
    !/sqlite_master|kysely_migration/.test(source)
  )
    prepared.add(source);
  return original.call(this, source);
};

const TABLES = 'people|contacts|conversations|messages|message_statuses|inbox|outbox|audit_log|consents';
const PARTIAL = /USING (COVERING )?INDEX (inbox_live|inbox_live_id|outbox_live|outbox_line)\b/;
/** Columns with a handful of values: an index search on them alone reads most of the table. */
const LOW_CARDINALITY = new Set(['channel', 'state', 'kind', 'account', 'direction']);

/** A full scan of a data table, or its equivalent, unless through one of the small partial indexes. */
function scansTable(detail: string): boolean {
  if (!new RegExp(`^(SCAN|SEARCH) (${TABLES})\\b`).test(detail) || PARTIAL.test(detail)) return false;
  if (detail.startsWith('SCAN ')) return true;
  const constraints = /\(([^)]*)\)\s*$/.exec(detail)?.[1];
  if (!constraints) return true;
  const columns = constraints.split(' AND ').map((c) => c.replace(/[=<>].*$/, '').trim());
  return columns.every((c) => LOW_CARDINALITY.has(c));
}

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.close();
  proto.prepare = original;
});

describe('query plans', () => {
  it('answer messages and apply their statuses without scanning any table', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    for (const [user, text] of [
      ['33612345678', 'When are you open?'],
      ['33698765432', 'Do you deliver?'],
    ] as const) {
      sb.users.create({ waId: user, name: 'Test' });
      sb.userSends(user, text);
    }
    await waitFor(() => sb.sentTo('33612345678').length >= 1 && sb.sentTo('33698765432').length >= 1);
    // Statuses come back (sent, delivered, read); the sweep and the recovery tick run meanwhile.
    const statuses = new SQLite(stack.dbFile, { readonly: true });
    const count = () => {
      recording = false;
      const n = (statuses.prepare('select count(*) as n from message_statuses').get() as { n: number }).n;
      recording = true;
      return n;
    };
    await waitFor(() => count() >= 4);
    statuses.close();
    await new Promise((r) => setTimeout(r, 2200));
    recording = false;
    const plans = new SQLite(stack.dbFile, { readonly: true });
    const scans: string[] = [];
    try {
      for (const source of prepared) {
        const n = (source.match(/\?/g) ?? []).length;
        const rows = plans.prepare(`explain query plan ${source}`).all(...Array<null>(n).fill(null)) as {
          detail: string;
        }[];
        for (const r of rows) if (scansTable(r.detail)) scans.push(`${r.detail}: ${source}`);
      }
    } finally {
      plans.close();
    }
    expect(prepared.size).toBeGreaterThan(20);
    expect(scans).toEqual([]);
  });
});
