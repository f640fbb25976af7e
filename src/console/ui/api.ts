/**
 * The console's HTTP client for `/console/api` (docs/console.md). It keeps the session's CSRF token in
 * memory only (never in storage: a token that outlives the page is a token to steal), sends it as
 * `X-CSRF-Token` on every non-GET request, and reports a lost session (401) to whoever listens, so the
 * app can show the sign-in screen.
 */

export const API = '/console/api';

/** A non-2xx answer, keeping the server's `{ error }` text and the whole body (422 carries a decision). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Remembers (or forgets, with null) the session's CSRF token. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 (no or expired session), except the sign-in calls themselves. */
export function onSessionLost(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

interface RequestOptions {
  body?: unknown;
  /** A 401 here is an answer, not a lost session (sign-in, setup, the first `/me`). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/** Calls the console API; resolves with the parsed JSON body (undefined for 204). */
export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(API + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    credentials: 'same-origin',
    signal: opts.signal,
  });
  const body = await readBody(res);
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw new ApiError(res.status, errorText(res, body), body);
  }
  return body as T;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorText(res: Response, body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string')
    return body.error;
  if (typeof body === 'string' && body.length < 200) return body;
  return `${res.status} ${res.statusText || 'error'}`;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The message to show for a failed call. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.name === 'AbortError') return '';
  return 'The gateway could not be reached. Check your connection and try again.';
}
