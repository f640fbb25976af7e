import { newId } from '../../core/ids.ts';
import type { Db } from '../../store/db.ts';
import type { RejectReason } from './checks.ts';

/** How one model call ended, from the operator's point of view. */
export type UsageOutcome = 'answered' | `rejected:${RejectReason}` | 'failed' | 'timeout';

/** One model call (retries included) for one inbound message. */
export interface LlmUsageRecord {
  conversationId: string;
  personId: string;
  /** AI SDK provider id, e.g. `openai.chat`, `openai-compatible.chat`, `anthropic.messages`. */
  provider: string;
  model: string;
  /** `undefined` when the server did not report usage (some OpenAI-compatible servers). */
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Wall time from the first request to the last byte, retries and back-off included. */
  latencyMs: number;
  outcome: UsageOutcome;
  at: number;
}

/**
 * Where token usage goes: one record per model call, per conversation, so an operator can see cost by
 * conversation and by model. Recording must never make a reply fail: implementations may throw, the
 * assistant logs and carries on.
 */
export interface UsageRecorder {
  record(usage: LlmUsageRecord): Promise<void>;
}

/** Usage kept in memory: for tests and for embedding without a store. */
export class InMemoryUsageRecorder implements UsageRecorder {
  readonly records: LlmUsageRecord[] = [];

  async record(usage: LlmUsageRecord): Promise<void> {
    this.records.push(usage);
  }

  /** Tokens used by one conversation so far. */
  totals(conversationId: string): { inputTokens: number; outputTokens: number; calls: number } {
    const mine = this.records.filter((r) => r.conversationId === conversationId);
    return {
      inputTokens: mine.reduce((s, r) => s + (r.inputTokens ?? 0), 0),
      outputTokens: mine.reduce((s, r) => s + (r.outputTokens ?? 0), 0),
      calls: mine.length,
    };
  }
}

/** Usage in the store's `llm_usage` table (migration `0003_llm_usage`). */
export class StoreUsageRecorder implements UsageRecorder {
  constructor(private readonly db: Db) {}

  async record(u: LlmUsageRecord): Promise<void> {
    await this.db
      .insertInto('llm_usage')
      .values({
        id: newId(),
        conversation_id: u.conversationId,
        person_id: u.personId,
        provider: u.provider,
        model: u.model,
        input_tokens: u.inputTokens ?? null,
        output_tokens: u.outputTokens ?? null,
        latency_ms: Math.round(u.latencyMs),
        outcome: u.outcome,
        created_at: u.at,
      })
      .execute();
  }
}
