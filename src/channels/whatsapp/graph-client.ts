/**
 * A small client for the Cloud API endpoints the gateway uses (spec §2.1, §2.2, §2.5), over the
 * global `fetch` (undici: connections are kept alive and pooled by default). It does I/O only:
 * bodies are built by `outbound.ts`, failures are classified by `errors.ts`.
 *
 * The access token travels only in the `Authorization` header; it never appears in a URL, an error
 * message or a log line, and any echo of it in a response body is masked before an error is built.
 */
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
    const read = async (res: Response) => ({
      data: Buffer.from(await res.arrayBuffer()),
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    });
    return this.#send(label, url, { method: 'GET' }, read, opts.timeoutMs);
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
    const init: RequestInit = { method };
    if (body.json) {
      init.body = JSON.stringify(body.json);
      init.headers = { 'content-type': 'application/json' };
    } else if (body.form) {
      init.body = body.form;
    }
    const label = `${method} ${url.replace(/\?.*$/, '')}`;
    return this.#send(label, url, init, async (res) => {
      const text = this.#mask(await res.text());
      if (text === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw invalidResponse(label, 'body is not JSON', res.status);
      }
    });
  }

  /** One request with the token, the timeout over the whole exchange, and errors mapped. */
  async #send<T>(
    label: string,
    url: string,
    init: RequestInit,
    read: (res: Response) => Promise<T>,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.#token}`);
    headers.set('user-agent', this.#userAgent);
    try {
      const res = await fetch(url, { ...init, headers, signal });
      if (!res.ok) throw WhatsAppApiError.fromResponse(res.status, this.#mask(await res.text()));
      return await read(res);
    } catch (err) {
      if (err instanceof WhatsAppApiError) throw err;
      if (signal.aborted) throw new WhatsAppTimeoutError(label, timeoutMs);
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new WhatsAppNetworkError(label, this.#mask(reason), { cause: err });
    }
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

function invalidResponse(label: string, why: string, httpStatus = 200): WhatsAppApiError {
  return new WhatsAppApiError({ code: 'invalid_response', title: `${label}: ${why}`, httpStatus });
}
