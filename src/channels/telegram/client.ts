/**
 * The Bot API client: grammY's `Api` (typed methods, `GrammyError` with Telegram's own error data)
 * over Node's `fetch`, with a per-request timeout and typed transport errors. The token is part of
 * every Bot API URL (`/bot<token>/<method>`), so no error or log line built here contains a URL: only
 * the method name.
 */
import { Api } from 'grammy';
import { TelegramHttpStatusError, TelegramNetworkError, TelegramTimeoutError } from './errors.ts';

export interface TelegramApiOptions {
  /** From @BotFather: `<bot id>:<secret>`. Secret. */
  token: string;
  /** Bot API server, default `https://api.telegram.org` (or a local Bot API server, or an emulator). */
  apiUrl?: string;
  /** Per request. A long-polling `getUpdates` gets its own `timeout` on top. Default 10 s. */
  timeoutMs?: number;
}

/** A grammY `Api` for one bot, whose failures `describeTelegramFailure` can classify. */
export function createTelegramApi(opts: TelegramApiOptions): Api {
  const apiRoot = (opts.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
  return new Api(opts.token, {
    apiRoot,
    fetch: timedFetch(opts.timeoutMs ?? 10_000) as never,
    // Our fetch enforces the timeout; grammY's own (which cannot tell a timeout from other failures)
    // is only a backstop.
    timeoutSeconds: 3600,
  });
}

/**
 * A `fetch` for grammY: Node's own, aborted after `timeoutMs` (plus the long-poll `timeout` of a
 * `getUpdates`) or when grammY's signal fires; every failure becomes a `Telegram…Error` naming the
 * method only; a non-JSON answer becomes `TelegramHttpStatusError` instead of a JSON parse error.
 */
function timedFetch(timeoutMs: number) {
  return async (url: string | URL, init: RequestInit & { signal?: unknown } = {}): Promise<Response> => {
    const method = String(url).split('/').pop() ?? 'unknown';
    const limit = timeoutMs + longPollSeconds(method, init.body) * 1000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limit);
    // grammY passes its own AbortSignal implementation, which Node's fetch does not accept: relay it.
    const outer = init.signal as
      { aborted: boolean; addEventListener(t: 'abort', l: () => void): void } | null | undefined;
    const relay = () => controller.abort();
    if (outer?.aborted) controller.abort();
    else outer?.addEventListener('abort', relay);
    try {
      const res = await fetch(url, {
        method: init.method ?? 'POST',
        headers: init.headers,
        body: init.body,
        signal: controller.signal,
      });
      if (!(res.headers.get('content-type') ?? '').includes('json')) {
        throw new TelegramHttpStatusError(method, res.status, excerpt(await res.text()));
      }
      // The body is read by grammY; buffer it now so the timeout covers it too.
      const text = await res.text();
      return new Response(text, { status: res.status, headers: res.headers });
    } catch (err) {
      if (err instanceof TelegramHttpStatusError) throw err;
      if (timedOut) throw new TelegramTimeoutError(method, limit);
      if (controller.signal.aborted) throw err; // grammY (or polling's stop) aborted on purpose
      throw new TelegramNetworkError(method, (err as Error).message, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The `timeout` (seconds) of a long-polling `getUpdates`, which Telegram may hold the call for. */
function longPollSeconds(method: string, body: unknown): number {
  if (method !== 'getUpdates' || typeof body !== 'string') return 0;
  try {
    const t = (JSON.parse(body) as { timeout?: unknown }).timeout;
    return typeof t === 'number' && t > 0 ? t : 0;
  } catch {
    return 0;
  }
}

function excerpt(text: string): string | undefined {
  const flat = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return undefined;
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
