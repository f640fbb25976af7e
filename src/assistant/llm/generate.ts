import { generateText, streamText, type LanguageModelUsage } from 'ai';
import type { GroundedPrompt } from './prompt.ts';
import type { ChatModel } from './provider.ts';
import { LlmTimeoutError } from './retry.ts';

/** One successful model call: the raw text (citations included) and what the server said it cost. */
export interface Generation {
  text: string;
  usage: LanguageModelUsage | undefined;
}

/** Settings of one attempt. The AI SDK's own retries are off (`maxRetries: 0`): `withRetries` owns them. */
export interface CallSettings {
  model: ChatModel;
  prompt: GroundedPrompt;
  /** Non-streaming: the whole call; streaming: the longest silence (before the first token or between two). */
  timeoutMs: number;
  maxOutputTokens: number;
  temperature?: number;
}

/**
 * The stream failed after text was already shown: not retried (the person would see the start twice),
 * the offline fallback answers instead.
 */
export class StreamBrokenError extends Error {
  override name = 'StreamBrokenError';
  constructor(override readonly cause: unknown) {
    super(`stream failed after partial output: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** One non-streaming attempt (`stream: false`), bounded by `timeoutMs`. */
export async function generateOnce(s: CallSettings): Promise<Generation> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new LlmTimeoutError(s.timeoutMs)), s.timeoutMs);
  try {
    const r = await generateText({
      model: s.model,
      system: s.prompt.system,
      messages: s.prompt.messages,
      maxRetries: 0,
      abortSignal: ctrl.signal,
      maxOutputTokens: s.maxOutputTokens,
      ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    });
    return { text: r.text, usage: r.usage };
  } catch (err) {
    throw ctrl.signal.aborted ? new LlmTimeoutError(s.timeoutMs) : err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One streaming attempt: raw text deltas go to `onDelta` as they arrive. Any error part (HTTP error,
 * malformed chunk, server-side error event) ends the attempt; before the first delta it may be retried,
 * after it the attempt fails with `StreamBrokenError`.
 */
export async function streamOnce(s: CallSettings, onDelta: (raw: string) => void): Promise<Generation> {
  const ctrl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new LlmTimeoutError(s.timeoutMs)), s.timeoutMs);
  };
  let text = '';
  const fail = (err: unknown): never => {
    if (ctrl.signal.aborted) throw new LlmTimeoutError(s.timeoutMs);
    throw text.length > 0 ? new StreamBrokenError(err) : err;
  };
  arm();
  try {
    const result = streamText({
      model: s.model,
      system: s.prompt.system,
      messages: s.prompt.messages,
      maxRetries: 0,
      abortSignal: ctrl.signal,
      maxOutputTokens: s.maxOutputTokens,
      ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
      // Errors arrive as `error` parts below; the SDK's default handler would print them to stderr.
      onError: () => {},
    });
    let usage: LanguageModelUsage | undefined;
    for await (const part of result.fullStream) {
      arm();
      if (part.type === 'text-delta') {
        text += part.text;
        onDelta(part.text);
      } else if (part.type === 'error') fail(part.error);
      else if (part.type === 'abort') fail(new Error('stream aborted'));
      else if (part.type === 'finish') usage = part.totalUsage;
    }
    return { text, usage };
  } catch (err) {
    if (err instanceof StreamBrokenError || err instanceof LlmTimeoutError) throw err;
    return fail(err);
  } finally {
    clearTimeout(timer);
    if (!ctrl.signal.aborted) ctrl.abort(); // closes the connection if we stopped reading early
  }
}
