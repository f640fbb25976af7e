import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.ts';
import { IntakeDrain, type IntakeDrainOptions } from '../../src/queue/intake-drain.ts';
import type { BatchHandler, WorkQueue } from '../../src/queue/port.ts';
import type { InboxRef } from '../../src/store/inbox.ts';
import { telegramIngest } from '../../src/server/telegram-webhook.ts';
import { WebchatChannel } from '../../src/channels/webchat/channel.ts';
import { InboxIngest, inboxIngest } from '../../src/store/inbox-ingest.ts';
import { insertIntake, intakeDepth, takeIntake } from '../../src/store/intake.ts';
import type { Logger } from 'pino';
import { openStore, type Db } from '../../src/store/db.ts';
import { DIALECTS, openTestStore, refuseInboxKey, type TestStore } from '../helpers/db.ts';
import { textEvent } from '../helpers/events.ts';
import { waitFor } from '../helpers/stack.ts';

/**
 * In a webhook flood, deferrable requests are acknowledged once appended to the intake log, and the
 * drain turns them into inbox items in the background: in order, deduplicated, scheduled, none lost,
 * and no later message of a conversation ahead of an earlier one still in the log.
 */
let store: TestStore;

/** The work queue's side: what was scheduled, in order. */
class RecordingQueue implements WorkQueue {
  readonly published: InboxRef[] = [];
  publish(refs: InboxRef[]): Promise<void> {
    this.published.push(...refs);
    return Promise.resolve();
  }
  start(_handler: BatchHandler): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  depth(): number {
    return this.published.length;
  }
}

const msg = (id: string, from = '16505551234') => textEvent(id, from, { text: `text of ${id}` });

/** A drain on `db` with quiet defaults (no flood, a recording queue, no logs) and the given settings. */
function drainOn(db: Db, opts: Partial<IntakeDrainOptions> = {}): IntakeDrain {
  return new IntakeDrain({
    db,
    queue: new RecordingQueue(),
    metrics: new Metrics(),
    logger: pino({ level: 'silent' }),
    flooding: () => false,
    ...opts,
  });
}

async function inbox(): Promise<{ id: string; dedupe_key: string }[]> {
  return store.db.selectFrom('inbox').select(['id', 'dedupe_key']).orderBy('id').execute();
}

function duplicatesCounted(metrics: Metrics): Promise<number> {
  return metrics.inbound
    .get()
    .then(
      (m) =>
        m.values.find((v) => v.labels.outcome === 'duplicate' && v.labels.channel === 'whatsapp')?.value ?? 0,
    );
}

describe.each(DIALECTS)('%s', (dialect) => {
  let flood: { on: boolean };
  let queue: RecordingQueue;
  let metrics: Metrics;
  let drain: IntakeDrain;
  let ingest: InboxIngest;

  beforeEach(async () => {
    store = await openTestStore(dialect, { file: true });
    flood = { on: false };
    queue = new RecordingQueue();
    metrics = new Metrics();
    drain = drainOn(store.db, { queue, metrics, step: 2, retryMs: 20, flooding: () => flood.on });
    ingest = new InboxIngest(store.db);
    ingest.divertTo(drain);
  });
  afterEach(async () => {
    await drain.stop();
    await store.close();
  });

  it('reads the log oldest first, a step at a time, and a taken row is gone', async () => {
    await insertIntake(store.db, [[msg('a')], [msg('b'), msg('c')], [msg('d')]]);
    const first = (await takeIntake(store.db, 2))!;
    expect(first.map((r) => r.events.map((e) => e.dedupeKey))).toEqual([['msg:a'], ['msg:b', 'msg:c']]);
    expect(first[0]!.events[0]).toEqual(msg('a'));
    expect(await intakeDepth(store.db)).toBe(1);
    expect((await takeIntake(store.db, 2))!.map((r) => r.events[0]!.dedupeKey)).toEqual(['msg:d']);
    expect(await takeIntake(store.db, 2)).toEqual([]);
  });

  it('in a flood, stores deferrable requests in the log and drains them into the inbox in order, scheduled', async () => {
    await drain.start();
    expect(drain.diverting()).toBe(false);
    // Before the flood: straight to the inbox, as always.
    const direct = await ingest.commit([msg('m0')], { deferrable: true });
    expect(direct.accepted).toHaveLength(1);

    flood.on = true;
    const results = await Promise.all([
      ingest.commit([msg('m1'), msg('m2')], { deferrable: true }),
      ingest.commit([msg('m3', '33611111111')], { deferrable: true }),
      // Not deferrable (the web chat answers its page with the outcome): the inbox, flood or not.
      ingest.commit([msg('w1', '33622222222')]),
    ]);
    expect(results.map((r) => r.deferred ?? false)).toEqual([true, true, false]);
    const through = (await metrics.intakeRequests.get()).values;
    expect(through).toEqual([expect.objectContaining({ labels: { channel: 'whatsapp' }, value: 2 })]);
    expect(results[2]!.accepted).toHaveLength(1);

    await waitFor(async () => (await intakeDepth(store.db)) === 0, 5000, 'log drained');
    const rows = await inbox();
    expect(rows.map((r) => r.dedupe_key)).toEqual(['msg:m0', 'msg:w1', 'msg:m1', 'msg:m2', 'msg:m3']);
    // Scheduled once committed: the two direct ones by their routes (not this queue), the rest by the drain.
    expect(queue.published.map((r) => r.id)).toEqual(rows.slice(2).map((r) => r.id));
    expect(queue.published[2]!.orderingKey).toBe(msg('m3', '33611111111').orderingKey);
  });

  it('keeps diverting after the flood until the log is drained, so later messages queue behind it', async () => {
    await drain.start();
    flood.on = true;
    await drain.stop(); // nothing drains: the log stays as it is
    await ingest.commit([msg('early')], { deferrable: true });
    flood.on = false;
    // The flood is over but "early" is still in the log: "late", of the same conversation, follows it.
    expect(drain.diverting()).toBe(true);
    const late = await ingest.commit([msg('late')], { deferrable: true });
    expect(late.deferred).toBe(true);
    expect(await inbox()).toEqual([]);

    await drain.start();
    await waitFor(() => !drain.diverting(), 5000, 'drained');
    expect((await inbox()).map((r) => r.dedupe_key)).toEqual(['msg:early', 'msg:late']);
    // Drained: straight to the inbox again.
    expect((await ingest.commit([msg('after')], { deferrable: true })).deferred).toBeUndefined();
  });

  it('drains what an earlier run left in the log, diverting meanwhile', async () => {
    await insertIntake(store.db, [[msg('left1')], [msg('left2')], [msg('left3')]]);
    const fresh = drainOn(store.db, { queue });
    // Not started yet: it cannot know the log is empty, so requests go behind whatever is there.
    expect(fresh.diverting()).toBe(true);
    await fresh.start();
    await waitFor(() => !fresh.diverting(), 5000, 'drained');
    await fresh.stop();
    expect((await inbox()).map((r) => r.dedupe_key)).toEqual(['msg:left1', 'msg:left2', 'msg:left3']);
    expect(queue.published).toHaveLength(3);
  });

  it('leaves out duplicates when draining, and counts them', async () => {
    await drain.start();
    await ingest.commit([msg('d1')], { deferrable: true });
    flood.on = true;
    // A retry of d1 (already in the inbox), and d2 delivered twice within the flood.
    await Promise.all([
      ingest.commit([msg('d1'), msg('d2')], { deferrable: true }),
      ingest.commit([msg('d2')], { deferrable: true }),
    ]);
    flood.on = false;
    await waitFor(() => !drain.diverting(), 5000, 'drained');
    expect((await inbox()).map((r) => r.dedupe_key)).toEqual(['msg:d1', 'msg:d2']);
    expect(queue.published).toHaveLength(1);
    expect(await duplicatesCounted(metrics)).toBe(2);
  });

  it('keeps the rows of a step that failed in the log, and drains them on a later try', async () => {
    flood.on = true;
    await ingest.commit([msg('f1')], { deferrable: true }); // not started: it stays in the log
    flood.on = false;
    // The inbox cannot be written for a while (its table is out of the way).
    const rename = (from: string, to: string) =>
      store.db.executeQuery({ sql: `alter table ${from} rename to ${to}`, parameters: [] } as never);
    await rename('inbox', 'inbox_away');
    await drain.start();
    await new Promise((r) => setTimeout(r, 100)); // a few failed tries (every 20 ms)
    expect(drain.diverting()).toBe(true);
    expect(await intakeDepth(store.db)).toBe(1);
    await rename('inbox_away', 'inbox');
    await waitFor(() => !drain.diverting(), 5000, 'drained after the failures');
    expect((await inbox()).map((r) => r.dedupe_key)).toEqual(['msg:f1']);
    expect(await intakeDepth(store.db)).toBe(0);
  });
  it("takes Telegram webhooks into the log as WhatsApp ones, and never the web chat's messages", async () => {
    // The routes share the store's batcher; this drain is not started, so it diverts.
    inboxIngest(store.db).divertTo(drain);
    const silent = pino({ level: 'silent' });
    const fromTelegram = telegramIngest({ db: store.db, queue, metrics, logger: silent, botId: '777000' });
    const tg = await fromTelegram([
      {
        update_id: 1,
        message: {
          message_id: 5,
          date: 1_750_000_000,
          chat: { id: 42, type: 'private' },
          from: { id: 42, is_bot: false, first_name: 'Tess' },
          text: 'hi',
        },
      },
    ]);
    expect(tg.deferred).toBe(true);
    expect(await intakeDepth(store.db)).toBe(1);
    // The page that sent a web chat message waits to hear whether it was a duplicate: straight in.
    const web = new WebchatChannel(
      {
        secret: 'test-secret-test-secret-test-secret',
        databaseUrl: 'sqlite::memory:',
        origins: '',
        publicUrl: undefined,
      },
      { db: store.db, queue, metrics, logger: silent },
    );
    expect(await web.ingest('visitor-1', 'c1', { type: 'text', text: 'hello' })).toEqual({
      duplicate: false,
    });
    expect((await inbox()).map((r) => r.dedupe_key)).toHaveLength(1);
    expect(await intakeDepth(store.db)).toBe(1);
  });

  it('parks a request the inbox refuses, with the reason, and drains the rest behind it', async () => {
    await drain.start();
    await refuseInboxKey(store, 'msg:bad');
    flood.on = true;
    await ingest.commit([msg('bad')], { deferrable: true });
    await ingest.commit([msg('good1', '33611111111')], { deferrable: true });
    flood.on = false;
    await waitFor(() => !drain.diverting(), 5000, 'drained');
    // The one after it is not held up, nor is the next webhook, which goes straight to the inbox.
    expect((await inbox()).map((r) => r.dedupe_key)).toEqual(['msg:good1']);
    expect(
      (await ingest.commit([msg('good2', '33622222222')], { deferrable: true })).deferred,
    ).toBeUndefined();
    // The refused request is kept, with why, out of the drain's way.
    const parked = await store.db.selectFrom('intake').selectAll().execute();
    expect(parked).toHaveLength(1);
    expect(parked[0]!.last_error).toMatch(/refused by the test/);
    expect(JSON.parse(parked[0]!.events)).toEqual([msg('bad')]);
    expect(await intakeDepth(store.db)).toBe(0);
    const failed = (await metrics.inbound.get()).values.find((v) => v.labels.outcome === 'failed');
    expect(failed?.value).toBe(1);
  });

  it('parks a lone refused request only after failing three times in a row (the store itself may be failing)', async () => {
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line).msg) });
    const lone = drainOn(store.db, { logger: logger as Logger, retryMs: 10 });
    await refuseInboxKey(store, 'msg:bad');
    await insertIntake(store.db, [[msg('bad')]]);
    await lone.start();
    await waitFor(() => !lone.diverting(), 5000, 'parked');
    await lone.stop();
    expect(errors.filter((m) => m.startsWith('intake drain failed'))).toHaveLength(3);
    expect(errors.filter((m) => m.startsWith('the inbox refused'))).toHaveLength(1);
    expect((await store.db.selectFrom('intake').select('last_error').execute())[0]!.last_error).toMatch(
      /refused/,
    );
  });

  it('stops for good when stopped while starting', async () => {
    const looks: number[] = [];
    const early = drainOn(store.db, { checkMs: 10 });
    const depth = store.db.selectFrom.bind(store.db);
    (store.db as { selectFrom: typeof store.db.selectFrom }).selectFrom = ((t: 'intake') => {
      if (t === 'intake') looks.push(Date.now());
      return depth(t);
    }) as typeof store.db.selectFrom;
    const starting = early.start();
    await early.stop();
    await starting;
    const n = looks.length;
    await new Promise((r) => setTimeout(r, 100));
    // No periodic look was left running (it would have looked ten times by now).
    expect(looks.length).toBe(n);
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('postgres: one process drains at a time', () => {
  beforeEach(async () => {
    store = await openTestStore('postgres');
  });
  afterEach(() => store.close());

  it('lets one process at a time take from the log, so it reaches the inbox in order', async () => {
    await insertIntake(store.db, [[msg('p1')], [msg('p2')]]);
    // A second process: its own pool on the same database.
    const other = openStore({ url: store.database.url });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let taken = false;
      // One process is in the middle of a step: its transaction holds the drain.
      const first = store.db.transaction().execute(async (trx) => {
        const rows = await takeIntake(trx, 1);
        taken = true;
        await held;
        return rows;
      });
      await waitFor(() => taken, 5000, 'first step taken');
      // Another process does not take the next row meanwhile: it is told to come back.
      expect(await other.db.transaction().execute((trx) => takeIntake(trx, 1))).toBeUndefined();
      release();
      expect((await first)!.map((r) => r.events[0]!.dedupeKey)).toEqual(['msg:p1']);
      const next = await other.db.transaction().execute((trx) => takeIntake(trx, 1));
      expect(next!.map((r) => r.events[0]!.dedupeKey)).toEqual(['msg:p2']);
    } finally {
      await other.close();
    }
  });
  it('sends a later message of a conversation behind an earlier one another process left in the log', async () => {
    const other = openStore({ url: store.database.url }); // process B, in a flood
    const a = drainOn(store.db);
    const b = drainOn(other.db, { flooding: () => true });
    const ingestA = new InboxIngest(store.db);
    ingestA.divertTo(a);
    const ingestB = new InboxIngest(other.db);
    ingestB.divertTo(b);
    try {
      await a.start();
      // B has not started draining: the early message waits in the log.
      expect((await ingestB.commit([msg('early', '33700000001')], { deferrable: true })).deferred).toBe(true);
      // Process A is in no flood and has drained all it wrote, but the log is not empty: behind it.
      expect(a.diverting()).toBe(false);
      expect((await ingestA.commit([msg('late', '33700000001')], { deferrable: true })).deferred).toBe(true);
      await waitFor(async () => (await intakeDepth(store.db)) === 0, 5000, 'drained by A');
      const rows = await store.db.selectFrom('inbox').select('dedupe_key').orderBy('id').execute();
      expect(rows.map((r) => r.dedupe_key)).toEqual(['msg:early', 'msg:late']);
    } finally {
      await a.stop();
      await b.stop();
      await other.close();
    }
  });
  it('drains rows another process left, found by its periodic look', async () => {
    const queue = new RecordingQueue();
    const looking = drainOn(store.db, { queue, checkMs: 20 });
    await looking.start();
    expect(looking.diverting()).toBe(false);
    await insertIntake(store.db, [[msg('orphan')]]); // as another process would have
    await waitFor(async () => (await inbox()).length === 1, 5000, 'orphan drained');
    await looking.stop();
    expect(queue.published).toHaveLength(1);
  });
});
