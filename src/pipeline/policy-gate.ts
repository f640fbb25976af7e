import type { ChannelName } from '../core/channel.ts';
import type { InboundMessageEvent } from '../core/events.ts';
import type { AssistantReply } from '../assistant/port.ts';
import { admitOutbound, type Admitted } from '../outbox/admit.ts';
import { dropHeld, releaseHeld } from '../outbox/held.ts';
import {
  confirmation,
  confirmationLanguage,
  CONFIRMATION_INTENTS,
  consentState,
  countryOf,
  inboundPolicy,
  outboundPolicy,
  scopeFor,
  senderRatePolicy,
  toAuditEntry,
  type PersonCountry,
  type Policy,
  type PolicyProfile,
  type ScopeDecision,
} from '../policy/index.ts';
import { audit } from '../store/audit.ts';
import { recordConsent, consentsOf } from '../store/consents.ts';
import type { Db } from '../store/db.ts';
import { inboundTimesSince } from '../store/messages.ts';
import { replyContext, setPersonLanguage } from '../store/people.ts';

/**
 * The policy at the pipeline's two transactions: what an inbound message means before the assistant
 * is asked (opt-out, opt-in, a request for a human, too many messages), the scope the assistant works
 * in, and the decision on each reply before it enters the outbox. Decisions come from the pure policy
 * engine (`src/policy`); this class reads the facts they need from the store and writes what they
 * decide, with their audit entries, in the caller's transaction.
 */

/** What the pipeline does with one recorded inbound message. */
export type InboundGate =
  /** Ask the assistant, in this scope. */
  | { kind: 'answer'; country: PersonCountry | undefined }
  /** Send the opt-out or opt-in confirmation; the assistant is not asked. */
  | { kind: 'confirm'; consent: 'opt_out' | 'opt_in'; word: string; country: PersonCountry | undefined }
  /** The person asked for a human: the assistant acknowledges it, nothing else. */
  | { kind: 'handoff'; country: PersonCountry | undefined }
  /** Answered with these replies, decided before the assistant (identity commands: link, export…). */
  | { kind: 'reply'; replies: AssistantReply[]; country: PersonCountry | undefined }
  /** Recorded, not answered automatically (over the per-sender rate). */
  | { kind: 'silent' };

/**
 * A step between the policy's keywords: after opt-out (which wins) and the release of held messages,
 * before opt-in, escalation and the assistant. Returns replies to send instead of asking the
 * assistant, or undefined to go on.
 */
export type InboundIntercept = (trx: Db, m: RecordedInbound) => Promise<AssistantReply[] | undefined>;

export interface RecordedInbound {
  event: InboundMessageEvent;
  personId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
}

export class PolicyGate {
  constructor(
    readonly policy: Policy,
    private readonly clock: () => number = Date.now,
  ) {}

  profile(channel: ChannelName): PolicyProfile {
    return this.policy[channel];
  }

  /**
   * Transaction 1, after the message was recorded: the per-sender rate, then keywords. Consent changes
   * are recorded, requests for a human put on record for operators, and messages held while the window
   * was closed released (the person wrote: it is open again) or, after an opt-out, dropped.
   * `released` counts messages put back in line.
   */
  async inbound(
    trx: Db,
    m: RecordedInbound,
    intercept?: InboundIntercept,
  ): Promise<{ gate: InboundGate; released: number }> {
    const { event, personId, messageId } = m;
    const profile = this.profile(event.channel);
    const subject = { messageId, personId };
    const rate = profile.rateLimits.perSender;
    if (rate) {
      // Arrival times (our clock), the message just recorded included: the guard counts it itself.
      const now = Date.now();
      const times = await inboundTimesSince(trx, personId, event.channel, now - rate.perSeconds * 1000);
      const d = senderRatePolicy(profile, { now, recentInboundAt: times.slice(1) });
      if (d.action === 'hold') {
        await audit(trx, toAuditEntry(d, subject));
        return { gate: { kind: 'silent' }, released: 0 };
      }
    }
    const country = countryOf({
      channel: event.channel,
      countryCode: event.from.countryCode ?? null,
      waId: event.from.waId ?? null,
      address: event.from.address,
    });
    const signal = inboundPolicy(profile, { content: event.content });
    if (signal.kind !== 'none') await audit(trx, toAuditEntry(signal, subject));
    const line = { channel: event.channel, account: event.account, recipient: event.from.address };
    if (signal.kind === 'opt_out') {
      await recordConsent(trx, {
        personId,
        channel: event.channel,
        kind: 'opt_out',
        source: `keyword:${signal.word}`,
      });
      await dropHeld(trx, line, personId);
      return { gate: { kind: 'confirm', consent: 'opt_out', word: signal.word!, country }, released: 0 };
    }
    const released = profile.window ? await releaseHeld(trx, line, personId) : 0;
    const replies = intercept ? await intercept(trx, m) : undefined;
    if (replies) return { gate: { kind: 'reply', replies, country }, released };
    if (signal.kind === 'opt_in') {
      await recordConsent(trx, {
        personId,
        channel: event.channel,
        kind: 'opt_in',
        source: `keyword:${signal.word}`,
      });
      return { gate: { kind: 'confirm', consent: 'opt_in', word: signal.word!, country }, released };
    }
    if (signal.kind === 'escalate') {
      await audit(trx, {
        action: 'handoff.requested',
        personId,
        messageId,
        reasonCode: signal.reason === 'escalation_button' ? 'person_tapped' : 'person_asked',
        detail: { conversationId: m.conversationId, channel: event.channel, word: signal.word },
      });
      return { gate: { kind: 'handoff', country }, released };
    }
    return { gate: { kind: 'answer', country }, released };
  }

  /** The assistant's scope for this person now. */
  scope(channel: ChannelName, country: PersonCountry | undefined): ScopeDecision {
    return scopeFor(this.profile(channel), { country, now: this.clock() });
  }

  /** The opt-out or opt-in confirmation, in the person's language (or the keyword's). */
  async confirmation(
    db: Db,
    m: RecordedInbound,
    consent: 'opt_out' | 'opt_in',
    word: string,
  ): Promise<AssistantReply> {
    const ctx = await replyContext(db, m.conversationId);
    const c = confirmation(this.profile(m.event.channel), consent, confirmationLanguage(word, ctx?.language));
    return {
      content: { type: 'text', text: c.text },
      intent: CONFIRMATION_INTENTS[consent],
      language: c.language,
    };
  }

  /**
   * Transaction 2: decides one reply (consent, templates, the window) and admits it to the outbox
   * accordingly, with its audit entry. Remembers the language the person was answered in.
   */
  async admitReply(
    trx: Db,
    m: RecordedInbound,
    reply: AssistantReply,
    opts: { idempotencyKey: string; country: PersonCountry | undefined; meta: Record<string, unknown> },
  ): Promise<Admitted> {
    const channel = m.event.channel;
    const profile = this.profile(channel);
    const ctx = await replyContext(trx, m.conversationId);
    // The conversation's person now: a code redeemed on another channel may have joined it to another.
    const personId = ctx?.personId ?? m.personId;
    const consents = consentState(await consentsOf(trx, personId, channel));
    if (reply.language && reply.language !== ctx?.language)
      await setPersonLanguage(trx, personId, reply.language);
    const decision = outboundPolicy(profile, {
      now: this.clock(),
      lastInboundAt: ctx?.lastInboundAt ?? null,
      ...consents,
      businessInitiated: false,
      reply: { content: reply.content, intent: reply.intent },
      country: opts.country,
      language: reply.language ?? ctx?.language ?? undefined,
    });
    return admitOutbound(
      trx,
      {
        conversationId: m.conversationId,
        personId,
        contactId: m.contactId,
        channel,
        account: m.event.account,
        recipient: m.event.from.address,
        content: reply.content,
        meta: opts.meta,
        idempotencyKey: opts.idempotencyKey,
      },
      decision,
    );
  }

  /** Writes a scope decision to the audit log (the pipeline does it when a model may answer anything). */
  async auditScope(trx: Db, d: ScopeDecision, m: RecordedInbound): Promise<void> {
    await audit(trx, toAuditEntry(d, { messageId: m.messageId, personId: m.personId }));
  }
}
