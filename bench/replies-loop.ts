import { Agent } from 'node:http';
import type { SignedBody } from './bodies.ts';
import { nowMs } from './constants.ts';
import type { LoadResult, LoadTarget } from './load.ts';
import { post, recorder, runAbort, tally } from './load.ts';

/**
 * A load closed on **replies**, for systems that acknowledge first and answer later: messages are
 * sent (round-robin over `targets`, as a load balancer would) as long as fewer than `outstanding` of
 * them are unanswered, i.e. sent but without their reply at the Graph API yet. The system then runs
 * at the rate it completes messages, with a bounded backlog, whatever it acknowledges, and that rate
 * is the figure: replies per second over the measured window. An open loop above capacity would only
 * grow the inbox; a closed loop on acknowledgements measures ingest, not answers.
 */
export interface RepliesLoopOptions {
  /** Messages sent and not yet answered, at most. */
  outstanding: number;
  warmupMs: number;
  durationMs: number;
  /** After the window, how long acknowledgements still in flight are awaited. */
  drainMs: number;
  /** Replies the Graph API (the sandbox) has received so far. */
  replies(): Promise<number>;
  /** Called when the measured window opens and when it closes (CPU metering). */
  onWindow?(edge: 'open' | 'close'): void;
}

export interface RepliesLoopResult {
  /** Replies per second in the measured window. */
  repliesPerSec: number;
  /** Replies received in the window. */
  replies: number;
  /** The webhooks of the window: acknowledgements and their latency. */
  load: Omit<LoadResult, 'startTimes' | 'endTimes'>;
  /** The bodies ran out before the window ended (the figure is then a lower bound). */
  exhausted: boolean;
}

const POLL_MS = 20;

export async function repliesLoop(
  targets: LoadTarget[],
  bodies: SignedBody[],
  opts: RepliesLoopOptions,
): Promise<RepliesLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const abort = runAbort();
  const rec = recorder(bodies.length);
  const inflight = new Set<Promise<void>>();
  const base = await opts.replies();
  const t0 = nowMs();
  const measureFrom = t0 + opts.warmupMs;
  const stopAt = measureFrom + opts.durationMs;
  let sent = 0;
  let first = -1;
  let window: { at: number; replies: number } | undefined;
  let end: { at: number; replies: number } | undefined;
  for (;;) {
    const answered = (await opts.replies()) - base;
    const now = nowMs();
    if (!window && now >= measureFrom) {
      window = { at: now, replies: answered };
      first = sent;
      opts.onWindow?.('open');
    }
    if (now >= stopAt) {
      end = { at: now, replies: answered };
      opts.onWindow?.('close');
      break;
    }
    while (sent - answered < opts.outstanding && sent < bodies.length) {
      const i = sent++;
      rec.start[i] = nowMs();
      const p = post(agent, targets[i % targets.length]!, bodies[i]!, abort.signal).then((status) => {
        rec.status[i] = status;
        rec.end[i] = nowMs();
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const cutoff = setTimeout(() => abort.abort(), opts.drainMs);
  await Promise.all([...inflight]);
  clearTimeout(cutoff);
  agent.destroy();
  const start = window ?? { at: t0, replies: 0 };
  const last = end ?? { at: nowMs(), replies: start.replies };
  const replies = last.replies - start.replies;
  const durationMs = Math.max(1, last.at - start.at);
  const {
    startTimes: _s,
    endTimes: _e,
    ...load
  } = tally('closed', rec, first < 0 ? 0 : first, sent, durationMs);
  return {
    repliesPerSec: (replies / durationMs) * 1000,
    replies,
    load,
    exhausted: sent >= bodies.length,
  };
}
