import type { Logger } from 'pino';
import type { ChannelName } from '../core/channel.ts';
import type { MessageContent } from '../core/content.ts';
import {
  consentState,
  countryOf,
  outboundPolicy,
  toAuditEntry,
  type Policy,
  type PolicyDecision,
} from '../policy/index.ts';
import { audit } from '../store/audit.ts';
import { consentsOf } from '../store/consents.ts';
import type { Db } from '../store/db.ts';
import { setMessageState } from '../store/messages.ts';
import { LIVE_OUTBOX } from '../store/live.ts';
import { replyContext } from '../store/people.ts';
import { queueTemplateInPlace } from './admit.ts';

/**
 * After the provider said the customer-service window was closed (WhatsApp 131047, synchronous or in
 * a `failed` status), the send sits in `needs_template`. The resolver asks the policy again, now
 * knowing the window is closed: the configured template goes out in its place (`transform`), or the
 * message waits for an operator or the person's next message (`hold`), or it is dropped (`refuse`:
 * the person opted out meanwhile). One decision per recipient, so several replies caught by the
 * closed window cause one template, not one each. Each in one transaction, audited.
 */
export class WindowResolver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly opts: {
      db: Db;
      policy: Policy;
      logger: Logger;
      /** Something was queued: wake the dispatcher. */
      onOutbox: () => void;
      clock?: () => number;
      /** Safety net for a missed wake-up. */
      pollMs?: number;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Looks for sends waiting on a template soon (coalesces wake-ups). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .then(() => undefined)
      .catch((err: unknown) => this.opts.logger.error({ err }, 'window resolver pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.timer = setTimeout(() => this.wake(), this.opts.pollMs ?? 2000);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Resolves every waiting recipient; returns how many. */
  async pass(): Promise<number> {
    const db = this.opts.db;
    const rows = await db
      .selectFrom('outbox')
      .select(['id', 'message_id', 'channel', 'account', 'recipient', 'payload', 'idempotency_key'])
      .where(LIVE_OUTBOX)
      .where('state', '=', 'needs_template')
      .where('kind', '=', 'message')
      .where('coalesced_into', 'is', null)
      .orderBy('id')
      .limit(200)
      .execute();
    const lines = new Map<string, typeof rows>();
    for (const r of rows) {
      const k = `${r.channel}:${r.account}:${r.recipient}`;
      lines.set(k, [...(lines.get(k) ?? []), r]);
    }
    let queued = false;
    for (const line of lines.values()) {
      const q = await db.transaction().execute((trx) => this.resolve(trx, line));
      queued ||= q;
    }
    if (queued) this.opts.onOutbox();
    return lines.size;
  }

  private async resolve(
    trx: Db,
    rows: {
      id: string;
      message_id: string | null;
      channel: string;
      payload: string;
      idempotency_key: string;
      account: string;
      recipient: string;
    }[],
  ): Promise<boolean> {
    // Claim: only rows still waiting (another resolver, or an operator, may have acted).
    const ids = rows.map((r) => r.id);
    const members = await trx
      .selectFrom('outbox')
      .select(['id', 'message_id'])
      .where((eb) => eb.or([eb('id', 'in', ids), eb('coalesced_into', 'in', ids)]))
      .where('state', '=', 'needs_template')
      .execute();
    if (members.length === 0) return false;
    const first = rows[0]!;
    const msg = first.message_id
      ? await trx
          .selectFrom('messages')
          .innerJoin('contacts', 'contacts.id', 'messages.contact_id')
          .select([
            'messages.conversation_id',
            'messages.person_id',
            'messages.contact_id',
            'messages.meta',
            'contacts.country_code',
            'contacts.wa_id',
            'contacts.address',
          ])
          .where('messages.id', '=', first.message_id)
          .executeTakeFirst()
      : undefined;
    const channel = first.channel as ChannelName;
    const profile = this.opts.policy[channel];
    const content = (JSON.parse(first.payload) as { content: MessageContent }).content;
    const ctx = msg ? await replyContext(trx, msg.conversation_id) : undefined;
    const consents = msg
      ? consentState(await consentsOf(trx, msg.person_id, channel))
      : { optedIn: false, optedOut: false };
    const intent = msg?.meta ? (JSON.parse(msg.meta) as { intent?: string }).intent : undefined;
    const now = (this.opts.clock ?? Date.now)();
    let decision: PolicyDecision = outboundPolicy(profile, {
      now,
      lastInboundAt: ctx?.lastInboundAt ?? null,
      ...consents,
      businessInitiated: false,
      reply: { content, intent },
      country: msg
        ? countryOf({ channel, countryCode: msg.country_code, waId: msg.wa_id, address: msg.address })
        : undefined,
      language: ctx?.language ?? undefined,
      windowClosedByProvider: true,
    });
    if (decision.action === 'allow') {
      // Only a channel without a window could say so; the provider disagrees: an operator decides.
      decision = {
        ...decision,
        action: 'hold',
        explanation: `${decision.explanation} The provider refused it as outside the window all the same: held for an operator.`,
      };
    }
    const personId = msg?.person_id ?? null;
    const state = decision.action === 'refuse' ? 'dead' : 'held';
    await trx
      .updateTable('outbox')
      .set({ state, last_error_code: decision.reason, updated_at: Date.now() })
      .where(
        'id',
        'in',
        members.map((m) => m.id),
      )
      .where('state', '=', 'needs_template')
      .execute();
    for (const m of members) {
      if (m.message_id)
        await setMessageState(trx, m.message_id, state === 'dead' ? 'refused' : 'held', {
          errorCode: decision.reason,
        });
      await audit(trx, toAuditEntry(decision, { messageId: m.message_id, personId, outboxId: m.id }));
    }
    if (decision.action !== 'transform' || !decision.content || !msg) return false;
    const sentAs = await queueTemplateInPlace(
      trx,
      {
        conversationId: msg.conversation_id,
        personId: msg.person_id,
        contactId: msg.contact_id,
        channel,
        account: first.account,
        recipient: first.recipient,
      },
      decision.content,
      decision,
      {
        idempotencyKey: `window:${first.id}`,
        replaces: members.flatMap((m) => (m.message_id ? [m.message_id] : [])),
      },
    );
    return sentAs.queued;
  }
}
