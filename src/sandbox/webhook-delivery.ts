import { createHmac } from 'node:crypto';
import { signBody } from '../channels/whatsapp/signature.ts';
import type { SandboxClock } from './clock.ts';
import type { FaultInjector } from './faults.ts';
import { newChallenge } from './ids.ts';
import type { SandboxLogger, SandboxSettings } from './options.ts';
import type { PendingWork } from './pending.ts';
import type { Business, WebhookItem } from './webhook-bodies.ts';
import { serializeWebhook, webhookBody } from './webhook-bodies.ts';

/**
 * One webhook POST attempt, as the log keeps it. A body gets one `deliveryId`; its duplicate copies
 * and retries share it. `outcome`: `delivered` (HTTP 200), `failed` (will be retried), `gave_up`
 * (last attempt failed), `dropped` (fault injection), `no_url` (no webhook URL configured).
 */
export interface WebhookAttempt {
  deliveryId: number;
  copy: number;
  attempt: number;
  /** Sandbox time of the attempt (ms). */
  at: number;
  url: string | undefined;
  outcome: 'delivered' | 'failed' | 'gave_up' | 'dropped' | 'no_url';
  status?: number;
  error?: string;
  /** For `failed`: sandbox ms until the next attempt. */
  retryInMs?: number;
  /** The exact bytes sent. */
  body: string;
  signature: string;
}

/** Result of the GET verification handshake (spec §1.1). */
export interface VerifyResult {
  verified: boolean;
  challenge: string;
  status?: number;
  body?: string;
  error?: string;
}

export interface DispatcherDeps {
  business: Business;
  clock: SandboxClock;
  settings: () => SandboxSettings;
  appSecret: string;
  verifyToken: string;
  faults: FaultInjector;
  pending: PendingWork;
  logger: SandboxLogger;
}

const LOG_LIMIT = 2000;

/**
 * Sends webhooks the way Meta does (spec §1.2, §1.6): signed exact bytes, at-least-once with
 * exponential back-off on the sandbox clock, optional duplicates, batching, and the faults injected
 * for webhooks (drop, delay, duplicate).
 */
export class WebhookDispatcher {
  readonly log: WebhookAttempt[] = [];
  #seq = 0;
  #buffer: WebhookItem[] = [];
  #bufferDone: (() => void) | undefined;
  #closed = false;
  readonly #inflight = new Set<AbortController>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Queues one item; items raised within `batchWindowMs` go out in one POST. */
  enqueue(item: WebhookItem): void {
    if (this.#closed) return;
    const windowMs = this.deps.settings().batchWindowMs;
    if (windowMs <= 0) return this.#deliver([item]);
    this.#buffer.push(item);
    if (this.#bufferDone) return;
    this.#bufferDone = this.deps.pending.begin();
    this.deps.clock.setTimer(() => this.flush(), windowMs);
  }

  /** Sends the batch being gathered now. */
  flush(): void {
    const items = this.#buffer;
    const done = this.#bufferDone;
    this.#buffer = [];
    this.#bufferDone = undefined;
    if (items.length > 0) this.#deliver(items);
    done?.();
  }

  /**
   * Performs the GET handshake against the webhook URL and reports `verified` only for HTTP 200 with
   * the challenge as the whole body. `verifyToken` overrides the configured one (to test rejection).
   */
  async verify(opts: { verifyToken?: string } = {}): Promise<VerifyResult> {
    const challenge = newChallenge();
    const url = this.deps.settings().webhookUrl;
    if (!url) return { verified: false, challenge, error: 'no webhook URL configured' };
    const target = new URL(url);
    target.searchParams.set('hub.mode', 'subscribe');
    target.searchParams.set('hub.verify_token', opts.verifyToken ?? this.deps.verifyToken);
    target.searchParams.set('hub.challenge', challenge);
    try {
      const res = await fetch(target, { signal: AbortSignal.timeout(this.deps.settings().webhookTimeoutMs) });
      const body = await res.text();
      return { verified: res.status === 200 && body === challenge, challenge, status: res.status, body };
    } catch (err) {
      return { verified: false, challenge, error: describe(err) };
    }
  }

  /** Stops retries and aborts POSTs in flight. */
  close(): void {
    this.#closed = true;
    for (const c of this.#inflight) c.abort();
  }

  #deliver(items: WebhookItem[]): void {
    const body = serializeWebhook(webhookBody(this.deps.business, items, this.deps.settings().bsuid));
    const deliveryId = ++this.#seq;
    const signature = signBody(body, this.deps.appSecret);
    const fault = this.deps.faults.takeWebhook();
    if (fault.drop) {
      const at = this.deps.clock.now();
      const url = this.deps.settings().webhookUrl;
      this.#record({ deliveryId, copy: 0, attempt: 1, at, url, outcome: 'dropped', body, signature });
      return;
    }
    const copies = 1 + this.deps.settings().duplicates + fault.extraCopies;
    for (let copy = 0; copy < copies; copy++) {
      const done = this.deps.pending.begin();
      const start = (): void => void this.#attempt({ deliveryId, copy, body, signature }, 1, done);
      if (fault.delayMs > 0) this.deps.clock.setTimer(start, fault.delayMs);
      else start();
    }
  }

  async #attempt(
    d: { deliveryId: number; copy: number; body: string; signature: string },
    attempt: number,
    done: () => void,
  ): Promise<void> {
    const { settings, clock } = this.deps;
    const url = settings().webhookUrl;
    const base = { ...d, attempt, at: clock.now(), url };
    if (this.#closed) return done();
    if (!url) {
      this.#record({ ...base, outcome: 'no_url' });
      return done();
    }
    const { status, error } = await this.#post(url, d.body, d.signature);
    if (status === 200) {
      this.#record({ ...base, outcome: 'delivered', status });
      return done();
    }
    const { baseDelayMs, maxAttempts } = settings().webhookRetry;
    if (attempt >= maxAttempts || this.#closed) {
      this.#record({ ...base, outcome: 'gave_up', status, error });
      return done();
    }
    const retryInMs = baseDelayMs * 2 ** (attempt - 1);
    this.#record({ ...base, outcome: 'failed', status, error, retryInMs });
    clock.setTimer(() => void this.#attempt(d, attempt + 1, done), retryInMs);
  }

  async #post(url: string, body: string, signature: string): Promise<{ status?: number; error?: string }> {
    const controller = new AbortController();
    this.#inflight.add(controller);
    const timeout = setTimeout(
      () => controller.abort(new Error('timeout')),
      this.deps.settings().webhookTimeoutMs,
    );
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'facebookexternalua',
          'x-hub-signature-256': signature,
          // spec §1.2 (secondary): Meta also sends the legacy SHA-1 signature.
          'x-hub-signature': 'sha1=' + createHmac('sha1', this.deps.appSecret).update(body).digest('hex'),
        },
        body,
        signal: controller.signal,
      });
      await res.arrayBuffer();
      return { status: res.status };
    } catch (err) {
      return { error: describe(controller.signal.reason ?? err) };
    } finally {
      clearTimeout(timeout);
      this.#inflight.delete(controller);
    }
  }

  #record(entry: WebhookAttempt): void {
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    const { body: _body, signature: _sig, ...summary } = entry;
    this.deps.logger.debug(summary, 'sandbox webhook');
  }
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
