import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, makeAssistant } from './fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';

let server: FakeOpenAI;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(() => server.close());

const OK = 'We deliver in 2–4 working days. [sources: delivery]';
const Q = 'How long does delivery take?';

describe('retries and fallback', () => {
  it('waits for Retry-After after a 429, then answers', async () => {
    const { assistant, usage } = makeAssistant(server);
    server.enqueue(
      { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
      { kind: 'answer', text: OK },
    );
    const t0 = Date.now();
    const [reply] = await assistant.reply(ask(Q));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
    expect(reply!.content).toEqual({ type: 'text', text: 'We deliver in 2–4 working days.' });
    expect(usage.records).toMatchObject([{ outcome: 'answered' }]);
  });

  it('does not wait for a Retry-After longer than allowed: the offline assistant answers now', async () => {
    const { assistant, fallback } = makeAssistant(server, { retry: { maxRetryAfterMs: 500 } });
    server.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    expect(await assistant.reply(ask(Q))).toEqual(await fallback.reply(ask(Q)));
    expect(server.requests).toHaveLength(1);
  });

  it('falls back to the offline assistant after repeated 500s', async () => {
    const { assistant, fallback, usage } = makeAssistant(server, { maxRetries: 1 });
    server.enqueue(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'answer', text: OK },
    );
    const replies = await assistant.reply(ask(Q));
    expect(server.requests).toHaveLength(2);
    expect(replies).toEqual(await fallback.reply(ask(Q)));
    expect(replies[0]!.sources).toEqual(['delivery']);
    expect(usage.records).toMatchObject([{ outcome: 'failed', inputTokens: undefined }]);
  });

  it('does not retry a 401 (bad key): fallback at once', async () => {
    const { assistant, fallback } = makeAssistant(server);
    server.enqueue({ kind: 'status', status: 401 });
    expect(await assistant.reply(ask(Q))).toEqual(await fallback.reply(ask(Q)));
    expect(server.requests).toHaveLength(1);
  });

  it('falls back when the model does not answer in time, without retrying', async () => {
    const { assistant, fallback, usage } = makeAssistant(server, { timeoutMs: 300 });
    server.enqueue({ kind: 'hang' });
    const t0 = Date.now();
    expect(await assistant.reply(ask(Q))).toEqual(await fallback.reply(ask(Q)));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
    expect(usage.records).toMatchObject([{ outcome: 'timeout' }]);
  });

  it('falls back when a stream goes silent', async () => {
    const { assistant, fallback } = makeAssistant(server, { timeoutMs: 300 });
    server.enqueue({ kind: 'hang' });
    expect(await assistant.reply({ ...ask(Q), onDelta: () => {} })).toEqual(await fallback.reply(ask(Q)));
  });

  it('falls back, without crashing, on a malformed SSE chunk', async () => {
    const { assistant, fallback, usage } = makeAssistant(server);
    server.enqueue({
      kind: 'sse',
      data: [
        '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"We deliver"},"finish_reason":null}]}',
        '{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" in 2',
        '[DONE]',
      ],
    });
    const deltas: string[] = [];
    const replies = await assistant.reply({ ...ask(Q, 'webchat'), onDelta: (d) => deltas.push(d) });
    expect(replies).toEqual(await fallback.reply(ask(Q, 'webchat')));
    expect(deltas.join('')).toBe('We deliver');
    // Text was already shown: a retry would show it twice.
    expect(server.requests).toHaveLength(1);
    expect(usage.records).toMatchObject([{ outcome: 'failed' }]);
  });

  it('falls back on a truncated JSON body', async () => {
    const { assistant, fallback } = makeAssistant(server);
    server.enqueue({
      kind: 'raw',
      status: 200,
      contentType: 'application/json',
      body: '{"id":"x","choices":[{"mess',
    });
    expect(await assistant.reply(ask(Q))).toEqual(await fallback.reply(ask(Q)));
  });

  it('retries a stream that failed before its first token', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue({ kind: 'status', status: 503 }, { kind: 'answer', text: OK });
    const deltas: string[] = [];
    const [reply] = await assistant.reply({ ...ask(Q), onDelta: (d) => deltas.push(d) });
    expect(server.requests).toHaveLength(2);
    expect(deltas.join('')).toBe('We deliver in 2–4 working days.');
    expect(reply!.sources).toEqual(['delivery']);
  });

  it('falls back when the server is unreachable', async () => {
    const { assistant, fallback } = makeAssistant(server, { maxRetries: 1 });
    await server.close();
    expect(await assistant.reply(ask(Q))).toEqual(await fallback.reply(ask(Q)));
  });
});
