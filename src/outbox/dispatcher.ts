import type { Logger } from 'pino';
import type { ChannelName } from '../core/channel.ts';
import type { ChannelOutbound, DeliveryFailure } from '../core/delivery.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db, Store } from '../store/db.ts';
import {
  claimOutbox,
  dueOutbox,
  groupUnder,
  headsOfLine,
  nextDueAt,
  recoverExpiredLeases,
  releaseOwnedOutbox,
  settleOutbox,
  type OutboxRow,
} from '../store/outbox.ts';
import { combinedContent, planSends, recipientKey, type PlannedSend } from './plan.ts';
import { BucketMap } from './rate-limit.ts';
import { decideRetry, type RetryPolicy } from './retry.ts';
import { settleFailure, settleSent } from './settle.ts';

export interface RateLimits {
  /** Sends per second per business account (WhatsApp phone number): spec §3, 80 by default. */
  accountPerSecond: number;
  /** Per-recipient pair limit: `burst` at once, then `perSecond` (WhatsApp: 1 every 6 s). */
  recipient: { burst: number; perSecond: number };
}

export interface DispatcherOptions {
  store: Store;
  channels: Partial<Record<ChannelName, ChannelOutbound>>;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  retry: RetryPolicy;
  limits: Partial<Record<ChannelName, RateLimits>>;
  leaseMs: number;
  unknownGraceMs: number;
  /** Sends in flight at once. */
  concurrency?: number;
}

/** How often leases are checked for crashed senders and parked items for the end of their grace. */
const RECOVERY_EVERY_MS = 1000;

/**
 * Sends what the outbox holds. Items are leased before sending so two workers never send one item,
 * and a send's outcome is settled only under its lease. What goes when is decided by `planSends`
 * (order per recipient, one send in flight per recipient, rate limits, coalescing); what happens after
 * a failure by `decideRetry`; the bookkeeping by `settle.ts`.
 */
export class Dispatcher {
  private readonly db: Db;
  private readonly accountBuckets = new Map<ChannelName, BucketMap>();
  private readonly recipientBuckets = new Map<ChannelName, BucketMap>();
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private lastRecovery = 0;

  constructor(private readonly opts: DispatcherOptions) {
    this.db = opts.store.db;
    for (const [ch, l] of Object.entries(opts.limits) as [ChannelName, RateLimits][]) {
      this.accountBuckets.set(ch, new BucketMap(l.accountPerSecond, l.accountPerSecond));
      this.recipientBuckets.set(ch, new BucketMap(l.recipient.burst, l.recipient.perSecond));
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something was queued or finished: look again now rather than at the next timer. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits (until `deadline`, epoch ms) for sends in flight. */
  async stop(deadline: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sleepMs = RECOVERY_EVERY_MS;
      try {
        sleepMs = await this.tick();
      } catch (err) {
        this.opts.logger.error({ err }, 'dispatcher tick failed');
      }
      if (!this.running) break;
      await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || ms <= 0) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** One pass: recover leases, plan, claim, launch. Returns how long to sleep. */
  private async tick(): Promise<number> {
    const now = Date.now();
    if (now - this.lastRecovery >= RECOVERY_EVERY_MS) {
      this.lastRecovery = now;
      await recoverExpiredLeases(this.db, this.opts.unknownGraceMs, now);
    }
    const limit = (this.opts.concurrency ?? 128) - this.inFlight.size;
    if (limit <= 0) return RECOVERY_EVERY_MS; // a finishing send wakes us
    const due = await dueOutbox(this.db, Math.max(limit * 4, 64), now);
    const reads = due.filter((r) => r.kind === 'mark_read').slice(0, limit);
    for (const row of await claimOutbox(
      this.db,
      reads.map((r) => r.id),
      this.opts.owner,
      this.opts.leaseMs,
    )) {
      this.track(this.sendRead(row));
    }
    const messages = due.filter((r) => r.kind === 'message');
    const heads = await headsOfLine(this.db, [...new Set(messages.map(recipientKey))]);
    const plan = planSends({
      due: messages,
      heads,
      busy: this.busy,
      limit: limit - reads.length,
      waitFor: (row) => this.rateWait(row, now),
    });
    let launched = 0;
    for (const send of plan.sends) if (await this.launch(send, now)) launched++;
    if (launched > 0 || reads.length > 0) return 0;
    const next = await nextDueAt(this.db, now);
    const nextRecovery = this.lastRecovery + RECOVERY_EVERY_MS - now;
    return Math.max(1, Math.min(plan.waitMs, next === undefined ? Infinity : next - now, nextRecovery));
  }

  private rateWait(row: OutboxRow, now: number): number {
    const ch = row.channel as ChannelName;
    const acct = this.accountBuckets.get(ch)?.get(row.account, now);
    const pair = this.recipientBuckets.get(ch)?.get(recipientKey(row), now);
    return Math.max(acct?.waitMs(now) ?? 0, pair?.waitMs(now) ?? 0);
  }

  private async launch(send: PlannedSend, now: number): Promise<boolean> {
    const ids = [send.leader.id, ...send.members.map((m) => m.id)];
    const claimed = await claimOutbox(this.db, ids, this.opts.owner, this.opts.leaseMs, now);
    const leader = claimed.find((r) => r.id === send.leader.id);
    if (!leader) {
      // Another worker took the leader: give back what we did get.
      await releaseOwnedOutbox(
        this.db,
        this.opts.owner,
        claimed.map((r) => r.id),
      );
      return false;
    }
    const members = claimed.filter((r) => r.id !== leader.id);
    await groupUnder(
      this.db,
      leader.id,
      members.map((m) => m.id),
    );
    const ch = leader.channel as ChannelName;
    this.accountBuckets.get(ch)?.get(leader.account, now).tryTake(now);
    this.recipientBuckets.get(ch)?.get(send.key, now).tryTake(now);
    this.busy.add(send.key);
    this.track(
      this.sendMessage(leader, members).finally(() => {
        this.busy.delete(send.key);
        this.wake();
      }),
    );
    return true;
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => this.opts.logger.error({ err }, 'send task failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async sendRead(row: OutboxRow): Promise<void> {
    const ch = this.opts.channels[row.channel as ChannelName];
    const p = JSON.parse(row.payload) as { providerMessageId: string; typing: boolean };
    const t0 = performance.now();
    try {
      await ch?.markRead?.(row.account, p.providerMessageId, { typing: p.typing });
    } catch (err) {
      // Marking read is idempotent at the provider: a doubtful one is simply retried.
      const f = ch!.describeFailure(err);
      const retryable = f.failure.kind === 'in_doubt' ? { ...f, failure: { kind: 'transient' as const } } : f;
      await this.onFailure(row, [], retryable, { ...this.opts.retry, maxAttempts: 3 });
      return;
    }
    this.opts.metrics.sendSeconds.observe(
      { channel: row.channel, kind: 'mark_read' },
      (performance.now() - t0) / 1000,
    );
    await settleOutbox(this.db, row.id, this.opts.owner, { state: 'sent', sent_at: Date.now() });
    this.opts.metrics.outbound.inc({ channel: row.channel, kind: 'mark_read', outcome: 'sent' });
  }

  private async sendMessage(leader: OutboxRow, members: OutboxRow[]): Promise<void> {
    const ch = this.opts.channels[leader.channel as ChannelName];
    if (!ch) {
      const f: DeliveryFailure = {
        failure: { kind: 'permanent' },
        code: 'channel_not_configured',
        message: `channel ${leader.channel} is not configured`,
      };
      return this.onFailure(leader, members, f);
    }
    const content = combinedContent(leader, members);
    const replyTo = (JSON.parse(leader.payload) as { replyTo?: string }).replyTo;
    const t0 = performance.now();
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await ch.send({
        account: leader.account,
        to: leader.recipient,
        content,
        ...(replyTo ? { replyTo } : {}),
        callbackData: leader.idempotency_key,
      }));
    } catch (err) {
      return this.onFailure(leader, members, ch.describeFailure(err));
    }
    this.opts.metrics.sendSeconds.observe(
      { channel: leader.channel, kind: 'message' },
      (performance.now() - t0) / 1000,
    );
    await settleSent(this.db, this.opts.owner, leader, members, providerMessageId, content);
    const m = this.opts.metrics.outbound;
    m.inc({ channel: leader.channel, kind: 'message', outcome: 'sent' });
    if (members.length > 0)
      m.inc({ channel: leader.channel, kind: 'message', outcome: 'coalesced' }, members.length);
  }

  private async onFailure(
    leader: OutboxRow,
    members: OutboxRow[],
    f: DeliveryFailure,
    policy: RetryPolicy = this.opts.retry,
  ): Promise<void> {
    const d = decideRetry(f, leader.attempts, policy);
    const now = Date.now();
    if (f.failure.kind === 'throttled' && f.failure.scope === 'account' && d.action === 'retry') {
      this.accountBuckets
        .get(leader.channel as ChannelName)
        ?.get(leader.account, now)
        .pause(d.delayMs, now);
    }
    this.opts.logger.warn(
      {
        outboxId: leader.id,
        kind: leader.kind,
        code: f.code,
        traceId: f.traceId,
        action: d.action,
        attempt: leader.attempts,
      },
      `send failed: ${d.reason}`,
    );
    this.opts.metrics.outbound.inc(
      { channel: leader.channel, kind: leader.kind, outcome: d.action },
      1 + members.length,
    );
    await settleFailure(this.db, this.opts.owner, [leader, ...members], f, d, this.opts.unknownGraceMs, now);
  }
}
