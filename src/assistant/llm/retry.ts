import { APICallError } from 'ai';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a failed model call is handled: wait and try again, or give up now (→ offline fallback). */
export type Failure =
  | { kind: 'retryable'; status: number | undefined; retryAfterMs: number | undefined }
  | { kind: 'timeout' }
  | { kind: 'fatal'; status: number | undefined };

/**
 * Thrown by a call that ran past its time limit. Timeouts are not retried: the person is waiting, and
 * a server that was slow once is likely slow again; the offline assistant answers instead.
 */
export class LlmTimeoutError extends Error {
  override name = 'LlmTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`model call timed out after ${timeoutMs} ms`);
  }
}

/**
 * Sorts an error from the AI SDK. Retryable: 408, 409, 429, 5xx and connection failures (the SDK marks
 * them `isRetryable`). Fatal: other 4xx (bad key, unknown model, bad request), malformed responses.
 */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof LlmTimeoutError) return { kind: 'timeout' };
  if (APICallError.isInstance(err)) {
    if (err.isRetryable) {
      return { kind: 'retryable', status: err.statusCode, retryAfterMs: retryAfterMs(err.responseHeaders) };
    }
    return { kind: 'fatal', status: err.statusCode };
  }
  return { kind: 'fatal', status: undefined };
}

/**
 * The wait a server asked for: `retry-after-ms` (OpenAI), else `Retry-After` in seconds or as an HTTP
 * date (RFC 9110 §10.2.3). `undefined` when absent or unreadable.
 */
export function retryAfterMs(
  headers: Record<string, string> | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/u.test(value)) return Number.parseFloat(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Retry settings; the defaults suit a person waiting on a chat. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First back-off; doubles each retry, with ±20 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server asking to wait longer than this is not waited for: the fallback answers now. */
  maxRetryAfterMs?: number;
}

/** Why the retry loop stopped: the last error and how it was classified. */
export class LlmCallError extends Error {
  override name = 'LlmCallError';
  constructor(
    readonly failure: Failure,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `model call failed after ${attempts} attempt(s): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/**
 * Runs `attempt` until it succeeds, a fatal error or timeout occurs, or retries run out; throws
 * `LlmCallError` then. Waits `Retry-After` when the server gave one (within `maxRetryAfterMs`), else
 * exponential back-off.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: {
    onRetry?: (failure: Failure, delayMs: number, n: number) => void;
    wait?: (ms: number) => Promise<unknown>;
  } = {},
): Promise<T> {
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 4000;
  const wait = hooks.wait ?? ((ms: number) => sleep(ms));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.kind !== 'retryable' || n > policy.maxRetries) throw new LlmCallError(failure, n, err);
      const backoff = Math.min(cap, base * 2 ** (n - 1)) * (0.8 + Math.random() * 0.4);
      const delay = failure.retryAfterMs ?? backoff;
      if (delay > (policy.maxRetryAfterMs ?? 10_000)) throw new LlmCallError(failure, n, err);
      hooks.onRetry?.(failure, delay, n);
      await wait(delay);
    }
  }
}
