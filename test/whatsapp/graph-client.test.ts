import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  describeWhatsAppFailure,
  WhatsAppApiError,
  WhatsAppNetworkError,
  WhatsAppTimeoutError,
} from '../../src/channels/whatsapp/errors.ts';
import { GraphClient } from '../../src/channels/whatsapp/graph-client.ts';
import { WhatsAppOutbound } from '../../src/channels/whatsapp/outbound.ts';
import {
  API_VERSION,
  type FakeGraph,
  graphError,
  MEDIA_BYTES,
  MEDIA_ID,
  PHONE_NUMBER_ID,
  sendJson,
  SENT_WAMID,
  startFakeGraph,
  TOKEN,
} from './fake-graph.ts';

let graph: FakeGraph;
beforeAll(async () => {
  graph = await startFakeGraph();
});
afterAll(() => graph.close());
beforeEach(() => {
  graph.requests.length = 0;
});

function client(
  overrides: { accessToken?: string; timeoutMs?: number; graphUrl?: string } = {},
): GraphClient {
  return new GraphClient({
    graphUrl: graph.url,
    apiVersion: API_VERSION,
    accessToken: TOKEN,
    phoneNumberId: PHONE_NUMBER_ID,
    userAgent: 'passerelle-test/1.0',
    ...overrides,
  });
}

const TEXT_BODY = {
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: '+16505551234',
  type: 'text',
};

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Everything an operator could see of an error: message, fields, and its classified form. */
function visible(err: unknown): string {
  const e = err as Record<string, unknown>;
  return JSON.stringify([String(err), { ...e }, describeWhatsAppFailure(err)]);
}

describe('GraphClient.sendMessage', () => {
  it('posts the body with the Bearer token and parses the success response', async () => {
    const res = await client().sendMessage({ ...TEXT_BODY, text: { body: 'hi' } });
    expect(res.messages).toEqual([{ id: SENT_WAMID }]);
    expect(res.contacts).toEqual([{ input: '+16505551234', wa_id: '16505551234' }]);
    const seen = graph.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe(`/${API_VERSION}/${PHONE_NUMBER_ID}/messages`);
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.json).toEqual({ ...TEXT_BODY, text: { body: 'hi' } });
  });

  it('turns a Graph error envelope into a WhatsAppApiError with code, details and fbtrace_id', async () => {
    graph.respondOnce((_req, res) =>
      sendJson(
        res,
        400,
        graphError(130429, 'Rate limit hit', 'Cloud API message throughput has been reached.', {
          error_subcode: 2494055,
        }),
      ),
    );
    const err = await caught(client().sendMessage(TEXT_BODY));
    expect(err).toBeInstanceOf(WhatsAppApiError);
    expect(err).toMatchObject({
      code: 130429,
      title: 'Rate limit hit',
      details: 'Cloud API message throughput has been reached.',
      fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      httpStatus: 400,
      type: 'OAuthException',
      errorSubcode: 2494055,
      local: false,
    });
  });

  it('reports a bad token as code 190 without echoing it', async () => {
    const err = await caught(client({ accessToken: 'wrong-token-abcdef' }).sendMessage(TEXT_BODY));
    expect(err).toMatchObject({ code: 190, httpStatus: 401 });
    expect(visible(err)).not.toContain('wrong-token-abcdef');
  });

  it('turns an HTML 502 page into code http_502, a transient failure', async () => {
    graph.respondOnce((_req, res) => {
      res
        .writeHead(502, { 'content-type': 'text/html' })
        .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const err = await caught(client().sendMessage(TEXT_BODY));
    expect(err).toMatchObject({ code: 'http_502', httpStatus: 502, details: '502 Bad Gateway' });
    expect(describeWhatsAppFailure(err).failure).toEqual({ kind: 'transient' });
  });

  it('rejects a 2xx answer that is not JSON as invalid_response', async () => {
    graph.respondOnce((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK'));
    expect(await caught(client().sendMessage(TEXT_BODY))).toMatchObject({ code: 'invalid_response' });
  });

  it('times out when no answer comes within timeoutMs', async () => {
    graph.respondOnce(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1_000));
      if (!res.destroyed) sendJson(res, 200, { messages: [{ id: 'late' }] });
    });
    const started = Date.now();
    const err = await caught(client({ timeoutMs: 150 }).sendMessage(TEXT_BODY));
    expect(err).toBeInstanceOf(WhatsAppTimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(describeWhatsAppFailure(err)).toMatchObject({ failure: { kind: 'in_doubt' }, code: 'timeout' });
  });

  it('times out when the body stalls after the headers', async () => {
    graph.respondOnce(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"messages":');
      await new Promise((r) => setTimeout(r, 1_000));
      if (!res.destroyed) res.end('[{"id":"late"}]}');
    });
    expect(await caught(client({ timeoutMs: 150 }).sendMessage(TEXT_BODY))).toBeInstanceOf(
      WhatsAppTimeoutError,
    );
  });

  it('reports a refused connection as a transient network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await caught(client({ graphUrl: `http://127.0.0.1:${port}` }).sendMessage(TEXT_BODY));
    expect(err).toBeInstanceOf(WhatsAppNetworkError);
    expect(describeWhatsAppFailure(err)).toMatchObject({ failure: { kind: 'transient' }, code: 'network' });
  });

  it('never shows the token, even when the server echoes it back', async () => {
    graph.respondOnce((req, res) =>
      sendJson(
        res,
        400,
        graphError(100, 'Invalid parameter', `header was ${String(req.headers.authorization)}`),
      ),
    );
    const echoed = await caught(client().sendMessage(TEXT_BODY));
    graph.respondOnce(
      (req, res) => void res.writeHead(500).end(`<pre>${String(req.headers.authorization)}</pre>`),
    );
    const html = await caught(client().sendMessage(TEXT_BODY));
    const timeout = await caught(
      (() => {
        graph.respondOnce(async () => new Promise((r) => setTimeout(r, 500)));
        return client({ timeoutMs: 50 }).sendMessage(TEXT_BODY);
      })(),
    );
    for (const err of [echoed, html, timeout]) expect(visible(err)).not.toContain(TOKEN);
    expect((echoed as WhatsAppApiError).details).toBe('header was Bearer [redacted]');
  });
});

describe('GraphClient.markRead', () => {
  it('sends status read with a text typing indicator when typing', async () => {
    await client().markRead('wamid.IN', { typing: true });
    expect(graph.requests[0]!.json).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN',
      typing_indicator: { type: 'text' },
    });
  });

  it('sends no typing indicator when not typing', async () => {
    await client().markRead('wamid.IN', { typing: false });
    expect(graph.requests[0]!.json).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN',
    });
  });
});

describe('GraphClient media', () => {
  it('uploads multipart with messaging_product, type and the file', async () => {
    const res = await client().uploadMedia(Buffer.from('hello'), 'text/plain', 'hello.txt');
    expect(res).toEqual({ id: MEDIA_ID });
    const seen = graph.requests[0]!;
    expect(seen.path).toBe(`/${API_VERSION}/${PHONE_NUMBER_ID}/media`);
    expect(seen.form?.get('messaging_product')).toBe('whatsapp');
    expect(seen.form?.get('type')).toBe('text/plain');
    const file = seen.form?.get('file') as File;
    expect(file.name).toBe('hello.txt');
    expect(file.type).toBe('text/plain');
    expect(await file.text()).toBe('hello');
  });

  it('gets a media URL and metadata', async () => {
    const info = await client().getMedia(MEDIA_ID);
    expect(info).toMatchObject({ id: MEDIA_ID, mime_type: 'image/png', file_size: MEDIA_BYTES.length });
    expect(info.url).toBe(`${graph.url}/download/${MEDIA_ID}`);
    expect(graph.requests[0]!.query.get('phone_number_id')).toBe(PHONE_NUMBER_ID);
  });

  it('downloads media bytes with the token and its own User-Agent', async () => {
    const media = await client().downloadMedia(`${graph.url}/download/${MEDIA_ID}`);
    expect(media.contentType).toBe('image/png');
    expect(media.data.equals(MEDIA_BYTES)).toBe(true);
    expect(graph.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(graph.requests[0]!.headers['user-agent']).toBe('passerelle-test/1.0');
  });

  it('reports an expired media URL as a 404 WhatsAppApiError', async () => {
    const err = await caught(client().downloadMedia(`${graph.url}/download/expired`));
    expect(err).toBeInstanceOf(WhatsAppApiError);
    expect((err as WhatsAppApiError).httpStatus).toBe(404);
  });

  it('refuses to send the token to a media host it does not know', async () => {
    const err = await caught(client().downloadMedia('https://attacker.example/steal'));
    expect(err).toMatchObject({ code: 100, local: true });
    expect(graph.requests).toHaveLength(0);
  });

  it('deletes media', async () => {
    await client().deleteMedia(MEDIA_ID);
    expect(graph.requests[0]).toMatchObject({ method: 'DELETE', path: `/${API_VERSION}/${MEDIA_ID}` });
  });
});

describe('WhatsAppOutbound', () => {
  const outbound = () => new WhatsAppOutbound(client());

  it('sends from the request account and resolves with the wamid', async () => {
    const res = await outbound().send({
      account: '555000111',
      to: '16505551234',
      content: { type: 'text', text: 'hi' },
    });
    expect(res).toEqual({ providerMessageId: SENT_WAMID });
    expect(graph.requests[0]!.path).toBe(`/${API_VERSION}/555000111/messages`);
  });

  it('makes no call when the content fails local validation', async () => {
    const err = await caught(
      outbound().send({
        account: PHONE_NUMBER_ID,
        to: '1',
        content: { type: 'text', text: 'x'.repeat(4097) },
      }),
    );
    expect(err).toMatchObject({ code: 100, local: true });
    expect(graph.requests).toHaveLength(0);
  });

  it('marks read with typing and resolves on {"success": true}', async () => {
    await expect(outbound().markRead(PHONE_NUMBER_ID, 'wamid.IN', { typing: true })).resolves.toBeUndefined();
    expect(graph.requests[0]!.json).toMatchObject({ status: 'read', typing_indicator: { type: 'text' } });
  });

  it('classifies failures with describeWhatsAppFailure', async () => {
    graph.respondOnce((_req, res) =>
      sendJson(res, 400, graphError(131056, 'Pair rate limit hit', 'Too many')),
    );
    const o = outbound();
    const err = await caught(
      o.send({ account: PHONE_NUMBER_ID, to: '1', content: { type: 'text', text: 'hi' } }),
    );
    expect(o.describeFailure(err)).toMatchObject({
      failure: { kind: 'throttled', scope: 'recipient' },
      code: 131056,
      traceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
    });
  });
});
