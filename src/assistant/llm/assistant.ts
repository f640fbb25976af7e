import type { Logger } from 'pino';
import type { ChannelName } from '../../core/channel.ts';
import type { MessageContent } from '../../core/content.ts';
import type { Assistant, AssistantReply, AssistantRequest } from '../port.ts';
import { checkAnswer, CHANNEL_TEXT_LIMITS, instructionShingles, type AnswerCheck } from './checks.ts';
import { CitationStreamFilter } from './citations.ts';
import { generateOnce, streamOnce, type CallSettings, type Generation } from './generate.ts';
import type { Grounding, GroundingResult } from './grounding.ts';
import type { ConversationMemory } from './memory.ts';
import { buildPrompt, instructions, rules } from './prompt.ts';
import type { ChatModel } from './provider.ts';
import { classifyFailure, LlmCallError, withRetries, type RetryPolicy } from './retry.ts';
import type { UsageOutcome, UsageRecorder } from './usage.ts';

/**
 * Channels where the assistant speaks for a business and must stay in its lane. WhatsApp's 2026 terms
 * ban general-purpose AI assistants on the Business Platform (spec §4); other channels are the
 * operator's call.
 */
export const whatsappOnlyScope = (channel: ChannelName): boolean => channel === 'whatsapp';

export interface LlmAssistantOptions {
  model: ChatModel;
  grounding: Grounding;
  /** The offline assistant: answers when the model may not (out of scope) or cannot (failure, bad answer). */
  fallback: Assistant;
  memory: ConversationMemory;
  usage: UsageRecorder;
  logger: Logger;
  /** Where an out-of-scope question must never reach the model. Default: WhatsApp only. */
  businessScoped?: (channel: ChannelName) => boolean;
  /** Per attempt; for streaming, the longest silence. Default 20 s. */
  timeoutMs?: number;
  /** Retries on 429, 5xx and connection errors. Default 2. */
  maxRetries?: number;
  /** Back-off tuning (tests shorten it). */
  retry?: Omit<RetryPolicy, 'maxRetries'>;
  /** The business's name, for the instructions (the knowledge base's `business`). */
  business?: string;
  /** Entries put in the prompt. Default 4. */
  topK?: number;
  /** Turns of memory put in the prompt (a question and its answer are two). Default 6. */
  memoryTurns?: number;
  /** A longer answer is a runaway, not a concise reply: rejected. Default 2000 characters. */
  maxAnswerChars?: number;
  /** Default 600. */
  maxOutputTokens?: number;
  temperature?: number;
}

/** The question a message asks, or `undefined` when it is not a question for the model. */
function questionOf(content: MessageContent): string | undefined {
  if (content.type === 'text') return content.text.trim() || undefined;
  if (content.type === 'media') return content.media.caption?.trim() || undefined;
  // A tapped choice names a knowledge-base entry: the offline assistant answers it exactly.
  return undefined;
}

/**
 * The LLM assistant: answers from the top knowledge-base entries through any AI SDK model, cites the
 * entries it used (stored as `sources`), remembers a few turns per person, and checks every answer
 * before it leaves. Whatever goes wrong — out of scope on a business channel, timeout, 5xx, malformed
 * stream, an answer that fails the checks — the offline assistant answers instead: the person always
 * gets a reply.
 */
export class LlmAssistant implements Assistant {
  private readonly scopedInstructions: string;
  private readonly generalInstructions: string;
  private readonly shingles: Set<string>;
  private readonly businessScoped: (channel: ChannelName) => boolean;

  constructor(private readonly opts: LlmAssistantOptions) {
    const settings = opts.business ? { business: opts.business } : {};
    this.scopedInstructions = instructions(settings, true);
    this.generalInstructions = instructions(settings, false);
    this.shingles = instructionShingles(`${rules(true)}\n${rules(false)}`);
    this.businessScoped = opts.businessScoped ?? whatsappOnlyScope;
  }

  /**
   * The answer: streamed to `req.onDelta` when the channel can show partial text (the web chat), one
   * complete message otherwise (WhatsApp gets one message).
   */
  reply(req: AssistantRequest): Promise<AssistantReply[]> {
    return this.answer(req, req.onDelta);
  }

  private async answer(req: AssistantRequest, onDelta?: (text: string) => void): Promise<AssistantReply[]> {
    const question = questionOf(req.content);
    // A request for a human is acknowledged by the offline assistant: no model call.
    if (question === undefined || req.handoff) return this.opts.fallback.reply(req);
    const grounding = await this.opts.grounding.retrieve(question, this.opts.topK ?? 4);
    // The policy's scope for this person wins (`scopeFor`: a country's general-purpose period); without
    // one, the channel's default.
    const businessScoped = req.scope ? req.scope === 'business' : this.businessScoped(req.channel);
    if (grounding.outOfScope && businessScoped) {
      // Never reaches the model: the offline assistant declines and offers a human.
      return this.delegate(req, question, 'out_of_scope');
    }
    const ids = grounding.entries.map((e) => e.id);
    const called = await this.callModel(req, await this.callSettings(req, question, grounding), ids, onDelta);
    if (!called) return this.delegate(req, question, 'model_failed');
    const { gen, filter } = called;

    const check = checkAnswer({
      raw: gen.text,
      provided: ids,
      requireSource: !grounding.outOfScope && ids.length > 0,
      shingles: this.shingles,
      maxChars: this.opts.maxAnswerChars ?? 2000,
      channelLimit: CHANNEL_TEXT_LIMITS[req.channel],
    });
    await this.record(
      req,
      called.started,
      gen,
      check.kind === 'accepted' ? 'answered' : `rejected:${check.reason}`,
    );
    this.logCheck(req, check);
    if (check.kind === 'rejected') return this.delegate(req, question, check.reason);

    if (onDelta) {
      const rest = filter.end(check.text);
      if (rest) onDelta(rest);
    }
    await this.remember(req.personId, question, check.text);
    return [{ content: { type: 'text', text: check.text }, sources: check.sources, intent: 'answer' }];
  }

  /**
   * Calls the model with retries. `undefined` when it failed for good (already logged and recorded):
   * the caller lets the offline assistant answer.
   */
  private async callModel(
    req: AssistantRequest,
    settings: CallSettings,
    ids: string[],
    onDelta: ((text: string) => void) | undefined,
  ): Promise<{ gen: Generation; filter: CitationStreamFilter; started: number } | undefined> {
    const started = performance.now();
    let filter = new CitationStreamFilter(ids);
    const attempt = () => {
      if (!onDelta) return generateOnce(settings);
      filter = new CitationStreamFilter(ids);
      return streamOnce(settings, (raw) => {
        const shown = filter.push(raw);
        if (shown) onDelta(shown);
      });
    };
    try {
      const gen = await withRetries(
        attempt,
        { maxRetries: this.opts.maxRetries ?? 2, ...this.opts.retry },
        {
          onRetry: (failure, delayMs, n) =>
            this.opts.logger.warn(
              { conversationId: req.conversationId, failure, delayMs, attempt: n },
              'llm: retrying',
            ),
        },
      );
      return { gen, filter, started };
    } catch (err) {
      const failure = err instanceof LlmCallError ? err.failure : classifyFailure(err);
      this.opts.logger.warn(
        {
          conversationId: req.conversationId,
          failure,
          err: err instanceof Error ? err.message : String(err),
        },
        'llm: model failed; offline assistant answers',
      );
      await this.record(req, started, undefined, failure.kind === 'timeout' ? 'timeout' : 'failed');
      return undefined;
    }
  }

  private async callSettings(
    req: AssistantRequest,
    question: string,
    g: GroundingResult,
  ): Promise<CallSettings> {
    let memory = await this.opts.memory
      .recent(req.personId, this.opts.memoryTurns ?? 6)
      .catch((err: unknown) => {
        this.opts.logger.warn(
          { personId: req.personId, err },
          'llm: memory unavailable; answering without it',
        );
        return [];
      });
    // A memory that already holds this very question (stored before the assistant ran) must not repeat it.
    const last = memory[memory.length - 1];
    if (last?.role === 'user' && last.text.trim() === question) memory = memory.slice(0, -1);
    return {
      model: this.opts.model,
      prompt: buildPrompt({
        instructions: g.outOfScope ? this.generalInstructions : this.scopedInstructions,
        entries: g.entries,
        language: g.language,
        memory,
        question,
      }),
      timeoutMs: this.opts.timeoutMs ?? 20_000,
      maxOutputTokens: this.opts.maxOutputTokens ?? 600,
      ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
    };
  }

  /** The offline assistant answers; its text joins the memory like any answer. */
  private async delegate(req: AssistantRequest, question: string, why: string): Promise<AssistantReply[]> {
    this.opts.logger.info(
      { conversationId: req.conversationId, channel: req.channel, why },
      'llm: offline assistant answers',
    );
    const replies = await this.opts.fallback.reply(req);
    const text = replies
      .map((r) =>
        r.content.type === 'text' ? r.content.text : r.content.type === 'buttons' ? r.content.body : '',
      )
      .filter((t) => t.length > 0)
      .join('\n');
    if (text) await this.remember(req.personId, question, text);
    return replies;
  }

  private async remember(personId: string, question: string, answer: string): Promise<void> {
    try {
      await this.opts.memory.append(personId, { role: 'user', text: question });
      await this.opts.memory.append(personId, { role: 'assistant', text: answer });
    } catch (err) {
      this.opts.logger.warn({ personId, err }, 'llm: memory append failed');
    }
  }

  /** Usage is recorded for every call that reached the model; a failing recorder never fails a reply. */
  private async record(
    req: AssistantRequest,
    started: number,
    gen: Generation | undefined,
    outcome: UsageOutcome,
  ): Promise<void> {
    try {
      await this.opts.usage.record({
        conversationId: req.conversationId,
        personId: req.personId,
        provider: this.opts.model.provider,
        model: this.opts.model.modelId,
        inputTokens: gen?.usage?.inputTokens,
        outputTokens: gen?.usage?.outputTokens,
        latencyMs: performance.now() - started,
        outcome,
        at: Date.now(),
      });
    } catch (err) {
      this.opts.logger.warn({ conversationId: req.conversationId, err }, 'llm: usage not recorded');
    }
  }

  private logCheck(req: AssistantRequest, check: AnswerCheck): void {
    if (check.invented.length > 0) {
      this.opts.logger.warn(
        { conversationId: req.conversationId, invented: check.invented },
        'llm: dropped invented sources',
      );
    }
    if (check.kind === 'rejected') {
      this.opts.logger.warn(
        { conversationId: req.conversationId, reason: check.reason },
        'llm: answer rejected',
      );
    } else if (check.truncated) {
      this.opts.logger.info({ conversationId: req.conversationId }, 'llm: answer cut to the channel limit');
    }
  }
}
