import type { SandboxClock, TimerHandle } from './clock.ts';
import type { WebhookErrorObject } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import type { SandboxSettings } from './options.ts';
import type { PendingWork } from './pending.ts';
import type { OutboundMessage, SandboxState, SimUser, StatusName } from './state.ts';
import { isLaterStatus } from './state.ts';
import { statusObject } from './webhook-bodies.ts';
import type { WebhookDispatcher } from './webhook-delivery.ts';

export interface StatusDeps {
  clock: SandboxClock;
  settings: () => SandboxSettings;
  state: SandboxState;
  dispatcher: WebhookDispatcher;
  faults: FaultInjector;
  pending: PendingWork;
}

interface Planned {
  status: StatusName;
  handle: TimerHandle;
  done: () => void;
}

/** Gap between reordered status webhooks, so the receiver sees them in the reversed order. */
const REORDER_GAP_MS = 25;

/**
 * Turns accepted sends into status webhooks (spec §1.5): `sent` → `delivered` → `read` on the
 * sandbox clock, or one `failed` with its error. Pricing rides on `sent` and on the first later
 * status; reactions get `sent` only; a read cancels a pending `delivered` (read implies delivered).
 */
export class StatusScheduler {
  readonly #planned = new Map<string, Planned[]>();
  readonly #pricedLater = new Set<string>();

  constructor(private readonly deps: StatusDeps) {}

  /** Plans the statuses of a send just accepted; `failure` makes it a single `failed` status. */
  afterSend(msg: OutboundMessage, user: SimUser, failure?: WebhookErrorObject): void {
    const { sent, delivered, read } = this.deps.settings().statusDelaysMs;
    if (failure) return this.#plan(msg, user, 'failed', sent, msg.at + sent, [failure]);
    const plan: [StatusName, number][] = [['sent', sent]];
    if (msg.type !== 'reaction') {
      const skipDelivered = this.deps.settings().skipDeliveredOnRead && read !== null;
      if (delivered !== null && !skipDelivered) plan.push(['delivered', Math.max(delivered, sent)]);
      if (read !== null) plan.push(['read', Math.max(read, delivered ?? 0, sent)]);
    }
    if (this.deps.faults.takeReorder()) {
      const last = plan[plan.length - 1]![1];
      [...plan].reverse().forEach(([status, delay], i) => {
        this.#plan(msg, user, status, last + i * REORDER_GAP_MS, msg.at + delay);
      });
      return;
    }
    for (const [status, delay] of plan) this.#plan(msg, user, status, delay, msg.at + delay);
  }

  /**
   * The user opened the chat: every business message up to `upToId` (default: all) that is `sent`
   * or `delivered` becomes `read` now. Returns the messages read.
   */
  userRead(user: SimUser, upToId?: string): OutboundMessage[] {
    const read: OutboundMessage[] = [];
    for (const item of this.deps.state.conversation(user.key)) {
      if (
        item.direction === 'out' &&
        item.type !== 'reaction' &&
        (item.status === 'sent' || item.status === 'delivered')
      ) {
        this.#cancel(item.id, ['delivered', 'read']);
        this.#emit(item, user, 'read', this.deps.clock.now());
        read.push(item);
      }
      if (item.id === upToId) break;
    }
    return read;
  }

  /** Cancels every planned status (sandbox shutdown). */
  close(): void {
    for (const id of [...this.#planned.keys()]) this.#cancel(id, ['sent', 'delivered', 'read', 'failed']);
  }

  #plan(
    msg: OutboundMessage,
    user: SimUser,
    status: StatusName,
    delay: number,
    at: number,
    errors?: WebhookErrorObject[],
  ): void {
    const done = this.deps.pending.begin();
    const planned: Planned = {
      status,
      done,
      handle: this.deps.clock.setTimer(() => {
        this.#forget(msg.id, planned);
        this.#emit(msg, user, status, at, errors);
        done();
      }, delay),
    };
    this.#planned.set(msg.id, [...(this.#planned.get(msg.id) ?? []), planned]);
  }

  #cancel(id: string, statuses: StatusName[]): void {
    for (const p of this.#planned.get(id) ?? []) {
      if (!statuses.includes(p.status)) continue;
      p.handle.cancel();
      p.done();
      this.#forget(id, p);
    }
  }

  #forget(id: string, p: Planned): void {
    const rest = (this.#planned.get(id) ?? []).filter((x) => x !== p);
    if (rest.length > 0) this.#planned.set(id, rest);
    else this.#planned.delete(id);
  }

  #emit(
    msg: OutboundMessage,
    user: SimUser,
    status: StatusName,
    at: number,
    errors?: WebhookErrorObject[],
  ): void {
    const rec = { status, at, ...(errors ? { errors } : {}) };
    msg.statuses.push(rec);
    if (isLaterStatus(msg.status, status)) msg.status = status;
    this.deps.state.touch(msg);
    let pricing = status === 'sent';
    if ((status === 'delivered' || status === 'read') && !this.#pricedLater.has(msg.id)) {
      this.#pricedLater.add(msg.id);
      pricing = true;
    }
    const bsuid = this.deps.settings().bsuid;
    this.deps.dispatcher.enqueue({
      kind: 'status',
      user,
      status: statusObject(msg, rec, user, { bsuid, pricing }),
    });
  }
}
