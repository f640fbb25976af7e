import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { verifySignature } from '../../src/channels/whatsapp/signature.ts';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/index.ts';

export const CREDS = {
  appSecret: 'test-app-secret',
  verifyToken: 'test-verify-token',
  accessToken: 'test-access-token',
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  displayPhoneNumber: '15550783881',
} as const;

/** One POST the receiver got: raw bytes, parsed body and whether the signature verified. */
export interface Received {
  raw: Buffer;
  body: WebhookBody;
  headers: IncomingHttpHeaders;
  signatureOk: boolean;
}

/** Just enough typing to read webhook bodies in assertions. */
export interface WebhookBody {
  object: string;
  entry: { id: string; changes: { field: string; value: Record<string, unknown> & WebhookValue }[] }[];
}
export interface WebhookValue {
  metadata: { display_phone_number: string; phone_number_id: string };
  contacts?: Record<string, unknown>[];
  messages?: Record<string, unknown>[];
  statuses?: Record<string, unknown>[];
  errors?: Record<string, unknown>[];
}

/**
 * A tiny webhook endpoint (node:http): verifies signatures with the project's `verifySignature`,
 * answers the GET handshake, and replies with the statuses queued in `respondWith` (then 200).
 */
export interface Receiver {
  url: string;
  received: Received[];
  respondWith: number[];
  /** Real ms to wait before answering each POST. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startReceiver(appSecret: string = CREDS.appSecret): Promise<Receiver> {
  const rx: Receiver = { url: '', received: [], respondWith: [], delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok =
        url.searchParams.get('hub.mode') === 'subscribe' &&
        url.searchParams.get('hub.verify_token') === CREDS.verifyToken;
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
      return res.end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signatureOk = verifySignature(raw, req.headers['x-hub-signature-256'], appSecret).ok;
      rx.received.push({
        raw,
        body: JSON.parse(raw.toString('utf8')) as WebhookBody,
        headers: req.headers,
        signatureOk,
      });
      const status = rx.respondWith.shift() ?? 200;
      setTimeout(() => {
        res.writeHead(status);
        res.end();
      }, rx.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`;
  rx.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return rx;
}

/** Every `messages[]` object received so far, in arrival order. */
export function receivedMessages(rx: Receiver): Record<string, unknown>[] {
  return rx.received.flatMap((r) =>
    r.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.messages ?? [])),
  );
}

/** Every `statuses[]` object received so far, in arrival order. */
export function receivedStatuses(rx: Receiver): Record<string, unknown>[] {
  return rx.received.flatMap((r) =>
    r.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? [])),
  );
}

export interface Harness {
  sb: RunningSandbox;
  rx: Receiver;
  /** POSTs JSON to `<graph>/v25.0/<phone number id>/messages` with the right token unless told otherwise. */
  send(
    body: unknown,
    opts?: { token?: string | null; phoneNumberId?: string; version?: string },
  ): Promise<GraphResponse>;
}

export interface GraphResponse {
  status: number;
  json: Record<string, unknown> & {
    error?: {
      message: string;
      type: string;
      code: number;
      error_data?: { details: string };
      fbtrace_id: string;
    };
    messages?: { id: string }[];
    contacts?: Record<string, unknown>[];
  };
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

/** A sandbox wired to a fresh receiver; both are closed after the test. */
export async function harness(opts: Partial<SandboxOptions> = {}): Promise<Harness> {
  const rx = await startReceiver();
  const sb = await startSandbox({ ...CREDS, webhookUrl: rx.url, ...opts });
  open.push(
    () => sb.close(),
    () => rx.close(),
  );
  const send: Harness['send'] = async (body, o = {}) => {
    const token = o.token === undefined ? CREDS.accessToken : o.token;
    const res = await fetch(
      `${sb.graphUrl}/${o.version ?? 'v25.0'}/${o.phoneNumberId ?? CREDS.phoneNumberId}/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify(body),
      },
    );
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : {} };
  };
  return { sb, rx, send };
}

/** A text send to `to`. */
export function text(
  to: string,
  body = 'Hello',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'text',
    text: { body },
    ...extra,
  };
}

/** Polls `condition` every 5 ms until it holds (or fails the test after 5 s). */
export async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const USER = { waId: '33612345678', name: 'Chloé Martin' };
