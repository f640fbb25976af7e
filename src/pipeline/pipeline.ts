import type { Logger } from 'pino';
import type { Assistant, AssistantReply } from '../assistant/port.ts';
import type { ChannelName } from '../core/channel.ts';
import type { InboundMessageEvent, StatusEvent } from '../core/events.ts';
import type { Metrics } from '../observability/metrics.ts';
import { audit } from '../store/audit.ts';
import type { Db, Store } from '../store/db.ts';
import {
  claimableForKey,
  claimInbox,
  LeaseLostError,
  markInboxDone,
  releaseInbox,
  unclaimInbox,
  type InboxItem,
} from '../store/inbox.ts';
import { insertMessage } from '../store/messages.ts';
import { enqueueOutbox } from '../store/outbox.ts';
import { applyStatus } from '../outbox/statuses.ts';
import { conversationFor, resolveContact, touchInbound } from '../store/people.ts';
import { coalesceTexts } from './coalesce.ts';

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
  /** Channels that show a typing indicator with mark-as-read. */
  typingChannels?: ChannelName[];
}

/** A message of the batch, resolved to its person and conversation. */
interface Received {
  item: InboxItem;
  event: InboundMessageEvent;
  personId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
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
 */
export class Pipeline {
  private readonly db: Db;
  constructor(private readonly opts: PipelineOptions) {
    this.db = opts.store.db;
  }

  /**
   * The `WorkQueue` batch handler. Takes the conversation's items in order (older unfinished items
   * first; nothing if an older one must wait), processes them as one batch, and if the batch fails,
   * item by item, so that only a failing item is retried (with back-off) and the ones after it wait.
   */
  readonly handle = async (orderingKey: string, ids: string[]): Promise<void> => {
    const upTo = ids.reduce((a, b) => (a > b ? a : b));
    const claimable = await claimableForKey(this.db, orderingKey, upTo);
    const items = await claimInbox(this.db, claimable, this.opts.owner, this.opts.leaseMs ?? 60_000);
    if (items.length === 0) return;
    try {
      await this.process(items);
      return;
    } catch (err) {
      if (items.length === 1) return this.release(items[0]!, err);
      this.opts.logger.warn({ err, items: items.length }, 'batch failed; retrying its items one by one');
    }
    for (const [i, item] of items.entries()) {
      try {
        await this.process([item]);
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

  private async process(items: InboxItem[]): Promise<void> {
    const statuses = items.filter((i) => i.event.kind === 'status');
    const messages = items.filter((i) => i.event.kind === 'message');
    const rest = items.filter((i) => i.event.kind !== 'status' && i.event.kind !== 'message');
    if (statuses.length > 0) await this.applyStatuses(statuses);
    if (messages.length > 0) await this.handleMessages(messages);
    if (rest.length > 0)
      await markInboxDone(
        this.db,
        rest.map((i) => i.id),
        this.opts.owner,
      );
  }

  private async applyStatuses(items: InboxItem[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const item of items) {
        const e = item.event as StatusEvent;
        await applyStatus(trx, e);
        this.opts.metrics.statuses.inc({ channel: e.channel, status: e.status });
      }
      await markInboxDone(
        trx,
        items.map((i) => i.id),
        this.opts.owner,
      );
    });
  }

  private async handleMessages(items: InboxItem[]): Promise<void> {
    const t0 = performance.now();
    // 1. Record what arrived and show the person we are on it (read receipt + typing indicator).
    const received = await this.db.transaction().execute(async (trx) => {
      const out: Received[] = [];
      for (const item of items) {
        const event = item.event as InboundMessageEvent;
        const { personId, contactId } = await resolveContact(trx, event.from);
        const conv = await conversationFor(trx, {
          personId,
          contactId,
          channel: event.channel,
          account: event.account,
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
        await touchInbound(trx, conv.id, event.timestamp);
        out.push({ item, event, personId, contactId, conversationId: conv.id, messageId });
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
    });
    this.opts.onOutbox();

    // 2. Ask the assistant, outside any transaction (it may take seconds with an LLM).
    const planned: PlannedReply[] = [];
    for (const r of received) {
      if (r.event.groupId) continue; // group chats are recorded, not answered
      const replies = await this.opts.assistant.reply({
        personId: r.personId,
        conversationId: r.conversationId,
        channel: r.event.channel,
        content: r.event.content,
        ...(r.event.from.displayName ? { displayName: r.event.from.displayName } : {}),
      });
      for (const rep of replies) planned.push({ ...rep, inboxId: r.item.id, received: r });
    }
    const merged = coalesceTexts(planned, (a, b, text) => ({
      ...a,
      content: { type: 'text', text },
      sources: [...(a.sources ?? []), ...(b.sources ?? [])],
    }));

    // 3. Commit replies to the outbox and close the batch, atomically: exactly one set of replies.
    await this.db.transaction().execute(async (trx) => {
      let n = 0;
      for (const rep of merged) {
        const r = rep.received;
        const { id: messageId } = await insertMessage(trx, {
          conversationId: r.conversationId,
          personId: r.personId,
          contactId: r.contactId,
          channel: r.event.channel,
          direction: 'out',
          content: rep.content,
          status: 'queued',
          sentAt: Date.now(),
          meta: {
            sources: rep.sources ?? [],
            intent: rep.intent,
            confidence: rep.confidence,
            inReplyTo: r.messageId,
          },
        });
        await enqueueOutbox(trx, [
          {
            idempotencyKey: `reply:${rep.inboxId}:${n++}`,
            kind: 'message',
            channel: r.event.channel,
            account: r.event.account,
            recipient: r.event.from.address,
            messageId,
            payload: { content: rep.content },
          },
        ]);
        if (rep.intent === 'handoff') {
          // The person asked for a human: on record for operators (the console's queue builds on it).
          await audit(trx, {
            action: 'handoff.requested',
            personId: r.personId,
            messageId: r.messageId,
            reasonCode: 'person_asked',
            detail: { conversationId: r.conversationId, channel: r.event.channel },
          });
        }
      }
      await markInboxDone(
        trx,
        items.map((i) => i.id),
        this.opts.owner,
      );
    });
    if (merged.length > 0) this.opts.onOutbox();
    for (const r of received)
      this.opts.metrics.pipelineSeconds.observe(
        { channel: r.event.channel },
        (performance.now() - t0) / 1000,
      );
  }
}
