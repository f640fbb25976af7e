import type { Logger } from 'pino';
import type { ChannelName } from '../core/channel.ts';
import type { MessageContent } from '../core/content.ts';
import type { ChannelOutbound, DeliveryFailure } from '../core/delivery.ts';
import type { Metrics } from '../observability/metrics.ts';
import { MAX_TEXT } from '../pipeline/coalesce.ts';
import { audit } from '../store/audit.ts';
import type { Db, Store } from '../store/db.ts';
import { refreshMessageStatus, setMessageState } from '../store/messages.ts';
import {
  claimOutbox,
  dueOutbox,
  nextDueAt,
  recoverExpiredLeases,
  settleOutbox,
  type OutboxRow,
} from '../store/outbox.ts';
import { BucketMap } from './rate-limit.ts';
import { decideRetry, type RetryPolicy } from './retry.ts';

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

interface MessagePayload {
  content: MessageContent;
  replyTo?: string;
}
interface ReadPayload {
  providerMessageId: string;
  typing: boolean;
}

/**
 * Sends what the outbox holds. Items are leased before sending so two workers never send one item; a
 * send's outcome is settled only under the lease. Per recipient, one send is in flight at a time, and
 * text replies that queued up behind it are coalesced into one message. Rate limits are applied
 * before calling the provider; provider throttling and failures go through the retry policy.
 */
export class Dispatcher {
  private readonly db: Db;
  private readonly accountBuckets = new Map<ChannelName, BucketMap>();
  private readonly recipientBuckets = new Map<ChannelName, BucketMap>();
  private readonly busyRecipients = new Set<string>();
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

  /** Something was queued: look now rather than at the next timer. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming, waits for sends in flight (up to `timeoutMs`). */
  async stop(timeoutMs: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sleepMs = 1000;
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
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        done();
      };
    });
  }

  /** One pass: recover leases, claim what may go now, launch sends. Returns how long to sleep. */
  private async tick(): Promise<number> {
    const now = Date.now();
    if (now - this.lastRecovery >= 1000) {
      this.lastRecovery = now;
      await recoverExpiredLeases(this.db, this.opts.unknownGraceMs, now);
    }
    const limit = (this.opts.concurrency ?? 128) - this.inFlight.size;
    if (limit <= 0) return 1000;
    const due = await dueOutbox(this.db, Math.max(limit * 4, 64), now);
    let wait = Infinity;
    const groups = new Map<string, OutboxRow[]>();
    const reads: OutboxRow[] = [];
    for (const row of due) {
      if (row.kind === 'mark_read') {
        reads.push(row);
        continue;
      }
      const key = `${row.channel}:${row.account}:${row.recipient}`;
      const g = groups.get(key);
      if (g) g.push(row);
      else groups.set(key, [row]);
    }
    let launched = 0;
    for (const row of await claimOutbox(
      this.db,
      reads.slice(0, limit).map((r) => r.id),
      this.opts.owner,
      this.opts.leaseMs,
    )) {
      this.track(this.sendRead(row));
      launched++;
    }
    for (const [key, rows] of groups) {
      if (launched >= limit) break;
      if (this.busyRecipients.has(key)) continue;
      const leader = rows[0]!;
      const ch = leader.channel as ChannelName;
      const acct = this.accountBuckets.get(ch)?.get(leader.account, now);
      const pair = this.recipientBuckets.get(ch)?.get(key, now);
      const w = Math.max(acct?.waitMs(now) ?? 0, pair?.waitMs(now) ?? 0);
      if (w > 0) {
        wait = Math.min(wait, w);
        continue;
      }
      const batch = coalescible(rows);
      const claimed = await claimOutbox(
        this.db,
        batch.map((r) => r.id),
        this.opts.owner,
        this.opts.leaseMs,
      );
      const lead = claimed.find((r) => r.id === leader.id);
      if (!lead) continue;
      acct?.tryTake(now);
      pair?.tryTake(now);
      this.busyRecipients.add(key);
      launched++;
      this.track(
        this.sendMessage(
          lead,
          claimed.filter((r) => r.id !== lead.id),
        ).finally(() => {
          this.busyRecipients.delete(key);
          this.wake();
        }),
      );
    }
    if (launched > 0) return 0;
    const next = await nextDueAt(this.db);
    if (next !== undefined) wait = Math.min(wait, Math.max(next - Date.now(), 0));
    for (const m of this.recipientBuckets.values()) m.sweep(now);
    return Math.min(wait, 1000);
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => this.opts.logger.error({ err }, 'send task failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private channel(name: string): ChannelOutbound | undefined {
    return this.opts.channels[name as ChannelName];
  }

  private async sendRead(row: OutboxRow): Promise<void> {
    const ch = this.channel(row.channel);
    const p = JSON.parse(row.payload) as ReadPayload;
    if (!ch?.markRead) {
      await settleOutbox(this.db, row.id, this.opts.owner, { state: 'sent', sent_at: Date.now() });
      return;
    }
    const t0 = performance.now();
    try {
      await ch.markRead(row.account, p.providerMessageId, { typing: p.typing });
      this.opts.metrics.sendSeconds.observe(
        { channel: row.channel, kind: 'mark_read' },
        (performance.now() - t0) / 1000,
      );
      await settleOutbox(this.db, row.id, this.opts.owner, { state: 'sent', sent_at: Date.now() });
      this.opts.metrics.outbound.inc({ channel: row.channel, kind: 'mark_read', outcome: 'sent' });
    } catch (err) {
      await this.onFailure(row, [], ch.describeFailure(err), { ...this.opts.retry, maxAttempts: 3 });
    }
  }

  private async sendMessage(leader: OutboxRow, members: OutboxRow[]): Promise<void> {
    const ch = this.channel(leader.channel);
    if (!ch) {
      await this.onFailure(leader, members, {
        failure: { kind: 'permanent' },
        code: 'channel_not_configured',
        message: `channel ${leader.channel} is not configured`,
      });
      return;
    }
    const payload = JSON.parse(leader.payload) as MessagePayload;
    let content = payload.content;
    if (members.length > 0 && content.type === 'text') {
      const parts = [
        content.text,
        ...members.map((m) => (JSON.parse(m.payload) as { content: { text: string } }).content.text),
      ];
      content = { type: 'text', text: parts.join('\n\n') };
    }
    const t0 = performance.now();
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await ch.send({
        account: leader.account,
        to: leader.recipient,
        content,
        ...(payload.replyTo ? { replyTo: payload.replyTo } : {}),
        callbackData: leader.idempotency_key,
      }));
    } catch (err) {
      await this.onFailure(leader, members, ch.describeFailure(err));
      return;
    }
    this.opts.metrics.sendSeconds.observe(
      { channel: leader.channel, kind: 'message' },
      (performance.now() - t0) / 1000,
    );
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const ok = await settleOutbox(trx, leader.id, this.opts.owner, {
        state: 'sent',
        provider_message_id: providerMessageId,
        sent_at: now,
      });
      // Not ok: a status notification already reconciled this item (it carried our key).
      if (ok && leader.message_id) {
        await setMessageState(trx, leader.message_id, 'accepted', {
          providerMessageId,
          ...(members.length > 0 ? { content } : {}),
        });
        await refreshMessageStatus(trx, leader.channel, providerMessageId);
        await trx
          .updateTable('conversations')
          .set({ last_outbound_at: now })
          .where(
            'id',
            '=',
            trx.selectFrom('messages').select('conversation_id').where('id', '=', leader.message_id),
          )
          .execute();
      }
      for (const m of members) {
        await settleOutbox(trx, m.id, this.opts.owner, {
          state: 'coalesced',
          coalesced_into: leader.id,
          sent_at: now,
        });
        if (m.message_id) await setMessageState(trx, m.message_id, 'coalesced');
      }
    });
    this.opts.metrics.outbound.inc({ channel: leader.channel, kind: 'message', outcome: 'sent' });
    if (members.length > 0)
      this.opts.metrics.outbound.inc(
        { channel: leader.channel, kind: 'message', outcome: 'coalesced' },
        members.length,
      );
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
    const errorFields = {
      last_error_code: String(f.code),
      last_error: `${f.message}${f.details ? ` — ${f.details}` : ''}`.slice(0, 2000),
      last_trace_id: f.traceId ?? null,
    };
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
    await this.db.transaction().execute(async (trx) => {
      for (const row of [leader, ...members]) {
        if (d.action === 'retry') {
          await settleOutbox(trx, row.id, this.opts.owner, {
            state: 'pending',
            next_attempt_at: now + d.delayMs,
            ...errorFields,
          });
          continue;
        }
        const state = d.action === 'dead' ? 'dead' : 'needs_template';
        const ok = await settleOutbox(trx, row.id, this.opts.owner, { state, ...errorFields });
        if (!ok) continue;
        if (row.message_id) {
          await setMessageState(trx, row.message_id, state, {
            errorCode: String(f.code),
            ...(f.details ? { errorDetails: f.details } : {}),
          });
        }
        const person = row.message_id
          ? await trx
              .selectFrom('messages')
              .select('person_id')
              .where('id', '=', row.message_id)
              .executeTakeFirst()
          : undefined;
        await audit(trx, {
          action: d.action === 'dead' ? 'outbox.dead_letter' : 'outbox.needs_template',
          personId: person?.person_id ?? null,
          messageId: row.message_id,
          outboxId: row.id,
          reasonCode: d.action === 'dead' ? `error_${f.code}` : 'window_closed',
          detail: { reason: d.reason, attempts: row.attempts, traceId: f.traceId },
        });
      }
    });
  }
}

/** The first item to a recipient plus the plain-text items right behind it that fit in one message. */
function coalescible(rows: OutboxRow[]): OutboxRow[] {
  const first = rows[0]!;
  const p0 = JSON.parse(first.payload) as MessagePayload;
  if (p0.content.type !== 'text' || p0.replyTo) return [first];
  const out = [first];
  let len = p0.content.text.length;
  for (const r of rows.slice(1)) {
    const p = JSON.parse(r.payload) as MessagePayload;
    if (p.content.type !== 'text' || p.replyTo) break;
    len += 2 + p.content.text.length;
    if (len > MAX_TEXT) break;
    out.push(r);
  }
  return out;
}
