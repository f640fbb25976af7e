import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { LlmCallError, LlmTimeoutError, retryAfterMs, withRetries } from '../../src/assistant/llm/retry.ts';

const apiError = (statusCode: number, headers: Record<string, string> = {}) =>
  new APICallError({
    message: `status ${statusCode}`,
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
  });

describe('retryAfterMs', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'Retry-After': '0.5' }, 500],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after': 'Sun, 01 Mar 2026 12:00:03 GMT' }, 3000],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, ms) => {
    expect(retryAfterMs(headers, now)).toBe(ms);
  });
});

describe('withRetries', () => {
  const waits: number[] = [];
  const wait = async (ms: number) => void waits.push(ms);

  it('retries 429 and 5xx with back-off, honouring Retry-After', async () => {
    waits.length = 0;
    const errors = [apiError(429, { 'retry-after': '1' }), apiError(502)];
    const result = await withRetries(
      async () => {
        const e = errors.shift();
        if (e) throw e;
        return 'ok';
      },
      { maxRetries: 2, baseDelayMs: 100 },
      { wait },
    );
    expect(result).toBe('ok');
    expect(waits[0]).toBe(1000);
    // Second retry: 2 × 100 ms, ±20 % jitter.
    expect(waits[1]).toBeGreaterThanOrEqual(160);
    expect(waits[1]).toBeLessThanOrEqual(240);
  });

  it('gives up after maxRetries with the last failure', async () => {
    let calls = 0;
    const err = await withRetries(
      async () => {
        calls++;
        throw apiError(500);
      },
      { maxRetries: 2, baseDelayMs: 1 },
      { wait },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as LlmCallError).failure).toMatchObject({ kind: 'retryable', status: 500 });
  });

  it.each([
    ['a 400', apiError(400)],
    ['a timeout', new LlmTimeoutError(100)],
    ['a parse error', new SyntaxError('Unexpected end of JSON input')],
  ])('does not retry %s', async (_name, error) => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw error;
        },
        { maxRetries: 3 },
        { wait },
      ),
    ).rejects.toBeInstanceOf(LlmCallError);
    expect(calls).toBe(1);
  });
});
