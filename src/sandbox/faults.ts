import { z } from 'zod';

const times = z.union([z.number().int().positive(), z.literal('always')]).optional();

/**
 * A fault to inject (spec §7 item 8), the same shape programmatically and over HTTP
 * (`POST <base>/api/faults`). `times` (default 1) counts the sends or webhook POSTs it affects;
 * `'always'` keeps it until cleared.
 * - `send_error`: the next sends fail with this Graph error code (HTTP status from the catalogue).
 * - `send_http`: the next sends get a bare HTTP error (e.g. a 502 from a proxy), not a Graph body.
 * - `send_hang`: the next sends are answered only after `ms` real milliseconds (then processed).
 * - `webhook_drop`: the next webhook POSTs are never sent.
 * - `webhook_delay`: the next webhook POSTs leave `ms` sandbox milliseconds late.
 * - `webhook_duplicate`: the next webhook POSTs are sent `copies` extra times.
 * - `status_reorder`: the status webhooks of the next sends arrive in reverse order (timestamps stay true).
 */
export const faultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('send_error'),
    code: z.number().int().nonnegative(),
    httpStatus: z.number().int().min(400).max(599).optional(),
    details: z.string().optional(),
    times,
  }),
  z.object({
    kind: z.literal('send_http'),
    status: z.number().int().min(400).max(599),
    body: z.string().optional(),
    times,
  }),
  z.object({ kind: z.literal('send_hang'), ms: z.number().int().nonnegative(), times }),
  z.object({ kind: z.literal('webhook_drop'), times }),
  z.object({ kind: z.literal('webhook_delay'), ms: z.number().int().nonnegative(), times }),
  z.object({ kind: z.literal('webhook_duplicate'), copies: z.number().int().positive(), times }),
  z.object({ kind: z.literal('status_reorder'), times }),
]);

export type Fault = z.infer<typeof faultSchema>;
export type SendFault = Extract<Fault, { kind: 'send_error' | 'send_http' | 'send_hang' }>;

/** An injected fault with what is left of it. */
export type ActiveFault = Fault & { id: number; remaining: number | 'always' };

/** What the next webhook POST should suffer. */
export interface WebhookFaults {
  drop: boolean;
  delayMs: number;
  extraCopies: number;
}

/** Holds injected faults and hands them out, oldest first, to the sends and webhooks they affect. */
export class FaultInjector {
  #faults: ActiveFault[] = [];
  #nextId = 1;

  inject(fault: Fault): ActiveFault {
    const active = { ...fault, id: this.#nextId++, remaining: fault.times ?? 1 } as ActiveFault;
    this.#faults.push(active);
    return active;
  }

  list(): ActiveFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Removes one fault by id, or all of them. */
  clear(id?: number): void {
    this.#faults = id === undefined ? [] : this.#faults.filter((f) => f.id !== id);
  }

  /** The fault the current send suffers, if any (one per send). */
  takeSend(): SendFault | undefined {
    return this.#take((f): f is ActiveFault & SendFault => f.kind.startsWith('send_'));
  }

  /** Whether the statuses of the current send should arrive in reverse order. */
  takeReorder(): boolean {
    return this.#take((f) => f.kind === 'status_reorder') !== undefined;
  }

  /** A drop wins over everything; otherwise delays add up and copies add up. */
  takeWebhook(): WebhookFaults {
    if (this.#take((f) => f.kind === 'webhook_drop')) return { drop: true, delayMs: 0, extraCopies: 0 };
    let delayMs = 0;
    let extraCopies = 0;
    for (const f of this.#faults.filter(
      (x) => x.kind === 'webhook_delay' || x.kind === 'webhook_duplicate',
    )) {
      if (f.kind === 'webhook_delay') delayMs += f.ms;
      if (f.kind === 'webhook_duplicate') extraCopies += f.copies;
      this.#consume(f);
    }
    return { drop: false, delayMs, extraCopies };
  }

  #take<T extends ActiveFault>(match: (f: ActiveFault) => f is T): T | undefined;
  #take(match: (f: ActiveFault) => boolean): ActiveFault | undefined;
  #take(match: (f: ActiveFault) => boolean): ActiveFault | undefined {
    const f = this.#faults.find(match);
    if (f) this.#consume(f);
    return f;
  }

  #consume(f: ActiveFault): void {
    if (f.remaining === 'always') return;
    f.remaining -= 1;
    if (f.remaining <= 0) this.#faults = this.#faults.filter((x) => x !== f);
  }
}
