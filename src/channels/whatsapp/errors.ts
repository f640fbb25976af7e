/**
 * Errors of the WhatsApp Cloud API, kept with Meta's own data (`code`, `error_data.details`,
 * `fbtrace_id`, spec §2.4) so callers decide by code, never by parsing strings; and their
 * classification into the outbox's `FailureClass`.
 */
import type { DeliveryFailure, FailureClass } from '../../core/delivery.ts';
import { GraphErrorBody } from './types.ts';

/** What a `WhatsAppApiError` is built from. */
export interface WhatsAppApiErrorInit {
  /** Meta's numeric code, or a local one (`http_502`, `invalid_response`) when the body had none. */
  code: number | string;
  title: string;
  details?: string;
  fbtraceId?: string;
  httpStatus: number;
  type?: string;
  errorSubcode?: number;
  /** The response body as received (parsed JSON, or a short text excerpt). */
  raw?: unknown;
  /** True when Passerelle rejected the request itself, before any call to Meta. */
  local?: boolean;
}

/**
 * The Graph API refused a request, or Passerelle refused it first with the code Meta would have given
 * (`local: true`). Thrown by `GraphClient` for every non-2xx response and by `toGraphMessage` for
 * content Meta would reject, so the outbox classifies both the same way.
 */
export class WhatsAppApiError extends Error {
  override readonly name = 'WhatsAppApiError';
  readonly code: number | string;
  readonly title: string;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly httpStatus: number;
  readonly type: string | undefined;
  readonly errorSubcode: number | undefined;
  readonly raw: unknown;
  readonly local: boolean;

  constructor(init: WhatsAppApiErrorInit) {
    const where = init.local ? 'rejected locally' : `HTTP ${init.httpStatus}`;
    super(`WhatsApp error ${init.code} (${where}): ${init.title}${init.details ? ` — ${init.details}` : ''}`);
    this.code = init.code;
    this.title = init.title;
    this.details = init.details;
    this.fbtraceId = init.fbtraceId;
    this.httpStatus = init.httpStatus;
    this.type = init.type;
    this.errorSubcode = init.errorSubcode;
    this.raw = init.raw;
    this.local = init.local ?? false;
  }

  /**
   * Builds the error from an HTTP status and a body that may be Meta's envelope (spec §2.4), other
   * JSON, raw text (an HTML 502 page from a proxy) or nothing. Without an envelope the code is
   * `http_<status>`. The caller must have removed any secret from `body` beforehand.
   */
  static fromResponse(httpStatus: number, body: unknown): WhatsAppApiError {
    const json = typeof body === 'string' ? tryParseJson(body) : body;
    const parsed = GraphErrorBody.safeParse(json);
    if (parsed.success) {
      const e = parsed.data.error;
      const details = typeof e.error_data === 'string' ? e.error_data : e.error_data?.details;
      return new WhatsAppApiError({
        code: e.code,
        // spec §2.4: message = "(#<code>) <title>"
        title: (e.message ?? '').replace(/^\(#\d+\)\s*/, '') || e.error_user_title || 'Graph API error',
        details: details ?? e.error_user_msg,
        fbtraceId: e.fbtrace_id,
        httpStatus,
        type: e.type,
        errorSubcode: e.error_subcode,
        raw: json,
      });
    }
    const excerpt = typeof body === 'string' ? textExcerpt(body) : undefined;
    return new WhatsAppApiError({
      code: `http_${httpStatus}`,
      title: `HTTP ${httpStatus} without a Graph error body`,
      details: excerpt,
      httpStatus,
      raw: json ?? excerpt,
    });
  }

  /** A request Passerelle refuses before sending, with the code Meta gives for it (HTTP 400). */
  static local(code: number, title: string, details?: string): WhatsAppApiError {
    return new WhatsAppApiError({
      code,
      title,
      details,
      httpStatus: 400,
      type: 'LocalValidation',
      local: true,
    });
  }
}

/** The request never got an HTTP answer: DNS, refused or reset connection, TLS… */
export class WhatsAppNetworkError extends Error {
  override readonly name: string = 'WhatsAppNetworkError';
  /** Method and URL without query string (which never holds the token: it travels in a header). */
  readonly request: string;
  constructor(request: string, message: string, options?: { cause?: unknown }) {
    super(`${request}: ${message}`, options);
    this.request = request;
  }
}

/** No complete answer within `timeoutMs`. Meta may still have acted on the request. */
export class WhatsAppTimeoutError extends WhatsAppNetworkError {
  override readonly name = 'WhatsAppTimeoutError';
  readonly timeoutMs: number;
  constructor(request: string, timeoutMs: number) {
    super(request, `no response within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

const THROTTLED_ACCOUNT: FailureClass = { kind: 'throttled', scope: 'account' };
const TRANSIENT: FailureClass = { kind: 'transient' };
const PERMANENT: FailureClass = { kind: 'permanent' };
const IN_DOUBT: FailureClass = { kind: 'in_doubt' };
const UNAUTHORIZED: FailureClass = { kind: 'unauthorized' };

/** Transport errors that happen before any byte of the request can reach the server. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function neverSent(err: Error): boolean {
  for (let c: unknown = err.cause, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code && NOT_CONNECTED.has(code)) return true;
  }
  return false;
}

/**
 * Meta codes with a class other than permanent. Everything not listed is permanent: bad parameters
 * (100, 131008, 131009), undeliverable (131026), same sender and recipient (131021), template
 * errors (132000-family), policy blocks (368, 131031),
 * marketing caps (131049, 131050), spam rate limit (131048: retrying hurts the number's quality).
 */
const CODE_CLASS = new Map<number, FailureClass>([
  // spec §2.4: 130429 "Rate limit hit", Cloud API throughput of the number reached
  [130429, THROTTLED_ACCOUNT],
  // spec §2.4, §3: 131056 pair rate limit, 1 message every 6 s to the same user
  [131056, { kind: 'throttled', scope: 'recipient', retryAfterMs: 6_000 }],
  // spec §2.4: 4 / 80007 app or WABA API-call rate limit: the whole account must slow down
  [4, THROTTLED_ACCOUNT],
  [80007, THROTTLED_ACCOUNT],
  // spec §2.4, §3: 131047 re-engagement, more than 24 h since the user last wrote: send a template
  [131047, { kind: 'window_closed' }],
  // spec §2.4: 131000 unknown, 131016 service unavailable, 2 temporary (HTTP 500/500/503)
  [131000, TRANSIENT],
  [131016, TRANSIENT],
  [2, TRANSIENT],
  // spec §2.4, §3: 131057 account in maintenance mode, e.g. during a throughput upgrade
  [131057, TRANSIENT],
  // Graph "API Unknown" (code 1): Meta's advice is to wait and retry
  [1, TRANSIENT],
  // spec §2.4: 190 access token expired or invalid, 0 AuthException, 10 permission denied: the
  // operator must fix the credentials; the replies wait (sends from the number pause)
  [190, UNAUTHORIZED],
  [0, UNAUTHORIZED],
  [10, UNAUTHORIZED],
]);

/**
 * Classifies anything a send or mark-read threw into a `DeliveryFailure`, by Meta's `code` (spec
 * §2.4: "instead of subcodes or HTTP response status codes"). The HTTP status only decides when the
 * body carried no code: 5xx and 429 are worth retrying. Unknown throwables (bugs) are permanent, so
 * a programming error is dead-lettered instead of retried forever.
 */
export function describeWhatsAppFailure(err: unknown): DeliveryFailure {
  if (err instanceof WhatsAppApiError) {
    return {
      failure: classifyApiError(err),
      code: err.code,
      message: err.title,
      details: err.details,
      traceId: err.fbtraceId,
    };
  }
  if (err instanceof WhatsAppTimeoutError) {
    // Meta may have accepted the send and only the answer was lost: in doubt, not transient. The
    // outbox's idempotency key (biz_opaque_callback_data) lets a later status prove it went out.
    return { failure: IN_DOUBT, code: 'timeout', message: err.message };
  }
  if (err instanceof WhatsAppNetworkError) {
    // A connection that was never made cannot have delivered anything; any other transport failure
    // (reset, socket closed mid-answer) may have happened after Meta read the request.
    return { failure: neverSent(err) ? TRANSIENT : IN_DOUBT, code: 'network', message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { failure: PERMANENT, code: 'unexpected', message };
}

function classifyApiError(err: WhatsAppApiError): FailureClass {
  if (typeof err.code === 'number') {
    const known = CODE_CLASS.get(err.code);
    if (known) return known;
    // 200-299: the app lacks a permission (e.g. whatsapp_business_messaging)
    if (err.code >= 200 && err.code <= 299) return UNAUTHORIZED;
    if (err.local) return PERMANENT;
    // A code we do not know, on a 5xx: Meta's side failed; on anything else: our request is wrong.
    return err.httpStatus >= 500 ? TRANSIENT : PERMANENT;
  }
  // No Graph error body (proxy page, empty body): only the HTTP status is left to go by.
  if (err.httpStatus >= 500) return TRANSIENT;
  if (err.httpStatus === 429) return THROTTLED_ACCOUNT;
  return PERMANENT;
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short, single-line excerpt of a non-JSON body (tags stripped), for operators. */
function textExcerpt(text: string): string | undefined {
  const flat = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return undefined;
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
