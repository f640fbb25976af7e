import type { Logger } from 'pino';
import type { ChannelName } from '../core/channel.ts';
import type { ChannelOutbound, DeliveryFailure } from '../core/delivery.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db, Store } from '../store/db.ts';
import { groupCommit, type GroupCommit } from '../store/group-commit.ts';
import {
  claimOutbox,
  dueOutbox,
  groupUnder,
  headsOfLine,
  nextDueAt,
  recoverExpiredLeases,
  releaseOwnedOutbox,
  settleOutboxSent,
  type OutboxRow,
} from '../store/outbox.ts';
import { combinedContent, planSends, recipientKey, type PlannedSend } from './plan.ts';
import { BucketMap } from './rate-limit.ts';
import { pauseSharedBucket, refundSharedToken, sweepSharedBuckets, takeSharedToken } from './shared-limit.ts';
import type { PolicyProfile } from '../policy/profiles.ts';
import { decideRetry, type RetryPolicy } from './retry.ts';
import { settleFailure, settleSentIn } from './settle.ts';

export interface RateLimits {
  /** Sends per second per business account (WhatsApp phone number): spec §3, 80 by default. */
  accountPerSecond: number;
  /** Per-recipient pair limit: `burst` at once, then `perSecond` (WhatsApp: 1 every 6 s). */
  recipient: { burst: number; perSecond: number };
}

/**
 * The dispatcher's token buckets from a policy profile's rates (the one source of send limits):
 * `perAccount` per business account, `perRecipient` per person (its `burst`, else its message count,
 * at once).
 */
export function limitsFromProfile(profile: Pick<PolicyProfile, 'rateLimits' | 'channel'>): RateLimits {
  const a = profile.rateLimits.perAccount;
  const r = profile.rateLimits.perRecipient;
  if (!a || !r) throw new Error(`policy: ${profile.channel} needs rateLimits.perAccount and perRecipient`);
  return {
    accountPerSecond: a.messages / a.perSeconds,
    recipient: { burst: r.burst ?? r.messages, perSecond: r.messages / r.perSeconds },
  };
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
  /** Called after a send was refused because the window had closed (the window resolver acts). */
  onNeedsTemplate?: () => void;
  /**
   * Rate limits kept in the database and shared by every process sending (Postgres, several
   * processes): without it each process allows the per-number and per-recipient limits in full.
   */
  sharedLimits?: boolean;
}

/** What a pass claimed, and how long to sleep after it. */
interface Pass {
  reads: OutboxRow[];
  launches: Launch[];
  sleepMs: number;
  now: number;
}

/** A claimed send: its leader and the replies coalesced into it. */
interface Launch {
  key: string;
  leader: OutboxRow;
  members: OutboxRow[];
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
  private readonly tx: GroupCommit;
  private readonly accountBuckets = new Map<ChannelName, BucketMap>();
  private readonly recipientBuckets = new Map<ChannelName, BucketMap>();
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private lastRecovery = 0;
  /** Recipients whose due messages the last pass held back because a send to them was in flight. */
  private waiting = new Set<string>();
  /** The last pass stopped at the in-flight limit. */
  private full = false;
  /** Time until the shared limits let a held-back send go (Infinity: none held back). */
  private sharedWait = Infinity;
  /** Accounts whose credentials the provider refused, until a send from them succeeds again. */
  readonly suspended = new Map<string, { code: string; since: number }>();

  constructor(private readonly opts: DispatcherOptions) {
    this.db = opts.store.db;
    this.tx = groupCommit(this.db);
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

  /**
   * Something was queued or finished: look again soon rather than at the next timer. A pass is a unit
   * of the store's group commit, so it runs in the next group, after the current turn's I/O; the
   * wakes until then share that pass.
   */
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

  /**
   * One pass: recover leases, read what is due, plan, claim (all in one transaction, through the
   * group commit), then launch what was claimed. Returns how long to sleep.
   */
  private async tick(): Promise<number> {
    const pass = await this.tx.run((trx) => this.pass(trx));
    for (const row of pass.reads) this.track(this.sendRead(row));
    for (const l of pass.launches) this.launch(l, pass.now);
    return pass.sleepMs;
  }

  private async pass(trx: Db): Promise<Pass> {
    const now = Date.now();
    if (now - this.lastRecovery >= RECOVERY_EVERY_MS) {
      this.lastRecovery = now;
      await recoverExpiredLeases(trx, this.opts.unknownGraceMs, now);
      if (this.opts.sharedLimits) await sweepSharedBuckets(trx, 60_000, now);
    }
    const limit = (this.opts.concurrency ?? 128) - this.inFlight.size;
    this.full = limit <= 0;
    // A finishing send wakes us.
    if (limit <= 0) return { reads: [], launches: [], sleepMs: RECOVERY_EVERY_MS, now };
    // A constant: the limit is compiled into the statement (one compiled form per value).
    const fetchLimit = Math.max((this.opts.concurrency ?? 128) * 4, 64);
    const due = await dueOutbox(trx, fetchLimit, now);
    const reads = due.filter((r) => r.kind === 'mark_read').slice(0, limit);
    const messages = due.filter((r) => r.kind === 'message');
    const heads =
      messages.length > 0
        ? await headsOfLine(trx, [...new Set(messages.map(recipientKey))])
        : new Map<string, string>();
    const plan = planSends({
      due: messages,
      heads,
      busy: this.busy,
      limit: limit - reads.length,
      waitFor: (row) => this.rateWait(row, now),
    });
    this.waiting = new Set(messages.map(recipientKey).filter((k) => this.busy.has(k)));
    this.sharedWait = Infinity;
    const claimed = await this.claim(trx, reads, plan.sends, now);
    this.full = claimed.reads.length + claimed.launches.length >= limit;
    // More may be due than this pass read or could start: look again at once.
    if (due.length >= fetchLimit || this.full) return { ...claimed, sleepMs: 0, now };
    const next = await nextDueAt(trx, now);
    const nextRecovery = this.lastRecovery + RECOVERY_EVERY_MS - now;
    const sleepMs = Math.max(
      1,
      Math.min(plan.waitMs, this.sharedWait, next === undefined ? Infinity : next - now, nextRecovery),
    );
    return { ...claimed, sleepMs, now };
  }

  /**
   * Leases the pass's mark-as-read items and planned sends, in the pass's transaction. A planned send
   * whose leader another worker took is given back.
   */
  private async claim(
    trx: Db,
    reads: OutboxRow[],
    sends: PlannedSend[],
    now: number,
  ): Promise<{ reads: OutboxRow[]; launches: Launch[] }> {
    if (reads.length === 0 && sends.length === 0) return { reads: [], launches: [] };
    const { owner, leaseMs } = this.opts;
    const readRows = await claimOutbox(
      trx,
      reads.map((r) => r.id),
      owner,
      leaseMs,
      now,
    );
    const launches: Launch[] = [];
    for (const send of sends) {
      if (!(await this.takeShared(trx, send, now))) continue;
      const ids = [send.leader.id, ...send.members.map((m) => m.id)];
      const rows = await claimOutbox(trx, ids, owner, leaseMs, now);
      const leader = rows.find((r) => r.id === send.leader.id);
      if (!leader) {
        // Another worker took the leader: give back what we did get.
        await releaseOwnedOutbox(
          trx,
          owner,
          rows.map((r) => r.id),
          now,
        );
        continue;
      }
      const members = rows.filter((r) => r.id !== leader.id);
      await groupUnder(
        trx,
        leader.id,
        members.map((m) => m.id),
      );
      launches.push({ key: send.key, leader, members });
    }
    return { reads: readRows, launches };
  }

  /**
   * With shared limits: a token from the business number's bucket, then from the recipient's, in the
   * database; when the recipient's refuses, the number's token is given back. Refused: the send waits,
   * and the pass sleeps until a token is due.
   */
  private async takeShared(trx: Db, send: PlannedSend, now: number): Promise<boolean> {
    const ch = send.leader.channel as ChannelName;
    const l = this.opts.limits[ch];
    if (!this.opts.sharedLimits || !l) return true;
    const accountKey = `account:${ch}:${send.leader.account}`;
    const acct = await takeSharedToken(trx, accountKey, l.accountPerSecond, l.accountPerSecond, now);
    if (!acct.ok) {
      this.sharedWait = Math.min(this.sharedWait, acct.waitMs);
      return false;
    }
    const pair = await takeSharedToken(
      trx,
      `pair:${send.key}`,
      l.recipient.burst,
      l.recipient.perSecond,
      now,
    );
    if (pair.ok) return true;
    await refundSharedToken(trx, accountKey);
    this.sharedWait = Math.min(this.sharedWait, pair.waitMs);
    return false;
  }

  private rateWait(row: OutboxRow, now: number): number {
    const ch = row.channel as ChannelName;
    const acct = this.accountBuckets.get(ch)?.get(row.account, now);
    const pair = this.recipientBuckets.get(ch)?.get(recipientKey(row), now);
    return Math.max(acct?.waitMs(now) ?? 0, pair?.waitMs(now) ?? 0);
  }

  private launch(l: Launch, now: number): void {
    const ch = l.leader.channel as ChannelName;
    this.accountBuckets.get(ch)?.get(l.leader.account, now).tryTake(now);
    this.recipientBuckets.get(ch)?.get(l.key, now).tryTake(now);
    this.busy.add(l.key);
    this.track(
      this.sendMessage(l.leader, l.members).finally(() => {
        this.busy.delete(l.key);
        // Only if a pass is waiting on this recipient or on a free slot; new items wake us anyway.
        if (this.waiting.has(l.key) || this.full) this.wake();
      }),
    );
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
    await this.tx.run((trx) => settleOutboxSent(trx, row.id, this.opts.owner, null));
    this.opts.metrics.outbound.inc({ channel: row.channel, kind: 'mark_read', outcome: 'sent' });
    if (this.full) this.wake();
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
    await this.tx.run((trx) =>
      settleSentIn(trx, this.opts.owner, leader, members, providerMessageId, content),
    );
    if (this.suspended.size > 0 && this.suspended.delete(`${leader.channel}:${leader.account}`))
      this.opts.logger.info(
        { channel: leader.channel, account: leader.account },
        'credentials accepted again: sends resumed',
      );
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
    if (
      (f.failure.kind === 'throttled' && f.failure.scope === 'account' && d.action === 'retry') ||
      d.action === 'suspend'
    ) {
      this.accountBuckets
        .get(leader.channel as ChannelName)
        ?.get(leader.account, now)
        .pause(d.delayMs, now);
      const l = this.opts.limits[leader.channel as ChannelName];
      if (this.opts.sharedLimits && l)
        await pauseSharedBucket(
          this.db,
          `account:${leader.channel}:${leader.account}`,
          l.accountPerSecond,
          d.delayMs,
          now,
        );
    }
    if (d.action === 'suspend') {
      this.suspended.set(`${leader.channel}:${leader.account}`, { code: String(f.code), since: now });
      this.opts.logger.error(
        { channel: leader.channel, account: leader.account, code: f.code, traceId: f.traceId },
        `${leader.channel} refused the credentials (${f.code}): sends from ${leader.account} are paused and replies wait; fix the access token or permissions`,
      );
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
    await this.tx.run((trx) =>
      settleFailure(trx, this.opts.owner, [leader, ...members], f, d, this.opts.unknownGraceMs, now),
    );
    // A retry or a parked item has a new due time: the next pass sets the timer for it.
    this.wake();
    if (d.action === 'needs_template') this.opts.onNeedsTemplate?.();
  }
}
