import type { Logger } from 'pino';
import type { Assistant, AssistantReply } from '../assistant/port.ts';
import type { ChannelName } from '../core/channel.ts';
import type { InboundMessageEvent, StatusEvent } from '../core/events.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db, Store } from '../store/db.ts';
import { groupCommit, type GroupCommit } from '../store/group-commit.ts';
import {
  claimForKey,
  LeaseLostError,
  markInboxDone,
  releaseInbox,
  unclaimInbox,
  type InboxItem,
} from '../store/inbox.ts';
import { audit } from '../store/audit.ts';
import { nested } from '../store/sql.ts';
import { insertMessage } from '../store/messages.ts';
import { enqueueOutbox } from '../store/outbox.ts';
import { applyStatus } from '../outbox/statuses.ts';
import { conversationFor, replyContext, resolveContact, touchInbound } from '../store/people.ts';
import { coalesceTexts } from './coalesce.ts';
import { PolicyGate, type InboundGate, type InboundIntercept } from './policy-gate.ts';
import type { IdentityGate } from '../identity/gate.ts';
import { handoffOf, queueHandoff } from '../handoff/handoff.ts';
import { defaultPolicy, type Policy, type ScopeDecision } from '../policy/index.ts';

export interface PipelineOptions {
  store: Store;
  assistant: Assistant;
  logger: Logger;
  metrics: Metrics;
  /** Unique name of this worker, for leases. */
  owner: string;
  leaseMs?: number;
  maxAttempts?: number;
  /** Called after outbox items were committed, so the dispatcher sends them without waiting. */
  onOutbox: () => void;
  /** Called after a `failed` delivery status was applied (the window resolver may have work). */
  onDeliveryFailed?: () => void;
  /** Channels that show a typing indicator with mark-as-read. */
  typingChannels?: ChannelName[];
  /** The rules in force (`loadPolicy`); default: the shipped defaults. */
  policy?: Policy;
  /** Current time for policy decisions (the window clock, carve-out dates); default `Date.now`. */
  clock?: () => number;
  /** Link codes, unlinking and history downloads asked for in the chat; none: not recognised. */
  identity?: IdentityGate;
  /**
   * Where the assistant's answer to a message may be shown as it is written: a sink for its text, or
   * undefined when the message's channel cannot show partial text. The outbox reply stays authoritative.
   */
  stream?: (event: InboundMessageEvent) => ((text: string) => void) | undefined;
  /** Called after messages of these people were recorded or answered (the console's live updates). */
  onActivity?: (personIds: string[]) => void;
}

/** A message of the batch, resolved to its person and conversation. */
interface Received {
  item: InboxItem;
  event: InboundMessageEvent;
  personId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
  /** What the policy makes of it (answer, confirm a consent change, hand off, stay silent). */
  gate: InboundGate;
  /** The assistant's scope, once decided (just before asking it). */
  scope?: ScopeDecision;
  /** An agent holds the conversation: the assistant does not answer. */
  paused: boolean;
}

interface PlannedReply extends AssistantReply {
  inboxId: string;
  received: Received;
}

/**
 * The inbound pipeline: takes a batch of inbox items of one conversation, in order, and turns them into
 * committed effects. Messages: contact → person, record, mark read with typing, ask the assistant,
 * hand replies to the outbox. Statuses: update the message they concern. Every step is idempotent, so
 * a batch interrupted by a crash is simply processed again.
 *
 * Transactions go through the store's group commit (`groupCommit`): the batches of one turn of the
 * event loop share one commit, each batch's work still atomic on its own (a savepoint).
 */
export class Pipeline {
  private readonly db: Db;
  private readonly tx: GroupCommit;
  readonly gate: PolicyGate;
  /** A first step released held messages: the dispatcher has work (set and read on one event-loop turn). */
  private releasedHeld = false;
  /** A committed step applied a `failed` status (same single-turn use). */
  private deliveryFailed = false;
  constructor(private readonly opts: PipelineOptions) {
    this.db = opts.store.db;
    this.tx = groupCommit(this.db);
    this.gate = new PolicyGate(opts.policy ?? defaultPolicy(), opts.clock);
  }

  /**
   * The `WorkQueue` batch handler. Takes the conversation's items in order (older unfinished items
   * first; nothing if an older one must wait), processes them as one batch, and if the batch fails,
   * item by item, so that only a failing item is retried (with back-off) and the ones after it wait.
   *
   * The claim and the first step (recording messages, applying statuses) share one transaction; the
   * step runs in a nested savepoint, so when it fails the claim still commits and the attempt counts.
   */
  readonly handle = async (orderingKey: string, ids: string[]): Promise<void> => {
    const t0 = performance.now();
    const upTo = ids.reduce((a, b) => (a > b ? a : b));
    const claimed = await this.tx.run(async (trx) => {
      const items = await claimForKey(trx, orderingKey, upTo, this.opts.owner, this.opts.leaseMs ?? 60_000);
      if (items.length === 0) return undefined;
      return { items, first: await nested(trx, () => this.record(trx, items)) };
    });
    if (!claimed) return;
    if (this.deliveryFailed) {
      this.deliveryFailed = false;
      this.opts.onDeliveryFailed?.();
    }
    const { items, first } = claimed;
    let failure: unknown;
    if (first.ok) {
      try {
        await this.finish(items, first.value, t0);
        return;
      } catch (err) {
        failure = err;
      }
    } else failure = first.err;
    if (items.length === 1) return this.release(items[0]!, failure);
    this.opts.logger.warn(
      { err: failure, items: items.length },
      'batch failed; retrying its items one by one',
    );
    for (const [i, item] of items.entries()) {
      try {
        await this.finish([item], await this.tx.run((trx) => this.record(trx, [item])));
      } catch (err) {
        await this.release(item, err);
        await unclaimInbox(
          this.db,
          items.slice(i + 1).map((x) => x.id),
          this.opts.owner,
        );
        return;
      }
    }
  };

  /**
   * The identity step (inside the policy's keywords): a redeemed code may join this contact to another
   * person, so what follows (the reply, the next messages of the batch) uses the person it now has.
   */
  private readonly identityStep: InboundIntercept = async (trx, m) => {
    if (!this.opts.identity) return undefined;
    const out = await this.opts.identity.inbound(
      trx,
      {
        personId: m.personId,
        contactId: m.contactId,
        messageId: m.messageId,
        channel: m.event.channel,
        language: async () => (await replyContext(trx, m.conversationId))?.language,
      },
      m.event.content,
    );
    if (!out) return undefined;
    if (out.personId) m.personId = out.personId;
    return out.replies;
  };

  /** Gives a failed item back with exponential back-off (1 s … 60 s), or fails it after its attempts. */
  private async release(item: InboxItem, err: unknown): Promise<void> {
    if (err instanceof LeaseLostError) return; // another worker owns it now
    const message = err instanceof Error ? err.message : String(err);
    const maxAttempts = this.opts.maxAttempts ?? 5;
    this.opts.logger.error({ err, inboxId: item.id, attempt: item.attempts }, 'inbound event failed');
    if (item.attempts >= maxAttempts)
      this.opts.metrics.inbound.inc({
        channel: item.event.channel,
        kind: item.event.kind,
        outcome: 'failed',
      });
    const backoff = Math.min(1000 * 2 ** (item.attempts - 1), 60_000);
    await releaseInbox(this.db, [item.id], message, maxAttempts, backoff);
  }

  /**
   * The first step, inside the caller's transaction: statuses applied and done; messages recorded
   * (contact → person, conversation, message, window clock) with a mark-as-read queued; anything
   * else done.
   */
  private async record(trx: Db, items: InboxItem[]): Promise<Received[]> {
    const statuses = items.filter((i) => i.event.kind === 'status');
    const messages = items.filter((i) => i.event.kind === 'message');
    const rest = items.filter((i) => i.event.kind !== 'status' && i.event.kind !== 'message');
    if (statuses.length > 0) await this.applyStatuses(trx, statuses);
    const received = messages.length > 0 ? await this.recordMessages(trx, messages) : [];
    if (rest.length > 0)
      await markInboxDone(
        trx,
        rest.map((i) => i.id),
        this.opts.owner,
      );
    return received;
  }

  /** After the first step committed: the messages' replies, and their inbox items closed. */
  private async finish(items: InboxItem[], received: Received[], t0 = performance.now()): Promise<void> {
    if (received.length === 0) return;
    const messages = items.filter((i) => i.event.kind === 'message');
    // The mark-as-read, and held messages the person's new message released.
    if (!received[received.length - 1]!.event.groupId || this.releasedHeld) this.opts.onOutbox();
    this.releasedHeld = false;
    const people = [...new Set(received.map((r) => r.personId))];
    this.opts.onActivity?.(people);
    await this.reply(messages, received);
    this.opts.onActivity?.(people);
    for (const r of received)
      this.opts.metrics.pipelineSeconds.observe(
        { channel: r.event.channel },
        (performance.now() - t0) / 1000,
      );
  }

  private async applyStatuses(trx: Db, items: InboxItem[]): Promise<void> {
    for (const item of items) {
      const e = item.event as StatusEvent;
      await applyStatus(trx, e);
      this.opts.metrics.statuses.inc({ channel: e.channel, status: e.status });
      if (e.status === 'failed') this.deliveryFailed = true;
    }
    await markInboxDone(
      trx,
      items.map((i) => i.id),
      this.opts.owner,
    );
  }

  /** Records what arrived and shows the person we are on it (read receipt + typing indicator). */
  private async recordMessages(trx: Db, items: InboxItem[]): Promise<Received[]> {
    const out: Received[] = [];
    for (const item of items) {
      const event = item.event as InboundMessageEvent;
      const { personId, contactId, created } = await resolveContact(trx, event.from);
      const conv = await conversationFor(trx, {
        personId,
        contactId,
        channel: event.channel,
        account: event.account,
        isNewContact: created,
        lastInboundAt: event.timestamp,
      });
      const { id: messageId } = await insertMessage(trx, {
        conversationId: conv.id,
        personId,
        contactId,
        channel: event.channel,
        direction: 'in',
        providerMessageId: event.providerMessageId,
        content: event.content,
        ...(event.context?.messageId ? { replyTo: event.context.messageId } : {}),
        status: 'received',
        sentAt: event.timestamp,
        ...(event.groupId ? { meta: { groupId: event.groupId } } : {}),
      });
      // A conversation created just now already starts its window clock at this message.
      if (!conv.created) await touchInbound(trx, conv.id, event.timestamp);
      const recorded = { event, personId, contactId, conversationId: conv.id, messageId };
      // Group chats are recorded, not answered: no keywords, no consent, no handoff from them.
      const { gate, released } = event.groupId
        ? { gate: { kind: 'silent' } as const, released: 0 }
        : await this.gate.inbound(trx, recorded, this.identityStep);
      if (released > 0) this.releasedHeld = true;
      const handoff = event.groupId ? undefined : await handoffOf(trx, recorded.personId);
      // A request for a human puts the person in the agents' queue (unless already there).
      if (gate.kind === 'handoff')
        await queueHandoff(trx, {
          personId: recorded.personId,
          channel: event.channel,
          reason: 'person_asked',
          messageId,
        });
      out.push({ item, ...recorded, gate, paused: handoff?.state === 'assigned' });
    }
    const last = out[out.length - 1]!;
    if (!last.event.groupId) {
      // Marking the latest message read marks the earlier ones read too (spec §2.2).
      await enqueueOutbox(trx, [
        {
          idempotencyKey: `read:${last.event.channel}:${last.event.providerMessageId}`,
          kind: 'mark_read',
          channel: last.event.channel,
          account: last.event.account,
          recipient: last.event.from.address,
          payload: {
            providerMessageId: last.event.providerMessageId,
            typing: (this.opts.typingChannels ?? ['whatsapp']).includes(last.event.channel),
          },
        },
      ]);
    }
    return out;
  }

  /** Asks the assistant (outside any transaction), then commits the replies and closes the batch. */
  private async reply(items: InboxItem[], received: Received[]): Promise<void> {
    // Ask the assistant, outside any transaction (it may take seconds with an LLM).
    const planned: PlannedReply[] = [];
    for (const r of received) {
      for (const rep of await this.repliesTo(r)) planned.push({ ...rep, inboxId: r.item.id, received: r });
    }
    const merged = coalesceTexts(planned, (a, b, text) => ({
      ...a,
      content: { type: 'text', text },
      sources: [...(a.sources ?? []), ...(b.sources ?? [])],
    }));

    // Commit replies to the outbox, each with the policy's decision, and close the batch, atomically:
    // exactly one set of replies.
    let queued = false;
    await this.tx.run(async (trx) => {
      let n = 0;
      for (const rep of merged) {
        const r = rep.received;
        const admitted = await this.gate.admitReply(trx, r, rep, {
          idempotencyKey: `reply:${rep.inboxId}:${n++}`,
          country: r.gate.kind === 'silent' ? undefined : r.gate.country,
          meta: {
            sources: rep.sources ?? [],
            intent: rep.intent,
            confidence: rep.confidence,
            inReplyTo: r.messageId,
          },
        });
        queued ||= admitted.queued;
        if (rep.intent === 'handoff' && r.gate.kind !== 'handoff') {
          // The assistant recognised a request for a human the policy's words did not: on record too.
          await audit(trx, {
            action: 'handoff.requested',
            personId: r.personId,
            messageId: r.messageId,
            reasonCode: 'assistant_detected',
            detail: { conversationId: r.conversationId, channel: r.event.channel },
          });
          await queueHandoff(trx, {
            personId: r.personId,
            channel: r.event.channel,
            reason: 'assistant_detected',
            messageId: r.messageId,
          });
        }
      }
      // On record when a model may answer anything: business scope is the rule, general the exception.
      for (const r of received) if (r.scope?.scope === 'general') await this.gate.auditScope(trx, r.scope, r);
      await markInboxDone(
        trx,
        items.map((i) => i.id),
        this.opts.owner,
      );
    });
    if (queued) this.opts.onOutbox();
  }

  /**
   * What to say to one message, as the policy decided in the first step: a consent confirmation, the
   * acknowledgement of a request for a human, nothing, or the assistant's answer in the person's scope.
   */
  private async repliesTo(r: Received): Promise<AssistantReply[]> {
    const g = r.gate;
    if (g.kind === 'silent') return [];
    if (g.kind === 'reply') return g.replies;
    // An agent holds the conversation: recorded and shown to them, not answered automatically.
    if (r.paused) return [];
    if (g.kind === 'confirm') return [await this.gate.confirmation(this.db, r, g.consent, g.word)];
    const req = {
      personId: r.personId,
      conversationId: r.conversationId,
      channel: r.event.channel,
      content: r.event.content,
      ...(r.event.from.displayName ? { displayName: r.event.from.displayName } : {}),
    };
    if (g.kind === 'handoff') return this.opts.assistant.reply({ ...req, handoff: true });
    r.scope = this.gate.scope(r.event.channel, g.country);
    const onDelta = this.opts.stream?.(r.event);
    return this.opts.assistant.reply({ ...req, scope: r.scope.scope, ...(onDelta ? { onDelta } : {}) });
  }
}
