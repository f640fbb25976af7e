/**
 * Long polling, for development and for machines Telegram cannot reach: a `getUpdates` loop with an
 * offset. Each batch is handed to `onUpdates` (which commits it to the inbox) before the next call
 * confirms it, by asking for updates after the last one. If the process dies between the two, the
 * batch comes again at the next start and the inbox's de-duplication absorbs it.
 */
import type { Api } from 'grammy';
import type { Logger } from 'pino';
import { describeTelegramFailure } from './errors.ts';

/** The updates the gateway reads; the same list is given to `setWebhook`. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

export interface TelegramPollerOptions {
  api: Api;
  /** Stores a batch durably; throwing makes the poller fetch the same batch again after a pause. */
  onUpdates: (updates: unknown[]) => Promise<void>;
  logger: Logger;
  /** How long Telegram may hold each `getUpdates` open when there is nothing new. Default 25 s. */
  timeoutSeconds?: number;
  /** First pause after a failure, doubled up to 30 s. Default 1 s. */
  backoffMs?: number;
}

/**
 * The `getUpdates` loop. `start()` removes any webhook first (Telegram refuses `getUpdates` while
 * one is set, with 409) and returns at once; `stop()` aborts the call in flight and resolves when the
 * loop has ended. Failures never end the loop: they are logged and retried with back-off.
 */
export class TelegramPoller {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private offset: number | undefined;

  constructor(private readonly opts: TelegramPollerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** The next update id asked for: every update before it is committed. */
  get nextOffset(): number | undefined {
    return this.offset;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const { api, logger } = this.opts;
    let failures = 0;
    const pause = async (err: unknown, what: string) => {
      failures++;
      const f = describeTelegramFailure(err);
      const ms = Math.min((this.opts.backoffMs ?? 1000) * 2 ** (failures - 1), 30_000);
      const retryAfter = f.failure.kind === 'throttled' ? f.failure.retryAfterMs : undefined;
      logger.warn(
        { code: f.code, err: f.message, retryInMs: retryAfter ?? ms },
        `telegram polling: ${what} failed`,
      );
      await this.sleep(retryAfter ?? ms);
    };
    while (!this.stopped) {
      try {
        await api.deleteWebhook({ drop_pending_updates: false }, this.abort.signal as never);
        break;
      } catch (err) {
        if (this.stopped) return;
        await pause(err, 'deleteWebhook');
      }
    }
    failures = 0;
    while (!this.stopped) {
      let updates: unknown[];
      try {
        updates = await api.getUpdates(
          {
            ...(this.offset === undefined ? {} : { offset: this.offset }),
            timeout: this.opts.timeoutSeconds ?? 25,
            allowed_updates: [...ALLOWED_UPDATES],
          },
          this.abort.signal as never,
        );
      } catch (err) {
        if (this.stopped) return;
        // 409: a webhook was set meanwhile or another process polls with the same token.
        await pause(err, 'getUpdates');
        continue;
      }
      if (updates.length > 0) {
        try {
          await this.opts.onUpdates(updates);
        } catch (err) {
          // Not stored: ask for the same updates again (the offset is not advanced).
          await pause(err, 'storing updates');
          continue;
        }
        const last = updates[updates.length - 1] as { update_id: number };
        this.offset = last.update_id + 1;
      }
      failures = 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done);
    });
  }
}
