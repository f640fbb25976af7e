/**
 * A tiny Graph API stand-in for GraphClient tests: node:http on 127.0.0.1, an ephemeral port, the
 * Bearer check and Meta-shaped success and error envelopes (spec §2.3–2.5). Each test may replace the
 * next answer with `respondOnce` to inject errors, odd bodies or delays.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN = 'EAAG-secret-token-do-not-leak-1234567890';
export const API_VERSION = 'v24.0';
export const PHONE_NUMBER_ID = '106540352242922';
export const SENT_WAMID = 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA';
export const MEDIA_ID = '1037543291543636';
export const MEDIA_BYTES = Buffer.from('\x89PNG fake image bytes');

/** A request as the fake server saw it. */
export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  json?: unknown;
  form?: FormData;
}

export type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>;

export interface FakeGraph {
  url: string;
  requests: Seen[];
  /** Answers the next request with `handler` instead of the Graph routes (after the token check). */
  respondOnce(handler: Handler): void;
  close(): Promise<void>;
}

/** Meta's error envelope (spec §2.4). */
export function graphError(
  code: number,
  title: string,
  details: string,
  extra: Record<string, unknown> = {},
) {
  return {
    error: {
      message: `(#${code}) ${title}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details },
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      ...extra,
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startFakeGraph(): Promise<FakeGraph> {
  const requests: Seen[] = [];
  const overrides: Handler[] = [];
  let base = '';

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', base);
        const seen: Seen = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const type = req.headers['content-type'] ?? '';
        if (type.startsWith('application/json')) seen.json = JSON.parse(seen.body.toString('utf8'));
        if (type.startsWith('multipart/form-data')) {
          const r = new Request(url, {
            method: 'POST',
            headers: { 'content-type': type },
            body: new Uint8Array(seen.body),
          });
          seen.form = await r.formData();
        }
        requests.push(seen);
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          // spec §7: a missing or bad Bearer token returns 190 / 401
          sendJson(res, 401, graphError(190, 'Invalid OAuth access token', 'Invalid OAuth access token.'));
          return;
        }
        const override = overrides.shift();
        await (override ?? route)(seen, res);
      })();
    });
  });

  function route(req: Seen, res: ServerResponse): void {
    const parts = req.path.split('/').filter(Boolean); // [version, id, edge?]
    if (req.path === `/download/${MEDIA_ID}`) {
      res.writeHead(200, { 'content-type': 'image/png' }).end(MEDIA_BYTES);
      return;
    }
    if (parts[0] !== API_VERSION) return sendJson(res, 404, graphError(100, 'Unknown path', req.path));
    if (parts[2] === 'messages' && req.method === 'POST') {
      const body = req.json as Record<string, unknown>;
      if (body.status === 'read') return sendJson(res, 200, { success: true });
      const to = String(body.to);
      return sendJson(res, 200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }],
        messages: [{ id: SENT_WAMID }],
      });
    }
    if (parts[2] === 'media' && req.method === 'POST') return sendJson(res, 200, { id: MEDIA_ID });
    if (parts.length === 2 && parts[1] === MEDIA_ID && req.method === 'GET') {
      return sendJson(res, 200, {
        messaging_product: 'whatsapp',
        url: `${base}/download/${MEDIA_ID}`,
        mime_type: 'image/png',
        sha256: 'c2hhMjU2',
        file_size: String(MEDIA_BYTES.length),
        id: MEDIA_ID,
      });
    }
    if (parts.length === 2 && parts[1] === MEDIA_ID && req.method === 'DELETE') {
      return sendJson(res, 200, { success: true });
    }
    sendJson(res, 404, graphError(100, 'Invalid parameter', `Unsupported ${req.method} request`));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    respondOnce: (h) => overrides.push(h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
