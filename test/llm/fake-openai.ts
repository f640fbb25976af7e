/**
 * A local stand-in for an OpenAI chat-completions server (OpenAI, Ollama, vLLM, llama.cpp all speak
 * it): node:http on 127.0.0.1, an ephemeral port, `POST …/chat/completions` answered as JSON or, when
 * the request says `stream: true`, as server-sent events (`data:` chunks, `usage` chunk, `[DONE]`).
 * Tests script the next answers with `enqueue`: text, HTTP errors (with headers), a hung request, raw
 * SSE lines (malformed chunks). Never a live API.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The parts of a chat-completions request the tests look at. */
export interface ChatRequestBody {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
  max_tokens?: number;
  max_completion_tokens?: number;
}

/** A request as the fake server saw it. */
export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequestBody;
}

/** What the server does with one request. */
export type Script =
  | {
      kind: 'answer';
      text: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
      /** Characters per SSE chunk when streaming. */
      chunkSize?: number;
      /** Pause between SSE chunks, to see a stream arrive piece by piece. */
      chunkDelayMs?: number;
    }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Accepts the request and never answers (until the server closes). */
  | { kind: 'hang' }
  /** Streams these `data:` payloads verbatim (e.g. a broken JSON chunk), then closes. */
  | { kind: 'sse'; data: string[] }
  /** Answers with this raw body and content type (e.g. truncated JSON). */
  | { kind: 'raw'; status: number; contentType: string; body: string };

export interface FakeOpenAI {
  /** Base URL to give the provider, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  requests: SeenRequest[];
  /** Scripts the next answers, in order; once used up, `fallbackScript` answers. */
  enqueue(...scripts: Script[]): void;
  /** The answer when nothing is queued. Default: a short text citing nothing. */
  fallbackScript: (req: SeenRequest) => Script;
  close(): Promise<void>;
}

/** The text of every message of a request, joined: what the model was shown. */
export function promptText(req: SeenRequest): string {
  return req.body.messages
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join('')))
    .join('\n');
}

let seq = 0;

function completion(body: ChatRequestBody, s: Extract<Script, { kind: 'answer' }>) {
  return {
    id: `chatcmpl-${++seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: s.text }, finish_reason: 'stop' }],
    usage: usageOf(s),
  };
}

function usageOf(s: Extract<Script, { kind: 'answer' }>) {
  const u = s.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
  return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

/** The SSE `data:` payloads of a streamed answer, as OpenAI sends them. */
function chunks(body: ChatRequestBody, s: Extract<Script, { kind: 'answer' }>): string[] {
  const base = { id: `chatcmpl-${++seq}`, object: 'chat.completion.chunk', created: 1, model: body.model };
  const size = s.chunkSize ?? 8;
  const out = [
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    }),
  ];
  for (let i = 0; i < s.text.length; i += size) {
    const content = s.text.slice(i, i + size);
    out.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] }));
  }
  out.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  if (body.stream_options?.include_usage) {
    out.push(JSON.stringify({ ...base, choices: [], usage: usageOf(s) }));
  }
  out.push('[DONE]');
  return out;
}

function sse(res: ServerResponse, data: string[], delayMs = 0): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (delayMs <= 0) {
    for (const d of data) res.write(`data: ${d}\n\n`);
    res.end();
    return;
  }
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i === data.length) return void res.end();
    res.write(`data: ${data[i++]}\n\n`);
    setTimeout(next, delayMs);
  };
  next();
}

function respond(res: ServerResponse, req: SeenRequest, s: Script): void {
  switch (s.kind) {
    case 'answer':
      if (req.body.stream) sse(res, chunks(req.body, s), s.chunkDelayMs);
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(completion(req.body, s)));
      return;
    case 'status':
      res
        .writeHead(s.status, { 'content-type': 'application/json', ...s.headers })
        .end(
          JSON.stringify(
            s.body ?? { error: { message: `fake error ${s.status}`, type: 'server_error', code: null } },
          ),
        );
      return;
    case 'hang':
      return;
    case 'sse':
      sse(res, s.data);
      return;
    case 'raw':
      res.writeHead(s.status, { 'content-type': s.contentType }).end(s.body);
      return;
  }
}

/** Starts the fake server on 127.0.0.1 and an ephemeral port. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Script[] = [];
  const fake: FakeOpenAI = {
    baseUrl: '',
    requests: [],
    enqueue: (...scripts) => queue.push(...scripts),
    fallbackScript: () => ({ kind: 'answer', text: 'I do not know.' }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const seen: SeenRequest = {
        path,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(parts).toString('utf8')) as ChatRequestBody,
      };
      fake.requests.push(seen);
      respond(res, seen, queue.shift() ?? fake.fallbackScript(seen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
