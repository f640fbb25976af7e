import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { within } from '../core/async.ts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import type { InboxRef } from '../store/inbox.ts';
import { DUPLICATE_WINDOW_MS, openWorkStream } from './nats-connection.ts';
import { inboxStates, sweepCandidates } from './nats-inbox.ts';
import {
  ackWaitFor,
  backoff,
  DEFAULT_DELAYS,
  parseNatsUrl,
  parseWorkMessage,
  partitionOf,
  settlement,
  subjectsOf,
  type NatsTarget,
  type RetryDelays,
  type Settlement,
} from './nats-settings.ts';
import { KeyedBatches } from './keyed-batches.ts';
import type { BatchHandler, WorkQueue } from './port.ts';

export { NatsQueueError } from './nats-connection.ts';

export interface NatsQueueOptions {
  /** `QUEUE_URL`: `nats://[user[:password]@]host[:port]` or `tls://…`. */
  url: string;
  /** `QUEUE_STREAM`: the JetStream stream; its subjects are `<name, lowercased>.work.<n>`. */
  stream: string;
  db: Db;
  logger: Logger;
  /** Conversations processed at once by this process. */
  concurrency: number;
  /** `PIPELINE_LEASE_MS`: the consumer's `ack_wait` is one lease and a second (`ackWaitFor`). */
  leaseMs: number;
  /** Most items of one conversation handed over in one batch. */
  maxBatch?: number;
  /** Messages this process holds at most (running and waiting); default 4 × concurrency. */
  prefetch?: number;
  /** How often the inbox is swept for items no message announces. */
  sweepMs?: number;
  /** How old (since received) a pending item must be for the periodic sweep to announce it again. */
  sweepAgeMs?: number;
  /** Waits before a message is delivered again (tests shorten them). */
  delays?: Partial<RetryDelays>;
  /** Wait between reconnection attempts. */
  reconnectWaitMs?: number;
  /** Connection name shown by the server's monitoring (the worker's owner name). */
  name?: string;
}

/** A delivered message and the inbox item it announces. */
interface Held {
  msg: JsMsg;
  id: string;
}

/** How long one pull request waits for messages (also how long `stop` may wait for the last one). */
const PULL_EXPIRES_MS = 2000;
const SWEEP_PAGE = 500;
const SWEEP_MAX_PAGES = 20;
const PUBLISH_CHUNK = 256;

/**
 * The work queue over NATS JetStream, for several gateway processes sharing one database. The inbox
 * stays the durable queue and the source of truth; JetStream distributes announcements of its items:
 *
 * - `publish` puts one message per inbox item on a work-queue stream, `Nats-Msg-Id` = the item id, so
 *   the server drops a repeat within `DUPLICATE_WINDOW_MS`;
 * - every process pulls from one durable consumer, groups what arrives by ordering key and runs one
 *   batch per key at a time (like `LocalQueue`), then settles each message from its inbox row: ack
 *   once the item is finished, nak with a delay while it is live (key busy in another process, retry
 *   back-off, handler failure). Order across processes is the database's: `claimForKey` takes nothing
 *   while another worker holds an older item of the key;
 * - a process that dies leaves its messages unacked: the server delivers them again after `ack_wait`;
 * - a periodic sweep announces again the pending items no message covers (committed but never
 *   published, or a message lost), de-duplicated by their id.
 *
 * See docs/architecture.md, "Work distribution with NATS JetStream".
 */
export class NatsQueue implements WorkQueue {
  /** Counters, for logs, metrics and tests. */
  readonly stats = { published: 0, duplicates: 0, delivered: 0, acked: 0, nakked: 0, swept: 0 };
  private readonly target: NatsTarget;
  private readonly subjects: { prefix: string; filter: string };
  private readonly delays: RetryDelays;
  private readonly ackWaitMs: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private consumer: Consumer | undefined;
  private handler: BatchHandler | undefined;
  private readonly batches: KeyedBatches<Held>;
  private pumpScheduled = false;
  private pulling: Promise<void> | undefined;
  private fetching: ConsumerMessages | undefined;
  private wake: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  /** Items this process announced again recently (by id): not again within the duplicate window. */
  private readonly swept = new Map<string, number>();
  /** Where the next sweep pass goes on reading the inbox (after this id; '' from the start). */
  private sweepAfter = '';

  constructor(private readonly opts: NatsQueueOptions) {
    this.target = parseNatsUrl(opts.url);
    this.subjects = subjectsOf(opts.stream);
    this.delays = { ...DEFAULT_DELAYS, ...opts.delays };
    this.ackWaitMs = ackWaitFor(opts.leaseMs);
    this.batches = new KeyedBatches({ concurrency: opts.concurrency, maxBatch: opts.maxBatch ?? 50 });
  }

  /**
   * Connects and makes sure the stream and the consumer exist. `start` does it; call it first only
   * to publish without consuming. Throws `NatsQueueError`, naming QUEUE_URL, when the server is down
   * or has no JetStream.
   */
  async connect(): Promise<void> {
    if (this.nc) return;
    const work = await openWorkStream({
      target: this.target,
      stream: this.opts.stream,
      ackWaitMs: this.ackWaitMs,
      name: this.opts.name ?? 'passerelle',
      reconnectWaitMs: this.opts.reconnectWaitMs ?? 2000,
      logger: this.opts.logger,
    });
    this.nc = work.nc;
    this.js = work.js;
    this.consumer = work.consumer;
  }

  async publish(refs: InboxRef[]): Promise<void> {
    if (refs.length === 0) return;
    if (!this.js || this.stopping) {
      // Before start (or after stop) the sweep of the next start announces them.
      this.opts.logger.debug({ items: refs.length }, 'work queue not running; left to the sweep');
      return;
    }
    const failed = await this.announce(refs);
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${refs.length} inbox item(s) not announced on NATS (the sweep will): ${failed[0]!.message}`,
      );
    }
  }

  async start(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    this.stopping = false;
    await this.connect();
    // Whatever an earlier run left pending, however recent (repeats are dropped by their id).
    await this.sweep(0);
    this.pulling = this.pull();
    const sweep = setInterval(() => {
      this.sweep(this.opts.sweepAgeMs ?? 5000).catch((err: unknown) =>
        this.opts.logger.error({ err }, 'inbox sweep failed'),
      );
    }, this.opts.sweepMs ?? 5000);
    const heartbeat = setInterval(() => this.keepWaitingAlive(), Math.max(250, this.ackWaitMs / 3));
    this.timers = [sweep, heartbeat];
    for (const t of this.timers) t.unref();
  }

  /**
   * Stops pulling (the last pull request runs out within 2 s; what it still brings is handed back),
   * hands back the messages not started, waits up to `timeoutMs` for batches in flight, then drains
   * and closes the connection. Batches still running then are handed back too: if they commit after
   * all, the next delivery finds their items done.
   */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.wake?.();
    for (const h of this.batches.takeWaiting()) this.tell(h, { kind: 'nak', delayMs: 0 });
    const batches = Promise.allSettled([...this.batches.inFlight.keys()]);
    if (this.pulling && !(await within(this.pulling, deadline))) this.fetching?.stop();
    if (!(await within(batches, deadline))) {
      for (const list of this.batches.inFlight.values())
        for (const h of list) this.tell(h, { kind: 'nak', delayMs: this.delays.busyMs });
    }
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    this.consumer = undefined;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  /** Messages held by this process: waiting for their key or a free slot, or in a running batch. */
  depth(): number {
    let n = this.batches.waiting;
    for (const list of this.batches.inFlight.values()) n += list.length;
    return n;
  }

  /** The connection, for health checks and tests (undefined before start and after stop). */
  connection(): NatsConnection | undefined {
    return this.nc;
  }

  /** Publishes one message per item; returns the failures (the sweep retries those items). */
  private async announce(refs: InboxRef[]): Promise<Error[]> {
    const js = this.js;
    if (!js) return [new Error('not connected')];
    const failed: Error[] = [];
    for (let i = 0; i < refs.length; i += PUBLISH_CHUNK) {
      const chunk = refs.slice(i, i + PUBLISH_CHUNK);
      const results = await Promise.allSettled(
        chunk.map((r) =>
          js.publish(
            `${this.subjects.prefix}.${partitionOf(r.orderingKey)}`,
            JSON.stringify({ id: r.id, key: r.orderingKey }),
            { msgID: r.id },
          ),
        ),
      );
      results.forEach((res, j) => {
        if (res.status === 'rejected') {
          failed.push(res.reason instanceof Error ? res.reason : new Error(String(res.reason)));
          this.swept.delete(chunk[j]!.id);
        } else if (res.value.duplicate) this.stats.duplicates++;
        else this.stats.published++;
      });
    }
    return failed;
  }

  /**
   * Announces again the pending items received more than `minAgeMs` ago. Those a message still
   * covers are dropped by the server as duplicates (same `Nats-Msg-Id` within the window); each item
   * is announced by this process at most once per window.
   */
  private async sweep(minAgeMs: number): Promise<void> {
    if (this.stopping || !this.js) return;
    const now = Date.now();
    for (const [id, at] of this.swept) if (now - at > DUPLICATE_WINDOW_MS) this.swept.delete(id);
    const fresh: InboxRef[] = [];
    // A large backlog is read a bounded number of pages per pass, the next pass going on from there.
    for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
      const refs = await sweepCandidates(this.opts.db, now - minAgeMs, this.sweepAfter, SWEEP_PAGE, now);
      for (const r of refs) if (!this.swept.has(r.id)) fresh.push(r);
      if (refs.length < SWEEP_PAGE) {
        this.sweepAfter = '';
        break;
      }
      this.sweepAfter = refs[refs.length - 1]!.id;
    }
    if (fresh.length === 0) return;
    for (const r of fresh) this.swept.set(r.id, now);
    const before = this.stats.published;
    const failed = await this.announce(fresh);
    const announced = this.stats.published - before;
    this.stats.swept += announced;
    if (announced > 0) this.opts.logger.info({ items: announced }, 'sweep: announced uncovered inbox items');
    if (failed.length > 0)
      this.opts.logger.warn({ err: failed[0], items: failed.length }, 'sweep: announcing failed');
  }

  /** Pulls while running, never holding more than `prefetch` messages. */
  private async pull(): Promise<void> {
    const prefetch = this.opts.prefetch ?? this.opts.concurrency * 4;
    let failures = 0;
    while (!this.stopping) {
      const room = prefetch - this.depth();
      if (room <= 0) {
        await this.idle();
        continue;
      }
      try {
        this.fetching = await this.consumer!.fetch({ max_messages: room, expires: PULL_EXPIRES_MS });
        for await (const m of this.fetching) this.accept(m);
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        this.opts.logger[failures === 1 ? 'warn' : 'debug'](
          { err },
          'pulling work from NATS failed; retrying',
        );
        await this.idle(Math.min(250 * 2 ** failures, 5000));
      } finally {
        this.fetching = undefined;
      }
    }
  }

  /** Waits until a batch ends or the queue stops (or `ms` pass). Only the pull loop waits. */
  private idle(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (this.wake === wake) this.wake = undefined;
        clearTimeout(timer);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.wake = wake;
    });
  }

  private accept(msg: JsMsg): void {
    this.stats.delivered++;
    if (this.stopping) {
      // The last pull request outlived `stop`: hand the message to another process.
      this.tell({ msg, id: '' }, { kind: 'nak', delayMs: this.delays.busyMs });
      return;
    }
    let work;
    try {
      work = parseWorkMessage(msg.string());
    } catch (err) {
      this.opts.logger.error({ err, subject: msg.subject }, 'not a work message; dropped');
      try {
        msg.term();
      } catch {
        // Connection down: it comes back, and is dropped then.
      }
      return;
    }
    this.batches.add(work.key, { msg, id: work.id });
    // Messages that arrive together (one pull) are grouped before the batches start.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler || this.stopping) return;
    this.batches.start(
      (key, batch) => this.run(handler, key, batch),
      () => {
        this.pump();
        this.wake?.();
      },
    );
  }

  /** Runs one batch, then acks or naks each of its messages from what the inbox says. */
  private async run(handler: BatchHandler, key: string, batch: Held[]): Promise<void> {
    const ids = [...new Set(batch.map((h) => h.id))];
    let failed = false;
    try {
      await handler(key, ids);
    } catch (err) {
      failed = true;
      this.opts.logger.error({ err, key }, 'batch handler failed');
    }
    let rows;
    try {
      rows = await inboxStates(this.opts.db, ids);
    } catch (err) {
      this.opts.logger.error({ err, key }, 'reading the inbox to settle a batch failed');
      for (const h of batch)
        this.tell(h, { kind: 'nak', delayMs: backoff('failure', h.msg.info.deliveryCount, this.delays) });
      return;
    }
    const now = Date.now();
    for (const h of batch)
      this.tell(h, settlement(rows.get(h.id), failed, h.msg.info.deliveryCount, now, this.delays));
  }

  /** Resets the ack timer of messages waiting here for their turn: they are not lost, only queued. */
  private keepWaitingAlive(): void {
    for (const h of this.batches.waitingItems()) {
      try {
        h.msg.working();
      } catch {
        // The connection is down: the server will redeliver, and the inbox decides.
      }
    }
  }

  private tell(h: Held, s: Settlement): void {
    try {
      if (s.kind === 'ack') {
        h.msg.ack();
        this.stats.acked++;
      } else {
        h.msg.nak(s.delayMs);
        this.stats.nakked++;
      }
    } catch (err) {
      // Closed or reconnecting: unsettled, the message comes back after ack_wait; harmless.
      this.opts.logger.debug({ err, inboxId: h.id }, 'could not settle a NATS message');
    }
  }
}
