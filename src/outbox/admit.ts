import type { MessageContent } from '../core/content.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { toAuditEntry } from '../policy/audit.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { insertMessage, setMessageState } from '../store/messages.ts';
import { enqueueOne } from '../store/outbox.ts';

/**
 * Admission to the outbox: an outbound message and the policy's decision on it, committed together
 * in the caller's transaction, so a message is never queued without its decision on record, nor a
 * decision recorded for a message that was not kept. Every path that sends (the pipeline's replies,
 * the window resolver, the admin API, campaigns) goes through here.
 *
 * - `allow`: recorded `queued`, enqueued.
 * - `transform`: the original is recorded `held` with a `held` outbox item (it goes out if the window
 *   reopens: see `releaseHeld`), and the decision's content (the window template) is recorded and
 *   enqueued in its place.
 * - `hold`: recorded `held`, with a `held` outbox item an operator (or the person's next message)
 *   releases.
 * - `refuse`: recorded `refused` with the reason, nothing enqueued.
 *
 * One audit entry per message recorded, with the decision's reason and explanation.
 */

export interface OutboundToAdmit {
  conversationId: string;
  personId: string;
  contactId: string;
  channel: string;
  account: string;
  recipient: string;
  content: MessageContent;
  /** Stored with the message (sources, intent, confidence, inReplyTo…). */
  meta?: Record<string, unknown>;
  /** Unique per outbound message: repeating an admission with the same key queues nothing twice. */
  idempotencyKey: string;
}

export interface Admitted {
  /** The message as written (held when transformed). */
  messageId: string;
  /** The message actually queued in its place, for `transform`. */
  sentAsMessageId?: string;
  /** Whether something was put in line to send now (the dispatcher should be woken). */
  queued: boolean;
}

export async function admitOutbound(
  trx: Db,
  m: OutboundToAdmit,
  decision: PolicyDecision,
  now = Date.now(),
): Promise<Admitted> {
  const base = {
    conversationId: m.conversationId,
    personId: m.personId,
    contactId: m.contactId,
    channel: m.channel,
    direction: 'out' as const,
    sentAt: now,
  };
  const policyMeta = { policy: { action: decision.action, reason: decision.reason } };
  const status = decision.action === 'allow' ? 'queued' : decision.action === 'refuse' ? 'refused' : 'held';
  const { id: messageId } = await insertMessage(
    trx,
    { ...base, content: m.content, status, meta: { ...m.meta, ...policyMeta } },
    now,
  );
  const line = { channel: m.channel, account: m.account, recipient: m.recipient };
  let outboxId: string | null = null;
  if (decision.action === 'refuse') {
    await setMessageState(trx, messageId, 'refused', { errorCode: decision.reason }, now);
  } else {
    outboxId =
      (await enqueueOne(
        trx,
        {
          ...line,
          idempotencyKey: m.idempotencyKey,
          kind: 'message',
          messageId,
          payload: { content: m.content },
          ...(decision.action === 'allow' ? {} : { state: 'held' as const, heldReason: decision.reason }),
        },
        now,
      )) ?? null;
  }
  await audit(trx, toAuditEntry(decision, { messageId, personId: m.personId, outboxId }), now);
  if (decision.action !== 'transform' || !decision.content) {
    return { messageId, queued: decision.action === 'allow' };
  }

  const sentAs = await queueTemplateInPlace(
    trx,
    m,
    decision.content,
    decision,
    { idempotencyKey: `${m.idempotencyKey}:as-template`, replaces: messageId },
    now,
  );
  return { messageId, sentAsMessageId: sentAs.messageId, queued: sentAs.queued };
}

/** Where a message goes: the conversation, the person and the line (channel, account, recipient). */
export type Destination = Pick<
  OutboundToAdmit,
  'conversationId' | 'personId' | 'contactId' | 'channel' | 'account' | 'recipient'
>;

/**
 * The second half of a `transform`: the template the policy chose is recorded and queued in place of
 * the message(s) it `replaces` (kept held by the caller), with its own audit entry. Used at admission
 * and by the window resolver after a 131047.
 */
export async function queueTemplateInPlace(
  trx: Db,
  to: Destination,
  content: MessageContent,
  decision: PolicyDecision,
  opts: { idempotencyKey: string; replaces: string | string[] },
  now = Date.now(),
): Promise<{ messageId: string; queued: boolean }> {
  const { id: messageId } = await insertMessage(
    trx,
    {
      conversationId: to.conversationId,
      personId: to.personId,
      contactId: to.contactId,
      channel: to.channel,
      direction: 'out',
      sentAt: now,
      content,
      status: 'queued',
      meta: {
        intent: 'window_template',
        replaces: opts.replaces,
        policy: { action: decision.action, reason: decision.reason },
      },
    },
    now,
  );
  const outboxId = await enqueueOne(
    trx,
    {
      channel: to.channel,
      account: to.account,
      recipient: to.recipient,
      idempotencyKey: opts.idempotencyKey,
      kind: 'message',
      messageId,
      payload: { content },
    },
    now,
  );
  await audit(
    trx,
    toAuditEntry(decision, { messageId, personId: to.personId, outboxId: outboxId ?? null }),
    now,
  );
  return { messageId, queued: outboxId !== undefined };
}
