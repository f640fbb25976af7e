import { describe, expect, it } from 'vitest';
import {
  ackWaitFor,
  backoff,
  parseNatsUrl,
  parseWorkMessage,
  partitionOf,
  PARTITIONS,
  settlement,
  subjectsOf,
} from '../../src/queue/nats-settings.ts';

/** The NATS queue's decisions, without a server. */

describe('QUEUE_URL', () => {
  it('reads host and port, with 4222 by default', () => {
    expect(parseNatsUrl('nats://127.0.0.1:4222')).toEqual({
      server: '127.0.0.1:4222',
      tls: false,
      display: 'nats://127.0.0.1:4222',
    });
    expect(parseNatsUrl('nats://nats.internal').server).toBe('nats.internal:4222');
  });

  it('requires TLS with tls://', () => {
    expect(parseNatsUrl('tls://nats.example.com:4443')).toMatchObject({
      tls: true,
      server: 'nats.example.com:4443',
    });
  });

  it('takes user and password, or a token, and never shows the secret', () => {
    expect(parseNatsUrl('nats://gw:s3cr%40t@h:4222')).toMatchObject({
      user: 'gw',
      pass: 's3cr@t',
      display: 'nats://gw:***@h:4222',
    });
    expect(parseNatsUrl('nats://t0ken@h')).toMatchObject({ token: 't0ken', display: 'nats://***@h:4222' });
  });

  it('refuses other schemes, naming QUEUE_URL', () => {
    expect(() => parseNatsUrl('http://h:4222')).toThrow(/^QUEUE_URL: /);
    expect(() => parseNatsUrl('local')).toThrow(/^QUEUE_URL: /);
  });
});

describe('subjects', () => {
  it('puts every key of a stream under <stream>.work.<partition>, the same key always on one subject', () => {
    expect(subjectsOf('PASSERELLE')).toEqual({ prefix: 'passerelle.work', filter: 'passerelle.work.>' });
    const key = 'whatsapp:106540352242922:33612345678';
    expect(partitionOf(key)).toBe(partitionOf(key));
    const seen = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`whatsapp:1:336${i}`)));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThan(PARTITIONS);
    expect(seen.size).toBeGreaterThan(PARTITIONS / 2);
  });

  it('reads back what it publishes, and refuses anything else', () => {
    expect(parseWorkMessage(JSON.stringify({ id: 'a', key: 'k' }))).toEqual({ id: 'a', key: 'k' });
    expect(() => parseWorkMessage('{"id":1}')).toThrow();
    expect(() => parseWorkMessage('null')).toThrow();
  });
});

describe('settling a message from its inbox row', () => {
  const now = 1_000_000;
  const row = (state: 'pending' | 'processing' | 'done' | 'failed', next = 0) => ({
    id: 'i',
    state,
    next_attempt_at: next,
  });

  it('acknowledges an item done, failed for good, or gone', () => {
    expect(settlement(row('done'), false, 1, now)).toEqual({ kind: 'ack' });
    expect(settlement(row('failed'), true, 1, now)).toEqual({ kind: 'ack' });
    expect(settlement(undefined, false, 1, now)).toEqual({ kind: 'ack' });
  });

  it('asks again, soon and then less often, for an item whose key was busy', () => {
    expect(settlement(row('pending'), false, 1, now)).toEqual({ kind: 'nak', delayMs: 100 });
    expect(settlement(row('processing'), false, 3, now)).toEqual({ kind: 'nak', delayMs: 400 });
    expect(settlement(row('pending'), false, 50, now)).toEqual({ kind: 'nak', delayMs: 5000 });
  });

  it('asks again when the retry of a released item is due', () => {
    expect(settlement(row('pending', now + 4000), false, 1, now)).toEqual({ kind: 'nak', delayMs: 4010 });
  });

  it('backs off from 1 s to 60 s after the handler threw', () => {
    expect(settlement(row('processing'), true, 1, now)).toEqual({ kind: 'nak', delayMs: 1000 });
    expect(backoff('failure', 4)).toBe(8000);
    expect(backoff('failure', 30)).toBe(60_000);
  });

  it('waits for a dead process one pipeline lease and a second before delivering again', () => {
    expect(ackWaitFor(60_000)).toBe(61_000);
  });
});
