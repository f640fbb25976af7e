import type { InboxRef } from '../store/inbox.ts';

/**
 * Processes a batch of inbox items that share an ordering key (one conversation), in arrival order.
 * It resolves once their effects are committed; the queue never runs two batches of one key at once.
 */
export type BatchHandler = (orderingKey: string, ids: string[]) => Promise<void>;

/**
 * The work-distribution port. The local adapter schedules inbox items inside this process; a NATS
 * JetStream adapter distributes them across processes. Either way: per-key order, at-least-once
 * delivery to the handler (which is idempotent through inbox leases), acknowledgement after commit.
 */
export interface WorkQueue {
  /** Announces items just committed to the inbox. */
  publish(refs: InboxRef[]): Promise<void>;
  /** Starts handing work to `handler`, including items left pending by an earlier run. */
  start(handler: BatchHandler): Promise<void>;
  /** Stops taking work and waits (up to `timeoutMs`) for batches in flight. */
  stop(timeoutMs: number): Promise<void>;
  /** Items known to be waiting or running in this process. */
  depth(): number;
}
