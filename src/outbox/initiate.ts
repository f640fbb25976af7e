import type { ChannelName } from '../core/channel.ts';
import type { MessageContent } from '../core/content.ts';
import {
  consentState,
  countryOf,
  outboundPolicy,
  type Policy,
  type PolicyDecision,
} from '../policy/index.ts';
import { consentsOf, recordConsent } from '../store/consents.ts';
import type { Db } from '../store/db.ts';
import { conversationFor, replyContext, resolveContact } from '../store/people.ts';
import { admitOutbound } from './admit.ts';

/**
 * Messages the business starts (notifications, operator messages, campaigns) rather than replies:
 * the policy decides with `businessInitiated: true` (opt-in required where the profile says so,
 * opt-outs honoured, the window or a template), and the message is admitted with its decision, like
 * a reply. Consents recorded from outside (a website form, a CRM) go through `recordOptIn`.
 */

export interface BusinessMessage {
  channel: ChannelName;
  /** Business account to send from (WhatsApp phone number id). */
  account: string;
  /** The person's address on the channel (WhatsApp: phone number digits). */
  to: string;
  content: MessageContent;
  /** Repeating a request with the same key sends nothing twice and answers the first result. */
  idempotencyKey: string;
  /** Who asked (`api`, `campaign:<id>`, `operator:<id>`), kept with the message. */
  source: string;
  /**
   * Default true. False for a service message in a conversation the person keeps open (a campaign's
   * notice inside the window): decided like a reply, so it needs no opt-in and never becomes a template.
   */
  businessInitiated?: boolean;
  /** Stored with the message's meta (`intent` defaults to `business_initiated`). */
  intent?: string;
}

export interface Initiated {
  messageId: string;
  decision: Pick<PolicyDecision, 'action' | 'reason' | 'explanation' | 'rule'>;
  /** Something was put in line to send now. */
  queued: boolean;
  /** The same key was used before: nothing new was done. */
  repeated: boolean;
}

/**
 * The contact address as webhooks write it: a WhatsApp number is digits only (`+336…` → `336…`), a
 * BSUID is its own user id. So a number given with `+` finds the person who wrote from it.
 */
function addressOf(channel: ChannelName, to: string) {
  if (channel !== 'whatsapp') return { channel, address: to };
  if (to.startsWith('user.')) return { channel, address: to, userId: to };
  const digits = to.replace(/^\+/, '');
  return { channel, address: digits, waId: digits };
}

export async function initiate(
  db: Db,
  policy: Policy,
  m: BusinessMessage,
  now: number = Date.now(),
): Promise<Initiated> {
  return db.transaction().execute(async (trx) => {
    // A repeated key: answer the first decision (the outbox by its unique key, the audit by message).
    const queued = await trx
      .selectFrom('outbox')
      .select('message_id')
      .where('idempotency_key', '=', m.idempotencyKey)
      .executeTakeFirst();
    const earlier = queued?.message_id
      ? await trx
          .selectFrom('audit_log')
          .select(['message_id', 'action', 'reason_code', 'detail'])
          .where('message_id', '=', queued.message_id)
          .where('actor', '=', 'policy')
          .orderBy('at')
          .executeTakeFirst()
      : undefined;
    if (earlier) {
      const detail = JSON.parse(earlier.detail ?? '{}') as { explanation?: string; rule?: string };
      return {
        messageId: earlier.message_id!,
        decision: {
          action: earlier.action.replace(/^policy\./, '') as PolicyDecision['action'],
          reason: earlier.reason_code as PolicyDecision['reason'],
          explanation: detail.explanation ?? '',
          rule: detail.rule ?? '',
        },
        queued: false,
        repeated: true,
      };
    }
    const address = addressOf(m.channel, m.to);
    const contact = await resolveContact(trx, address, now);
    const conv = await conversationFor(
      trx,
      {
        personId: contact.personId,
        contactId: contact.contactId,
        channel: m.channel,
        account: m.account,
        isNewContact: contact.created,
      },
      now,
    );
    const ctx = await replyContext(trx, conv.id);
    const decision = outboundPolicy(policy[m.channel], {
      now,
      lastInboundAt: ctx?.lastInboundAt ?? null,
      ...consentState(await consentsOf(trx, contact.personId, m.channel)),
      businessInitiated: m.businessInitiated ?? true,
      reply: { content: m.content, ...(m.intent ? { intent: m.intent } : {}) },
      country: countryOf({
        channel: m.channel,
        countryCode: contact.contact.country_code,
        waId: contact.contact.wa_id,
        address: contact.contact.address,
      }),
      language: ctx?.language ?? undefined,
    });
    const admitted = await admitOutbound(
      trx,
      {
        conversationId: conv.id,
        personId: contact.personId,
        contactId: contact.contactId,
        channel: m.channel,
        account: m.account,
        recipient: address.address,
        content: m.content,
        meta: { intent: m.intent ?? 'business_initiated', source: m.source },
        idempotencyKey: m.idempotencyKey,
      },
      decision,
      // Queued in real time: `now` may be the policy's clock, and the dispatcher runs on the real one.
    );
    const { action, reason, explanation, rule } = decision;
    return {
      messageId: admitted.messageId,
      decision: { action, reason, explanation, rule },
      queued: admitted.queued,
      repeated: false,
    };
  });
}

/** Records a consent given or withdrawn outside the chat (a web form, a CRM, an operator). */
export async function recordConsentFor(
  db: Db,
  c: { channel: ChannelName; to: string; kind: 'opt_in' | 'opt_out'; source: string },
  now = Date.now(),
): Promise<{ personId: string; consentId: string }> {
  return db.transaction().execute(async (trx) => {
    const contact = await resolveContact(trx, addressOf(c.channel, c.to), now);
    const consentId = await recordConsent(
      trx,
      { personId: contact.personId, channel: c.channel, kind: c.kind, source: c.source },
      now,
    );
    return { personId: contact.personId, consentId };
  });
}
