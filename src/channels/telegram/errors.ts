/**
 * Errors of the Telegram Bot API and their classification into the outbox's `FailureClass`.
 * Telegram answers every failed call with `error_code` (an HTTP status), a `description` and
 * sometimes `parameters` (`retry_after`, `migrate_to_chat_id`); grammY keeps all three on
 * `GrammyError`, so classification goes by code and parameters, never by parsing the description.
 * Transport failures reach us as grammY's `HttpError` wrapping one of the errors below, thrown by
 * our `fetch` (`client.ts`).
 */
import { GrammyError, HttpError } from 'grammy';
import type { DeliveryFailure, FailureClass } from '../../core/delivery.ts';

/**
 * A request Passerelle refuses before any call, with the code Telegram would have answered (400):
 * text too long, too many buttons, content Telegram cannot carry…
 */
export class TelegramRequestError extends Error {
  override readonly name = 'TelegramRequestError';
  readonly errorCode = 400;
  constructor(readonly description: string) {
    super(`Telegram request refused locally: ${description}`);
  }
}

/** The call got an HTTP answer that is not a Bot API JSON body (a proxy's HTML 502 page…). */
export class TelegramHttpStatusError extends Error {
  override readonly name = 'TelegramHttpStatusError';
  constructor(
    readonly method: string,
    readonly status: number,
    readonly excerpt?: string,
  ) {
    super(`${method}: HTTP ${status} without a Bot API body${excerpt ? ` — ${excerpt}` : ''}`);
  }
}

/** The request never got an answer: DNS, refused or reset connection, TLS… */
export class TelegramNetworkError extends Error {
  override readonly name: string = 'TelegramNetworkError';
  constructor(
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method}: ${message}`, options);
  }
}

/** No complete answer within the timeout. Telegram may still have acted on the request. */
export class TelegramTimeoutError extends TelegramNetworkError {
  override readonly name = 'TelegramTimeoutError';
  constructor(
    method: string,
    readonly timeoutMs: number,
  ) {
    super(method, `no response within ${timeoutMs} ms`);
  }
}

const TRANSIENT: FailureClass = { kind: 'transient' };
const PERMANENT: FailureClass = { kind: 'permanent' };

/**
 * Classifies anything a send or `markRead` threw.
 *
 * - 429 Too Many Requests: `throttled` with Telegram's `retry_after` (seconds) as `retryAfterMs`.
 *   The scope is `account`: Telegram does not say whether the chat's or the bot's limit was hit,
 *   and only an account-scoped throttle makes the outbox wait `retry_after` (and pause the bot's
 *   bucket) rather than guess a back-off.
 * - 5xx: `transient`.
 * - 403 (the person blocked the bot, deleted their account, the bot was removed from the group),
 *   400 (bad request, chat not found), 404: `permanent`, dead-lettered; 401 (token revoked): `unauthorized`, sends wait.
 * - A timeout, or a connection lost mid-request: `transient`, not `in_doubt`. The Bot API has no
 *   idempotency key and sends no delivery status that could echo one, so a parked send could never
 *   be proven delivered: parking would only delay the same re-send by `OUTBOX_UNKNOWN_GRACE_MS`.
 *   Re-sending after the usual back-off is the honest choice; the price is a possible duplicate
 *   when Telegram had in fact delivered the message (docs/telegram.md).
 * - Anything else (a bug): `permanent`, so it is dead-lettered rather than retried forever.
 */
export function describeTelegramFailure(err: unknown): DeliveryFailure {
  if (err instanceof GrammyError) {
    const retryAfter = err.parameters.retry_after;
    const base = {
      code: err.error_code,
      message: err.description,
      details: `${err.method}: ${err.description}`,
    };
    if (err.error_code === 429) {
      return {
        ...base,
        failure:
          typeof retryAfter === 'number'
            ? { kind: 'throttled', scope: 'account', retryAfterMs: retryAfter * 1000 }
            : { kind: 'throttled', scope: 'account' },
      };
    }
    // 401: the bot token was revoked or is wrong; the replies wait for the operator to fix it.
    if (err.error_code === 401) return { ...base, failure: { kind: 'unauthorized' } };
    return { ...base, failure: err.error_code >= 500 ? TRANSIENT : PERMANENT };
  }
  if (err instanceof TelegramRequestError) {
    return { failure: PERMANENT, code: err.errorCode, message: err.description, details: err.message };
  }
  const cause = err instanceof HttpError ? err.error : err;
  if (cause instanceof TelegramTimeoutError)
    return { failure: TRANSIENT, code: 'timeout', message: cause.message };
  if (cause instanceof TelegramNetworkError)
    return { failure: TRANSIENT, code: 'network', message: cause.message };
  if (cause instanceof TelegramHttpStatusError) {
    const failure: FailureClass =
      cause.status === 429
        ? { kind: 'throttled', scope: 'account' }
        : cause.status >= 500
          ? TRANSIENT
          : PERMANENT;
    return { failure, code: `http_${cause.status}`, message: cause.message };
  }
  if (err instanceof HttpError) return { failure: TRANSIENT, code: 'network', message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { failure: PERMANENT, code: 'unexpected', message };
}
