import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import type { KnowledgeBase } from '../kb.ts';
import type { Assistant } from '../port.ts';
import { LlmAssistant, type LlmAssistantOptions } from './assistant.ts';
import { keywordGrounding, type Grounding } from './grounding.ts';
import { StoreConversationMemory } from './memory.ts';
import { createLanguageModel } from './provider.ts';
import type { LlmProviderConfig } from './settings.ts';
import { StoreUsageRecorder } from './usage.ts';

export { LlmAssistant, whatsappOnlyScope, type LlmAssistantOptions } from './assistant.ts';
export { CHANNEL_TEXT_LIMITS, checkAnswer, type AnswerCheck, type RejectReason } from './checks.ts';
export { CitationStreamFilter, parseCitations } from './citations.ts';
export {
  keywordGrounding,
  rankerGrounding,
  type Grounding,
  type GroundingEntry,
  type GroundingResult,
  type Ranking,
} from './grounding.ts';
export {
  InMemoryConversationMemory,
  StoreConversationMemory,
  type ConversationMemory,
  type MemoryTurn,
} from './memory.ts';
export { createLanguageModel, type ChatModel } from './provider.ts';
export {
  checkLlmConfig,
  llmConfigFrom,
  LlmConfigError,
  LLM_PROVIDERS,
  type LlmProviderConfig,
  type LlmProviderName,
} from './settings.ts';
export {
  InMemoryUsageRecorder,
  StoreUsageRecorder,
  type LlmUsageRecord,
  type UsageOutcome,
  type UsageRecorder,
} from './usage.ts';

/**
 * The production wiring in one call, for the composition root: the configured model, grounding over the
 * knowledge base, memory read from the message log, usage written to `llm_usage` (needs migration
 * `0002_llm_usage`). Throws `LlmConfigError` naming the `LLM_*` key at fault.
 */
export function createLlmAssistant(opts: {
  config: LlmProviderConfig;
  kb: KnowledgeBase;
  fallback: Assistant;
  db: Db;
  logger: Logger;
  /** Replaces the keyword grounding (the calibrated matcher of `src/assistant/kb/`, once joined). */
  grounding?: Grounding;
  tuning?: Partial<
    Pick<LlmAssistantOptions, 'businessScoped' | 'timeoutMs' | 'maxRetries' | 'topK' | 'memoryTurns'>
  >;
}): LlmAssistant {
  return new LlmAssistant({
    model: createLanguageModel(opts.config),
    grounding: opts.grounding ?? keywordGrounding(opts.kb),
    fallback: opts.fallback,
    memory: new StoreConversationMemory(opts.db),
    usage: new StoreUsageRecorder(opts.db),
    logger: opts.logger.child({ module: 'llm' }),
    ...(opts.kb.business ? { business: opts.kb.business } : {}),
    ...opts.tuning,
  });
}
