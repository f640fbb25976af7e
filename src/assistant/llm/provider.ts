import { createAnthropic } from '@ai-sdk/anthropic';
import { createMistral } from '@ai-sdk/mistral';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { checkLlmConfig, type LlmProviderConfig } from './settings.ts';

/**
 * A model object, never a bare model id: a string `LanguageModel` would silently route through the
 * Vercel AI Gateway, which a self-hosted gateway must not do behind the operator's back.
 */
export type ChatModel = Exclude<LanguageModel, string>;

/**
 * Builds the AI SDK model for the configured provider. Call it once at start, so a missing key or model
 * stops start-up (an `LlmConfigError` naming the `LLM_*` key) instead of failing on the first customer
 * message. Building a model makes no network call.
 */
export function createLanguageModel(cfg: LlmProviderConfig): ChatModel {
  checkLlmConfig(cfg);
  const model = cfg.model.trim();
  const baseURL = cfg.baseUrl?.replace(/\/+$/, '') || undefined;
  const apiKey = cfg.apiKey || undefined;
  switch (cfg.provider) {
    case 'openai-compatible':
      // includeUsage: ask streaming servers for the final `usage` chunk, so tokens are recorded.
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: baseURL!,
        includeUsage: true,
        apiKey,
      }).chatModel(model);
    case 'openai':
      // Chat Completions rather than the Responses API: it is what every OpenAI-protocol proxy speaks.
      return createOpenAI({ apiKey, baseURL }).chat(model);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL }).languageModel(model);
    case 'mistral':
      return createMistral({ apiKey, baseURL }).languageModel(model);
  }
}
