import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChannelOutbound, OutboundSend } from '../../src/core/delivery.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { Dispatcher } from '../../src/outbox/dispatcher.ts';
import { openStore } from '../../src/store/db.ts';
import { enqueueOutbox } from '../../src/store/outbox.ts';
import { waitFor } from '../helpers/stack.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';

/** A channel that records when each message left. */
function recorder(sent: { to: string; at: number; by: string }[], by: string): ChannelOutbound {
  let n = 0;
  return {
    channel: 'whatsapp',
    async send(req: OutboundSend) {
      sent.push({ to: req.to, at: Date.now(), by });
      return { providerMessageId: `wamid.${by}.${++n}` };
    },
    describeFailure: (err) => ({ failure: { kind: 'transient' }, code: 'x', message: String(err) }),
  };
}

describe.skipIf(!DIALECTS.includes('postgres'))('postgres: two dispatchers, one business number', () => {
  it('share its send rate: together they never go faster than the number allows', async () => {
    const main = await openTestStore('postgres');
    const other = openStore({ url: main.database.url });
    const sent: { to: string; at: number; by: string }[] = [];
    const limits = { whatsapp: { accountPerSecond: 10, recipient: { burst: 6, perSecond: 1 / 6 } } };
    const dispatcher = (store: typeof other, by: string) =>
      new Dispatcher({
        store,
        channels: { whatsapp: recorder(sent, by) },
        logger: pino({ level: 'silent' }),
        metrics: new Metrics(),
        owner: by,
        retry: { maxAttempts: 3, unitMs: 10, jitter: 0 },
        limits,
        leaseMs: 10_000,
        unknownGraceMs: 10_000,
        sharedLimits: true,
      });
    const a = dispatcher(main, 'A');
    const b = dispatcher(other, 'B');
    try {
      await enqueueOutbox(
        main.db,
        Array.from({ length: 30 }, (_, i) => ({
          idempotencyKey: `k${i}`,
          kind: 'message' as const,
          channel: 'whatsapp',
          account: '1065',
          recipient: `3361000${String(i).padStart(4, '0')}`,
          payload: { content: { type: 'text', text: `hello ${i}` } },
        })),
      );
      const t0 = Date.now();
      a.start();
      b.start();
      await waitFor(() => sent.length >= 30, 15_000, '30 sends');
      await new Promise((r) => setTimeout(r, 200));
      expect(sent).toHaveLength(30);
      expect(new Set(sent.map((s) => s.to)).size).toBe(30);
      // Both worked, and the first second held the burst (10) and at most one second's refill.
      const firstSecond = sent.filter((s) => s.at - t0 < 1000).length;
      expect(firstSecond).toBeLessThanOrEqual(20);
      // 30 sends at 10 per second after a burst of 10: two seconds at least, whoever sends.
      expect(Math.max(...sent.map((s) => s.at)) - t0).toBeGreaterThanOrEqual(1800);
    } finally {
      await a.stop(Date.now() + 2000);
      await b.stop(Date.now() + 2000);
      await other.close();
      await main.close();
    }
  });
});
