import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/assistant/llm/provider.ts';
import { loadConfig } from '../../src/config.ts';
import { llmConfigFrom, LlmConfigError, type LlmProviderConfig } from '../../src/assistant/llm/settings.ts';
import { API_KEY, ask, makeAssistant } from './fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';

function configError(cfg: LlmProviderConfig): LlmConfigError {
  try {
    createLanguageModel(cfg);
  } catch (err) {
    if (err instanceof LlmConfigError) return err;
    throw err;
  }
  throw new Error('expected an LlmConfigError');
}

describe('provider configuration', () => {
  it.each(['openai', 'anthropic', 'mistral'] as const)('%s without a key names LLM_API_KEY', (provider) => {
    const err = configError({ provider, model: 'm' });
    expect(err.key).toBe('LLM_API_KEY');
    expect(err.message).toBe(`LLM_API_KEY: required when LLM_PROVIDER is ${provider}`);
  });

  it('a missing model names LLM_MODEL', () => {
    expect(configError({ provider: 'openai', model: ' ', apiKey: 'k' }).key).toBe('LLM_MODEL');
    expect(() => llmConfigFrom({ LLM_PROVIDER: 'mistral' })).toThrow(/^LLM_MODEL: required/);
  });

  it('openai-compatible needs LLM_BASE_URL and no key', () => {
    const err = configError({ provider: 'openai-compatible', model: 'llama3.2' });
    expect(err.key).toBe('LLM_BASE_URL');
    expect(err.message).toContain('Ollama');
    const model = createLanguageModel({
      provider: 'openai-compatible',
      model: 'llama3.2',
      baseUrl: 'http://x/v1',
    });
    expect(model.modelId).toBe('llama3.2');
  });

  it('an unknown provider names LLM_PROVIDER', () => {
    expect(configError({ provider: 'cohere' as never, model: 'm' }).key).toBe('LLM_PROVIDER');
  });

  it('builds each hosted provider with a key', () => {
    expect(createLanguageModel({ provider: 'openai', model: 'gpt-4o-mini', apiKey: 'k' }).provider).toBe(
      'openai.chat',
    );
    expect(createLanguageModel({ provider: 'anthropic', model: 'claude-x', apiKey: 'k' }).provider).toBe(
      'anthropic.messages',
    );
    expect(createLanguageModel({ provider: 'mistral', model: 'mistral-small', apiKey: 'k' }).provider).toBe(
      'mistral.chat',
    );
  });

  it('reads a loaded configuration', () => {
    const env = { LLM_PROVIDER: 'mistral', LLM_MODEL: 'mistral-small-latest', LLM_API_KEY: 'k' };
    expect(llmConfigFrom(loadConfig({ env, file: false }))).toEqual({
      provider: 'mistral',
      model: 'mistral-small-latest',
      apiKey: 'k',
    });
    expect(llmConfigFrom(loadConfig({ env: {}, file: false }))).toBeUndefined();
  });

  it('reads the LLM_* keys: none set means no LLM; a stray key without a provider is an error', () => {
    expect(llmConfigFrom({})).toBeUndefined();
    expect(() => llmConfigFrom({ LLM_MODEL: 'm' })).toThrow(/^LLM_PROVIDER: required when LLM_MODEL is set/);
    expect(() => llmConfigFrom({ LLM_PROVIDER: 'anthropic', LLM_MODEL: 'claude-x' })).toThrow(
      /^LLM_API_KEY: required when LLM_PROVIDER is anthropic/,
    );
    expect(() => llmConfigFrom({ LLM_PROVIDER: 'openai-compatible', LLM_MODEL: 'qwen' })).toThrow(
      /^LLM_BASE_URL/,
    );
    expect(
      llmConfigFrom({
        LLM_PROVIDER: 'openai-compatible',
        LLM_MODEL: 'qwen',
        LLM_BASE_URL: 'http://h:11434/v1',
      }),
    ).toEqual({ provider: 'openai-compatible', model: 'qwen', baseUrl: 'http://h:11434/v1' });
  });
});

describe('openai provider pointed at an OpenAI-protocol server (LLM_BASE_URL)', () => {
  let server: FakeOpenAI;
  beforeEach(async () => {
    server = await startFakeOpenAI();
  });
  afterEach(() => server.close());

  const TEXT = 'Returns are free within 30 days.';

  it('answers through chat completions with the bearer key', async () => {
    const { assistant, usage } = makeAssistant(server, { provider: 'openai' });
    server.enqueue({
      kind: 'answer',
      text: `${TEXT}\n[sources: returns]`,
      usage: { prompt_tokens: 50, completion_tokens: 9 },
    });
    const [reply] = await assistant.reply(ask('What is your return policy?'));
    expect(reply).toEqual({ content: { type: 'text', text: TEXT }, sources: ['returns'], intent: 'answer' });
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(usage.records).toMatchObject([{ provider: 'openai.chat', inputTokens: 50, outputTokens: 9 }]);
  });

  it('streams through chat completions', async () => {
    const { assistant } = makeAssistant(server, { provider: 'openai' });
    server.enqueue({ kind: 'answer', text: `${TEXT} [sources: returns]`, chunkSize: 4 });
    const deltas: string[] = [];
    const [reply] = await assistant.reply({
      ...ask('What is your return policy?', 'webchat'),
      onDelta: (d) => deltas.push(d),
    });
    expect(server.requests[0]!.body.stream).toBe(true);
    expect(deltas.join('')).toBe(TEXT);
    expect(reply!.sources).toEqual(['returns']);
  });
});
