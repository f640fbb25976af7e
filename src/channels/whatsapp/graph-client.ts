/**
 * A small client for the Cloud API endpoints the gateway uses (spec §2.1, §2.2, §2.5), over undici's
 * lowest-level API (`Dispatcher.dispatch`) with a keep-alive connection pool per client: the answer
 * arrives as a status, headers and body chunks, with no stream in between. (Global `fetch` is undici
 * too, but wraps every call in WHATWG `Request`/`Response`/`Headers` objects and web streams, several
 * times the CPU per call, and the gateway makes two calls per message.) It does I/O only: bodies are
 * built by `outbound.ts`, failures are classified by `errors.ts`.
 *
 * The access token travels only in the `Authorization` header; it never appears in a URL, an error
 * message or a log line, and any echo of it in a response body is masked before an error is built.
 */
import { Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { WhatsAppApiError, WhatsAppNetworkError, WhatsAppTimeoutError } from './errors.ts';
import { MediaInfo, SendMessageResponse } from './types.ts';

/** How to reach the Graph API for one business phone number. */
export interface GraphClientOptions {
  /** Base URL, e.g. `https://graph.facebook.com` or the local sandbox. */
  graphUrl: string;
  /** `vNN.N` (spec: v24.0 and v25.0 are current). */
  apiVersion: string;
  /** System-user or business token. Secret. */
  accessToken: string;
  /** The sending number's id (spec §2.1: `/<PHONE_NUMBER_ID>/messages`). */
  phoneNumberId: string;
  /** Per request, covering the body as well as the headers. Default 10 s. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * Hosts, besides the Graph URL's, to which `downloadMedia` may send the token. Default: Meta's
   * media CDN (`lookaside.fbsbx.com`). A media URL elsewhere is refused rather than sent the token.
   */
  mediaHosts?: readonly string[];
}

/** Per-call override of the sending number, for one token serving several numbers. */
export interface AccountOption {
  phoneNumberId?: string;
}

/** Downloaded media bytes and the type the server gave them. */
export interface DownloadedMedia {
  data: Buffer;
  contentType: string;
}

const DEFAULT_USER_AGENT = 'Passerelle/0.1 (+https://github.com/passerelle; WhatsApp Cloud API client)';

/**
 * One business phone number's view of the Graph API. Every non-2xx answer throws a
 * `WhatsAppApiError` (code, details, fbtrace_id kept); no answer in time throws
 * `WhatsAppTimeoutError`; a transport failure throws `WhatsAppNetworkError`.
 */
export class GraphClient {
  readonly phoneNumberId: string;
  readonly #token: string;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #mediaHosts: ReadonlySet<string>;
  /** Keep-alive connections, per origin (the Graph API, the media CDN). */
  readonly #pool: Dispatcher = new Agent({ keepAliveTimeout: 30_000 });

  constructor(opts: GraphClientOptions) {
    this.phoneNumberId = opts.phoneNumberId;
    this.#token = opts.accessToken;
    this.#base = `${opts.graphUrl.replace(/\/+$/, '')}/${opts.apiVersion}`;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.#mediaHosts = new Set([
      new URL(opts.graphUrl).host,
      ...(opts.mediaHosts ?? ['lookaside.fbsbx.com']),
    ]);
  }

  /**
   * `POST /<PHONE_NUMBER_ID>/messages` with a body from `toGraphMessage` (spec §2.1). Resolves when
   * Meta *accepted* the message (spec §2.3), not when it was delivered: that comes by webhook.
   */
  async sendMessage(body: object, opts: AccountOption = {}): Promise<SendMessageResponse> {
    const json = await this.#json('POST', this.#url(`${this.#pnid(opts)}/messages`), { json: body });
    return this.#expect(SendMessageResponse, json, 'POST /messages');
  }

  /**
   * Marks an inbound message read (and the earlier ones of the thread), optionally showing the typing
   * indicator for up to 25 s or until we reply (spec §2.2). Meta answers `{"success": true}`.
   */
  async markRead(messageId: string, opts: { typing: boolean } & AccountOption): Promise<void> {
    const body: Record<string, unknown> = {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: messageId,
    };
    if (opts.typing) body.typing_indicator = { type: 'text' };
    await this.#json('POST', this.#url(`${this.#pnid(opts)}/messages`), { json: body });
  }

  /** `POST /<PHONE_NUMBER_ID>/media` as multipart (spec §2.5); the id lasts 30 days. */
  async uploadMedia(
    data: Buffer | Blob,
    mimeType: string,
    filename: string,
    opts: AccountOption = {},
  ): Promise<{ id: string }> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', mimeType);
    const blob = data instanceof Blob ? data : new Blob([new Uint8Array(data)], { type: mimeType });
    form.set('file', blob, filename);
    const json = await this.#json('POST', this.#url(`${this.#pnid(opts)}/media`), { form });
    const id = (json as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') throw invalidResponse('POST /media', 'no media id');
    return { id };
  }

  /** `GET /<MEDIA_ID>` (spec §2.5): a download URL that expires after 5 minutes, and metadata. */
  async getMedia(mediaId: string, opts: AccountOption = {}): Promise<MediaInfo> {
    const json = await this.#json('GET', this.#url(encodeURIComponent(mediaId), this.#pnid(opts)));
    return this.#expect(MediaInfo, json, 'GET /<media-id>');
  }

  /**
   * Fetches media bytes from a URL given by `getMedia` (spec §2.5), with the token and a custom
   * User-Agent (Meta's CDN refuses some default agents). An expired URL gives 404 → `WhatsAppApiError`.
   * Documents reach 100 MB: pass a longer `timeoutMs` for them than for API calls.
   */
  async downloadMedia(url: string, opts: { timeoutMs?: number } = {}): Promise<DownloadedMedia> {
    const target = new URL(url);
    if (!this.#mediaHosts.has(target.host)) {
      throw WhatsAppApiError.local(
        100,
        'Media URL host not allowed',
        `refusing to send the token to ${target.host}`,
      );
    }
    const label = `GET ${target.origin}${target.pathname}`;
    const res = await this.#send(label, url, 'GET', undefined, opts.timeoutMs);
    return { data: res.body, contentType: res.contentType ?? 'application/octet-stream' };
  }

  /** `DELETE /<MEDIA_ID>` (spec §2.5). */
  async deleteMedia(mediaId: string, opts: AccountOption = {}): Promise<void> {
    await this.#json('DELETE', this.#url(encodeURIComponent(mediaId), this.#pnid(opts)));
  }

  #pnid(opts: AccountOption): string {
    return encodeURIComponent(opts.phoneNumberId ?? this.phoneNumberId);
  }

  #url(path: string, phoneNumberId?: string): string {
    return `${this.#base}/${path}${phoneNumberId ? `?phone_number_id=${phoneNumberId}` : ''}`;
  }

  async #json(method: string, url: string, body: { json?: object; form?: FormData } = {}): Promise<unknown> {
    let payload: Payload | undefined;
    if (body.json) {
      payload = { type: 'application/json', data: JSON.stringify(body.json) };
    } else if (body.form) {
      // Multipart encoding (boundary and all) as the WHATWG `Response` does it; uploads are rare.
      const encoded = new Response(body.form);
      payload = {
        type: encoded.headers.get('content-type')!,
        data: Buffer.from(await encoded.arrayBuffer()),
      };
    }
    const label = `${method} ${url.replace(/\?.*$/, '')}`;
    const res = await this.#send(label, url, method, payload);
    const text = this.#mask(res.body.toString('utf8'));
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalidResponse(label, 'body is not JSON', res.status);
    }
  }

  /**
   * One request with the token, the timeout over the whole exchange (headers and body), and errors
   * mapped: a non-2xx answer → `WhatsAppApiError`; no complete answer in time → `WhatsAppTimeoutError`;
   * anything else → `WhatsAppNetworkError`, its cause kept (connection refused is told apart by code).
   */
  #send(
    label: string,
    url: string,
    method: string,
    payload: Payload | undefined,
    timeoutMs = this.#timeoutMs,
  ): Promise<Answer> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      'user-agent': this.#userAgent,
    };
    if (payload) headers['content-type'] = payload.type;
    return new Promise<Answer>((resolve, reject) => {
      const exchange = new Exchange(resolve, reject);
      const timer = setTimeout(() => exchange.timeout(), timeoutMs);
      exchange.finally = () => clearTimeout(timer);
      this.#pool.dispatch(
        {
          origin: target.origin,
          path: target.pathname + target.search,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: payload?.data ?? null,
        },
        exchange,
      );
    }).then(
      (res) => {
        if (res.status < 200 || res.status > 299)
          throw WhatsAppApiError.fromResponse(res.status, this.#mask(res.body.toString('utf8')));
        return res;
      },
      (err: unknown) => {
        if (err === TIMED_OUT) throw new WhatsAppTimeoutError(label, timeoutMs);
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new WhatsAppNetworkError(label, this.#mask(reason), { cause: err });
      },
    );
  }

  #expect<S extends z.ZodType>(schema: S, json: unknown, label: string): z.infer<S> {
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw invalidResponse(label, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data;
  }

  /** Defence in depth: a proxy or a mock may echo request headers in its body. */
  #mask(text: string): string {
    return this.#token === '' ? text : text.split(this.#token).join('[redacted]');
  }
}

/** A request body and its content type. */
interface Payload {
  type: string;
  data: string | Buffer;
}

/** A complete HTTP answer. */
interface Answer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** The reason an exchange is aborted when its time is up. */
const TIMED_OUT = new Error('timed out');

/** Collects one HTTP exchange for `Dispatcher.dispatch`: status, content type and body bytes. */
class Exchange implements Dispatcher.DispatchHandlers {
  finally: () => void = () => {};
  #abort: ((err?: Error) => void) | undefined;
  #timedOut = false;
  #done = false;
  #status = 0;
  #contentType: string | undefined;
  readonly #chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (a: Answer) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** Time is up: abort the exchange, or, if it has not started yet (still connecting), give up now. */
  timeout(): void {
    this.#timedOut = true;
    if (this.#abort) this.#abort(TIMED_OUT);
    else if (!this.#settle()) this.reject(TIMED_OUT);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#timedOut) abort(TIMED_OUT); // started after we gave up: never send it
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true; // 1xx: the answer is still to come
    this.#status = status;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]!.length === 12 && raw[i]!.toString('latin1').toLowerCase() === 'content-type') {
        this.#contentType = raw[i + 1]!.toString('latin1');
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.#settle()) return;
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.resolve({ status: this.#status, contentType: this.#contentType, body });
  }

  onError(err: Error): void {
    if (this.#settle()) return;
    this.reject(this.#timedOut ? TIMED_OUT : err);
  }

  /** Marks the exchange settled; true if it already was. */
  #settle(): boolean {
    if (this.#done) return true;
    this.#done = true;
    this.finally();
    return false;
  }
}

function invalidResponse(label: string, why: string, httpStatus = 200): WhatsAppApiError {
  return new WhatsAppApiError({ code: 'invalid_response', title: `${label}: ${why}`, httpStatus });
}
