/** Shared pieces of the LLM tests: a small knowledge base, a quiet logger, an assistant on the fake server. */
import pino from 'pino';
import type { KnowledgeBase } from '../../src/assistant/kb.ts';
import { KeywordAssistant } from '../../src/assistant/keyword.ts';
import { LlmAssistant, type LlmAssistantOptions } from '../../src/assistant/llm/assistant.ts';
import { keywordGrounding } from '../../src/assistant/llm/grounding.ts';
import { InMemoryConversationMemory } from '../../src/assistant/llm/memory.ts';
import { createLanguageModel } from '../../src/assistant/llm/provider.ts';
import type { LlmProviderName } from '../../src/assistant/llm/settings.ts';
import { InMemoryUsageRecorder } from '../../src/assistant/llm/usage.ts';
import type { AssistantRequest } from '../../src/assistant/port.ts';
import type { ChannelName } from '../../src/core/channel.ts';
import type { FakeOpenAI } from './fake-openai.ts';

export const KB: KnowledgeBase = {
  language: 'en',
  source: 'test/llm/fixtures.ts',
  business: 'Lumen Cycles',
  entries: [
    {
      id: 'opening-hours',
      questions: ['when are you open?', 'what are your opening hours?', 'are you open on sunday?'],
      answer: 'We are open Monday to Saturday, 9:00–18:00. Closed on Sundays.',
    },
    {
      id: 'delivery',
      questions: ['do you deliver?', 'how long does delivery take?', 'how much is shipping?'],
      answer: 'We deliver in France in 2–4 working days (€6.90, free over €100).',
    },
    {
      id: 'returns',
      questions: ['can I return a product?', 'what is your return policy?', 'how do I get a refund?'],
      answer: 'You can return unused items within 30 days for a full refund.',
    },
  ],
};

export const API_KEY = 'sk-test-not-a-real-key-123456';

/** An assistant wired to the fake server, with in-memory memory and usage, and quick retries. */
export function makeAssistant(
  server: FakeOpenAI,
  opts: Partial<LlmAssistantOptions> & { provider?: LlmProviderName } = {},
) {
  const memory = new InMemoryConversationMemory();
  const usage = new InMemoryUsageRecorder();
  const fallback = new KeywordAssistant(KB);
  const { provider = 'openai-compatible', ...rest } = opts;
  const assistant = new LlmAssistant({
    model: createLanguageModel({ provider, baseUrl: server.baseUrl, model: 'test-model', apiKey: API_KEY }),
    grounding: keywordGrounding(KB),
    fallback,
    memory,
    usage,
    logger: pino({ level: 'silent' }),
    business: KB.business!,
    timeoutMs: 2000,
    maxRetries: 2,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...rest,
  });
  return { assistant, memory, usage, fallback };
}

/** A text message from a person on a channel. */
export function ask(
  text: string,
  channel: ChannelName = 'whatsapp',
  personId = 'person-1',
): AssistantRequest {
  return {
    personId,
    conversationId: `conv-${personId}-${channel}`,
    channel,
    content: { type: 'text', text },
  };
}
