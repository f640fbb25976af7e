import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../src/core/events.ts';
import { audit } from '../../src/store/audit.ts';
import { consentsOf, recordConsent } from '../../src/store/consents.ts';
import { openStore } from '../../src/store/db.ts';
import { explainMessage } from '../../src/store/explain.ts';
import {
  claimInbox,
  commitToInbox,
  inboxDepth,
  LeaseLostError,
  markInboxDone,
  releaseInbox,
} from '../../src/store/inbox.ts';
import { insertMessage, recordStatus } from '../../src/store/messages.ts';
import {
  claimOutbox,
  enqueueOutbox,
  headsOfLine,
  nextDueAt,
  outboxDepth,
  settleOutbox,
  settleOutboxSent,
} from '../../src/store/outbox.ts';
import { conversationFor, replyContext, resolveContact, touchInbound } from '../../src/store/people.ts';
import { parsePostgresUrl } from '../../src/store/postgres.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';
import { textEvent as msg } from '../helpers/events.ts';

/**
 * What differs between the dialects under the repositories: types of values read back, affected-row
 * counts, `returning`, `on conflict`, `like` on JSON text, the order of ties, migrations run twice.
 */
let store: TestStore;

const item = (key: string, recipient = '2') => ({
  idempotencyKey: key,
  kind: 'message' as const,
  channel: 'whatsapp',
  account: '1',
  recipient,
  payload: { content: { type: 'text', text: 'x' } },
});

async function conversation() {
  const c = await resolveContact(store.db, { channel: 'whatsapp', address: '1', waId: '1' });
  const conv = await conversationFor(store.db, {
    personId: c.personId,
    contactId: c.contactId,
    channel: 'whatsapp',
    account: 'acc',
    isNewContact: c.created,
  });
  return { ...c, conversationId: conv.id };
}

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('reports its dialect, answers ping, and migrates once', async () => {
    expect(store.dialect).toBe(dialect);
    await store.ping();
    expect(await store.migrate()).toEqual([]);
  });

  it('reads Unix-millisecond times and counts back as numbers', async () => {
    const t = 1_750_000_000_123;
    const c = await resolveContact(store.db, { channel: 'whatsapp', address: '1', waId: '1' }, t);
    const row = await store.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', c.contactId)
      .executeTakeFirstOrThrow();
    expect(row.created_at).toBe(t);
    expect(typeof row.last_seen_at).toBe('number');
    await enqueueOutbox(store.db, [{ ...item('k1'), notBefore: t + 5000 }], t);
    expect(await nextDueAt(store.db, t)).toBe(t + 5000);
    expect(await outboxDepth(store.db)).toEqual({ pending: 1 });
    await commitToInbox(store.db, [msg('wamid.1')]);
    expect(await inboxDepth(store.db)).toBe(1);
    const n = await store.db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
  });

  it('counts affected rows: a lost lease is detected, a settled item only once', async () => {
    const { accepted } = await commitToInbox(store.db, [msg('wamid.1'), msg('wamid.2')]);
    const ids = accepted.map((a) => a.id);
    await claimInbox(store.db, ids, 'w1', 60_000);
    await expect(markInboxDone(store.db, ids, 'w2')).rejects.toBeInstanceOf(LeaseLostError);
    await markInboxDone(store.db, ids, 'w1');

    await enqueueOutbox(store.db, [item('k1')], 0);
    const [row] = await claimOutbox(
      store.db,
      [(await store.db.selectFrom('outbox').select('id').executeTakeFirstOrThrow()).id],
      'w',
      100,
      0,
    );
    expect(row).toMatchObject({ state: 'sending', attempts: 1, next_attempt_at: 0 });
    expect(await settleOutboxSent(store.db, row!.id, 'other', 'wamid.X')).toBe(false);
    expect(await settleOutboxSent(store.db, row!.id, 'w', 'wamid.X')).toBe(true);
    expect(await settleOutbox(store.db, row!.id, 'w', { state: 'dead' })).toBe(false);
  });

  it('chooses the state of a released item with a case expression', async () => {
    const { accepted } = await commitToInbox(store.db, [msg('wamid.1'), msg('wamid.2')]);
    const [a, b] = accepted.map((x) => x.id);
    await claimInbox(store.db, [a!], 'w', 60_000);
    await claimInbox(store.db, [a!, b!], 'w', 60_000, Date.now() + 120_000);
    await releaseInbox(store.db, [a!, b!], 'boom', 2);
    const rows = await store.db
      .selectFrom('inbox')
      .select(['id', 'state', 'attempts'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: a, state: 'failed', attempts: 2 },
      { id: b, state: 'pending', attempts: 1 },
    ]);
  });

  it('stores a message once per provider id and folds its statuses', async () => {
    const c = await conversation();
    const m = {
      conversationId: c.conversationId,
      personId: c.personId,
      contactId: c.contactId,
      channel: 'whatsapp',
      direction: 'out' as const,
      providerMessageId: 'wamid.OUT',
      content: { type: 'text' as const, text: 'hello' },
      status: 'accepted',
      sentAt: 1000,
    };
    const first = await insertMessage(store.db, m, 1000);
    const again = await insertMessage(store.db, m, 2000);
    expect(first.inserted).toBe(true);
    expect(again).toEqual({ id: first.id, inserted: false });
    const status = (s: string, ts: number): StatusEvent =>
      ({
        kind: 'status',
        channel: 'whatsapp',
        account: 'acc',
        dedupeKey: `st:wamid.OUT:${s}`,
        orderingKey: 'whatsapp:status:wamid.OUT',
        providerMessageId: 'wamid.OUT',
        status: s,
        timestamp: ts,
        recipient: { channel: 'whatsapp', address: '1', waId: '1' },
      }) as unknown as StatusEvent;
    expect(await recordStatus(store.db, status('delivered', 3000), 3000)).toBe(true);
    expect(await recordStatus(store.db, status('delivered', 3000), 3001)).toBe(false);
    const row = await store.db
      .selectFrom('messages')
      .select(['status', 'status_at', 'meta'])
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('delivered');
    expect(row.status_at).toBe(3000);
    expect(JSON.parse(row.meta!)).toMatchObject({ deliveredAt: 3000 });
  });

  it('moves the window clock forward only', async () => {
    const c = await conversation();
    await touchInbound(store.db, c.conversationId, 5000);
    await touchInbound(store.db, c.conversationId, 4000);
    expect(await replyContext(store.db, c.conversationId)).toMatchObject({ lastInboundAt: 5000 });
    await touchInbound(store.db, c.conversationId, 6000);
    expect((await replyContext(store.db, c.conversationId))?.lastInboundAt).toBe(6000);
  });

  it('breaks ties by id: the oldest contact and the latest consent of one millisecond', async () => {
    const t = 1_750_000_000_000;
    const a = await resolveContact(store.db, { channel: 'whatsapp', address: '111', waId: '111' }, t);
    await resolveContact(store.db, { channel: 'whatsapp', address: 'user.9', userId: 'user.9' }, t);
    // Known by both identifiers now: the two contacts match; the first created wins, on every dialect.
    const both = await resolveContact(
      store.db,
      { channel: 'whatsapp', address: '111', waId: '111', userId: 'user.9' },
      t,
    );
    expect(both.contactId).toBe(a.contactId);
    await recordConsent(
      store.db,
      { personId: a.personId, channel: 'whatsapp', kind: 'opt_in', source: 'a' },
      t,
    );
    await recordConsent(
      store.db,
      { personId: a.personId, channel: 'whatsapp', kind: 'opt_out', source: 'b' },
      t,
    );
    expect((await consentsOf(store.db, a.personId, 'whatsapp'))[0]).toMatchObject({
      kind: 'opt_out',
      created_at: t,
    });
  });

  it('finds replies by their JSON meta text and the decisions about them', async () => {
    const c = await conversation();
    const base = {
      conversationId: c.conversationId,
      personId: c.personId,
      contactId: c.contactId,
      channel: 'whatsapp',
      content: { type: 'text' as const, text: 'x' },
      sentAt: 1,
    };
    const inbound = await insertMessage(store.db, {
      ...base,
      direction: 'in',
      providerMessageId: 'wamid.IN',
      status: 'received',
    });
    const reply = await insertMessage(store.db, {
      ...base,
      direction: 'out',
      status: 'queued',
      meta: { inReplyTo: inbound.id, sources: ['kb'] },
    });
    await audit(store.db, { action: 'policy.hold', messageId: reply.id, reasonCode: 'window_closed' }, 10);
    const e = await explainMessage(store.db, 'wamid.IN');
    expect(e?.messages.map((m) => m.id)).toEqual([inbound.id, reply.id]);
    expect(e?.decisions).toMatchObject([{ at: 10, reasonCode: 'window_closed', messageId: reply.id }]);
  });

  it('gives the head of line per recipient', async () => {
    await enqueueOutbox(store.db, [item('a1', 'A'), item('b1', 'B'), item('a2', 'A')]);
    const heads = await headsOfLine(store.db, ['whatsapp:1:A', 'whatsapp:1:B']);
    const rows = await store.db.selectFrom('outbox').select(['id', 'idempotency_key']).execute();
    const idOf = (k: string) => rows.find((r) => r.idempotency_key === k)!.id;
    expect(Object.fromEntries(heads)).toEqual({ 'whatsapp:1:A': idOf('a1'), 'whatsapp:1:B': idOf('b1') });
  });

  it('creates the partial indexes of the work tables', async () => {
    const { rows } =
      dialect === 'postgres'
        ? await sql<{ name: string; def: string }>`
            select indexname as name, indexdef as def from pg_indexes
            where schemaname = current_schema() order by indexname`.execute(store.db)
        : await sql<{ name: string; def: string }>`
            select name, sql as def from sqlite_master where type = 'index' order by name`.execute(store.db);
    const partial = rows.filter((r) => / where /i.test(r.def ?? '')).map((r) => r.name);
    expect(partial).toEqual(['inbox_live', 'inbox_live_id', 'outbox_line', 'outbox_live']);
  });
});

describe('postgres URL', () => {
  it('takes the pool size from the URL and hides the password', () => {
    const t = parsePostgresUrl('postgres://u:secret@db.example:5433/app?pool_size=25&sslmode=require');
    expect(t.poolSize).toBe(25);
    expect(t.connectionString).toBe('postgres://u:secret@db.example:5433/app?sslmode=require');
    expect(t.display).not.toContain('secret');
    expect(parsePostgresUrl('postgresql://localhost/app').poolSize).toBe(10);
    expect(() => parsePostgresUrl('postgres://localhost/app?pool_size=0')).toThrow(/pool_size/);
  });

  it('names DATABASE_URL when the server cannot be reached', async () => {
    const s = openStore({ url: 'postgres://nobody:pw@127.0.0.1:1/none' });
    try {
      await expect(s.ping()).rejects.toThrow(
        /DATABASE_URL: cannot connect to the Postgres server at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/,
      );
      await expect(s.migrate()).rejects.toThrow(/DATABASE_URL/);
    } finally {
      await s.close();
    }
  });

  it('keeps bigint parsing to its own pool (no global pg type parser)', async () => {
    const pg = (await import('pg')).default;
    expect(pg.types.getTypeParser(20, 'text')('12')).toBe('12');
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('postgres schemas', () => {
  it("migrates a schema of its own although another schema of the database has Kysely's tables", async () => {
    const first = await openTestStore('postgres');
    const second = await openTestStore('postgres');
    try {
      const tables = async (s: typeof first) =>
        (
          await sql<{
            n: number;
          }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema()`.execute(
            s.db,
          )
        ).rows[0]!.n;
      expect(await tables(second)).toBe(await tables(first));
      expect(await tables(second)).toBeGreaterThan(20);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
