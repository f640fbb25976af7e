/**
 * The `LLM_*` settings and their rules, without the AI SDK: light enough for `config.ts` to import, so a
 * bad combination stops start-up with the other configuration errors.
 */

/** The providers `LLM_PROVIDER` may name (PRODUCT.md contract). */
export const LLM_PROVIDERS = ['openai', 'anthropic', 'mistral', 'openai-compatible'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** What `LLM_PROVIDER`, `LLM_BASE_URL`, `LLM_MODEL` and `LLM_API_KEY` say. */
export interface LlmProviderConfig {
  provider: LlmProviderName;
  /** Required for `openai-compatible`; optional elsewhere (proxies, regional endpoints, tests). */
  baseUrl?: string;
  model: string;
  /** Required for hosted providers; optional for `openai-compatible` (Ollama needs none). */
  apiKey?: string;
}

/** A problem with the LLM settings, naming the environment key to fix (`key`), like `ConfigError`. */
export class LlmConfigError extends Error {
  override name = 'LlmConfigError';
  constructor(
    readonly key: 'LLM_PROVIDER' | 'LLM_BASE_URL' | 'LLM_MODEL' | 'LLM_API_KEY',
    problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

/**
 * Checks one provider configuration; throws `LlmConfigError` naming the key at fault. Hosted providers
 * need `LLM_API_KEY` (the SDK's own fallback to `OPENAI_API_KEY` & co. is not used: one name, one
 * meaning); `openai-compatible` needs `LLM_BASE_URL` and takes a key only if the server wants one.
 */
export function checkLlmConfig(cfg: LlmProviderConfig): void {
  if (!(LLM_PROVIDERS as readonly string[]).includes(cfg.provider)) {
    throw new LlmConfigError(
      'LLM_PROVIDER',
      `expected one of ${LLM_PROVIDERS.join(', ')}, got "${String(cfg.provider)}"`,
    );
  }
  if (!cfg.model?.trim())
    throw new LlmConfigError('LLM_MODEL', `required when LLM_PROVIDER is ${cfg.provider}`);
  if (cfg.provider === 'openai-compatible') {
    if (!cfg.baseUrl) {
      throw new LlmConfigError(
        'LLM_BASE_URL',
        'required when LLM_PROVIDER is openai-compatible (e.g. http://localhost:11434/v1 for Ollama)',
      );
    }
  } else if (!cfg.apiKey) {
    throw new LlmConfigError('LLM_API_KEY', `required when LLM_PROVIDER is ${cfg.provider}`);
  }
}

/**
 * Reads the `LLM_*` keys of a loaded configuration: `undefined` when none is set (the offline assistant
 * serves alone), else a checked provider configuration. A key set without `LLM_PROVIDER` is an error
 * rather than silently ignored.
 */
export function llmConfigFrom(env: {
  LLM_PROVIDER?: LlmProviderName | undefined;
  LLM_BASE_URL?: string | undefined;
  LLM_MODEL?: string | undefined;
  LLM_API_KEY?: string | undefined;
}): LlmProviderConfig | undefined {
  if (!env.LLM_PROVIDER) {
    for (const key of ['LLM_MODEL', 'LLM_BASE_URL', 'LLM_API_KEY'] as const) {
      if (env[key]) throw new LlmConfigError('LLM_PROVIDER', `required when ${key} is set`);
    }
    return undefined;
  }
  const cfg: LlmProviderConfig = {
    provider: env.LLM_PROVIDER,
    model: env.LLM_MODEL ?? '',
    ...(env.LLM_BASE_URL ? { baseUrl: env.LLM_BASE_URL } : {}),
    ...(env.LLM_API_KEY ? { apiKey: env.LLM_API_KEY } : {}),
  };
  checkLlmConfig(cfg);
  return cfg;
}
