/**
 * A small Bot API proxy for the tests, in front of `telegram-test-api`. It adds what the emulator
 * lacks, as the real Bot API does it, and never anything the product relies on being different:
 *
 * - `getUpdates` with the real semantics: `offset` confirms earlier updates (they are never returned
 *   again), `limit`, and long polling (the call is held up to `timeout` seconds until an update
 *   arrives). The emulator returns each update once and ignores all three.
 * - `setWebhook` with `secret_token`: updates are relayed to the registered URL with the
 *   `X-Telegram-Bot-Api-Secret-Token` header, as Telegram does.
 * - Methods the emulator does not have (`sendChatAction`, `sendPhoto`…) answer as Telegram would.
 * - Fault injection: the next N calls of a method get a given Bot API error (429 with
 *   `retry_after`, 403 "bot was blocked by the user"…), with the HTTP status equal to `error_code`.
 *
 * Every call is recorded with its time, so tests can check what the gateway sent and when.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

export interface Fault {
  method: string;
  /** How many calls get the error; `Infinity` for all. */
  times: number;
  error: { error_code: number; description: string; parameters?: Record<string, unknown> };
}

/** Methods the emulator lacks that return a sent `Message`, with the field holding the file. */
const MEDIA_METHODS: Record<string, string> = {
  sendPhoto: 'photo',
  sendVideo: 'video',
  sendAnimation: 'animation',
  sendAudio: 'audio',
  sendVoice: 'voice',
  sendDocument: 'document',
  sendSticker: 'sticker',
  sendLocation: 'location',
  sendVenue: 'venue',
  sendContact: 'contact',
};

export class FaultProxy {
  readonly calls: RecordedCall[] = [];
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  private readonly buffered = new Map<string, Record<string, unknown>[]>();
  private readonly confirmed = new Map<string, number>();
  private webhook = new Map<string, { url: string; secret?: string }>();
  private nextMessageId = 1_000_000;
  url = '';

  constructor(private readonly emulatorUrl: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: String(err) }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /**
   * Queues an update the emulator cannot produce (an edit, a membership change) for the bot's next
   * `getUpdates`, as Telegram would deliver it.
   */
  injectUpdate(token: string, update: Record<string, unknown>): void {
    this.buffered.set(token, [...(this.buffered.get(token) ?? []), update]);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The webhook the bot registered (URL and secret), for the given token. */
  webhookOf(token: string): { url: string; secret?: string } | undefined {
    return this.webhook.get(token);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const relay = /^\/relay\/([^/]+)$/.exec(req.url ?? '');
    if (relay) return this.relay(decodeURIComponent(relay[1]!), body, res);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0]!);
    if (!m) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m as unknown as [string, string, string];
    const params = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    this.calls.push({ method, params, at: Date.now() });

    const fault = this.faults.find((f) => f.method === method && f.times > 0);
    if (fault) {
      fault.times--;
      return send(res, fault.error.error_code, { ok: false, ...fault.error });
    }
    switch (method) {
      case 'getUpdates':
        return this.getUpdates(token, params, req, res);
      case 'setWebhook':
        return this.setWebhook(token, params, res);
      case 'deleteWebhook':
        this.webhook.delete(token);
        return this.forward(token, method, body, res);
      case 'sendChatAction':
        return send(res, 200, { ok: true, result: true });
      default:
        if (method in MEDIA_METHODS)
          return send(res, 200, { ok: true, result: this.sentMessage(params, method) });
        return this.forward(token, method, body, res);
    }
  }

  private async forward(token: string, method: string, body: Buffer, res: ServerResponse): Promise<void> {
    const r = await fetch(`${this.emulatorUrl}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body.length > 0 ? new Uint8Array(body) : '{}',
    });
    send(res, r.status, await r.json());
  }

  /** Bot API getUpdates: confirmed by `offset`, at most `limit`, held up to `timeout` seconds. */
  private async getUpdates(
    token: string,
    params: Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const offset = typeof params.offset === 'number' ? params.offset : undefined;
    if (offset !== undefined) this.confirmed.set(token, Math.max(this.confirmed.get(token) ?? 0, offset));
    const limit = typeof params.limit === 'number' ? params.limit : 100;
    const until = Date.now() + (typeof params.timeout === 'number' ? params.timeout : 0) * 1000;
    let gone = false;
    req.on('close', () => (gone = true));
    res.on('close', () => (gone = true));
    for (;;) {
      await this.drain(token);
      const floor = this.confirmed.get(token) ?? 0;
      const pending = (this.buffered.get(token) ?? []).filter((u) => (u.update_id as number) >= floor);
      this.buffered.set(token, pending);
      if (pending.length > 0 || Date.now() >= until || gone) {
        if (!gone) send(res, 200, { ok: true, result: pending.slice(0, limit) });
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Takes what the emulator holds for the bot into our buffer (the emulator forgets what it gave). */
  private async drain(token: string): Promise<void> {
    const r = await fetch(`${this.emulatorUrl}/bot${token}/getUpdates`, { method: 'POST' });
    const data = (await r.json()) as { result?: Record<string, unknown>[] };
    if (data.result && data.result.length > 0) {
      this.buffered.set(token, [...(this.buffered.get(token) ?? []), ...data.result]);
    }
  }

  /** Bot API setWebhook with `secret_token`: the emulator posts to us, we post on with the header. */
  private async setWebhook(
    token: string,
    params: Record<string, unknown>,
    res: ServerResponse,
  ): Promise<void> {
    const url = String(params.url);
    const secret = typeof params.secret_token === 'string' ? params.secret_token : undefined;
    this.webhook.set(token, secret === undefined ? { url } : { url, secret });
    await fetch(`${this.emulatorUrl}/bot${token}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${this.url}/relay/${encodeURIComponent(token)}` }),
    });
    send(res, 200, { ok: true, result: true, description: 'Webhook was set' });
  }

  private async relay(token: string, body: Buffer, res: ServerResponse): Promise<void> {
    const hook = this.webhook.get(token);
    if (!hook) return send(res, 404, { error: 'no webhook' });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (hook.secret !== undefined) headers['x-telegram-bot-api-secret-token'] = hook.secret;
    const r = await fetch(hook.url, { method: 'POST', headers, body: new Uint8Array(body) });
    res.writeHead(r.status, { 'content-type': 'text/plain' });
    res.end(await r.text());
  }

  /** The `Message` Telegram returns for a send the emulator cannot make. */
  private sentMessage(params: Record<string, unknown>, method: string): Record<string, unknown> {
    const field = MEDIA_METHODS[method]!;
    const chatId = Number(params.chat_id);
    const file = params[field];
    const payload =
      field === 'photo'
        ? [{ file_id: String(file), file_unique_id: 'u1', width: 800, height: 600 }]
        : field === 'location' || field === 'venue' || field === 'contact'
          ? params
          : { file_id: String(file), file_unique_id: 'u1' };
    return {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private' },
      from: { id: 1, is_bot: true, first_name: 'Bot' },
      [field]: payload,
      ...(typeof params.caption === 'string' ? { caption: params.caption } : {}),
    };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
