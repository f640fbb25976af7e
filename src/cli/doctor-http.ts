import { connect } from 'node:net';

/**
 * The few network probes `passerelle doctor` and `passerelle init` make: one GET with a deadline, one
 * TCP connect. Every probe is bounded (`timeoutMs`, 5 s by default) so a check never hangs, and its
 * failure is a short reason with any secret masked: a Telegram token is part of its URLs.
 */

/** Default bound of one network check (request, body and any follow-up request together). */
export const CHECK_TIMEOUT_MS = 5000;

/** An HTTP answer: status and body, parsed as JSON when it is JSON (else the text). */
export interface HttpAnswer {
  status: number;
  body: unknown;
  text: string;
}

/** The request got no HTTP answer: refused, unknown host, TLS failure, or no answer in time. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

/**
 * GET `url` with `headers`, within `signal`'s deadline. Throws `ProbeError` with a short reason (the
 * cause's code, like ECONNREFUSED, or "no answer within 5 s"); `secrets` are masked in it.
 */
export async function httpGet(
  url: string,
  opts: { headers?: Record<string, string>; signal: AbortSignal; timeoutMs: number; secrets?: string[] },
): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, { headers: opts.headers ?? {}, signal: opts.signal, redirect: 'manual' });
    // Defence in depth: a proxy or a mock may echo the request's headers in its body.
    const text = mask(await res.text(), opts.secrets ?? []);
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, text };
  } catch (err) {
    throw new ProbeError(mask(reasonOf(err, opts.timeoutMs), opts.secrets ?? []));
  }
}

/** Opens a TCP connection to `host:port` and closes it at once; throws `ProbeError` when it cannot. */
export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeError(`no answer within ${seconds(timeoutMs)}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ProbeError(err.code ?? err.message));
    });
  });
}

function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${seconds(timeoutMs)}`;
  // fetch wraps the transport error: "fetch failed", cause ECONNREFUSED / ENOTFOUND / a TLS error.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Replaces each secret in `text` by `[redacted]`. */
export function mask(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join('[redacted]'), text);
}
