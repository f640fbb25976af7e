import { describe, expect, it } from 'vitest';
import { startStack, waitFor } from '../helpers/stack.ts';

describe('/metrics', () => {
  it('exposes inbound and outbound counts by channel and outcome, latencies and queue depths', async () => {
    const stack = await startStack();
    try {
      const sb = stack.sandbox;
      sb.users.create({ waId: '33622222222', name: 'Eve' });
      sb.userSends('33622222222', 'When are you open?');
      await waitFor(() => sb.sentTo('33622222222')[0]?.status === 'delivered');
      await sb.idle();
      const res = await fetch(`${stack.url}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      expect(
        value(
          /passerelle_inbound_events_total\{channel="whatsapp",kind="message",outcome="received"\} (\d+)/,
        ),
      ).toBe(1);
      expect(
        value(/passerelle_outbound_messages_total\{channel="whatsapp",kind="message",outcome="sent"\} (\d+)/),
      ).toBe(1);
      expect(
        value(
          /passerelle_outbound_messages_total\{channel="whatsapp",kind="mark_read",outcome="sent"\} (\d+)/,
        ),
      ).toBe(1);
      expect(
        value(/passerelle_webhook_ack_seconds_count\{channel="whatsapp"\} (\d+)/),
      ).toBeGreaterThanOrEqual(2);
      expect(value(/passerelle_send_seconds_count\{channel="whatsapp",kind="message"\} (\d+)/)).toBe(1);
      expect(text).toMatch(/passerelle_queue_depth\{queue="inbox",state="waiting"\} 0/);
      expect(text).toContain('passerelle_process_resident_memory_bytes');
    } finally {
      await stack.close();
    }
  });
});
