import type { InboxTable } from '../store/schema.ts';

/**
 * The decisions of the NATS JetStream queue that involve no I/O: where to connect, which subject an
 * item goes to, how the stream and consumer are configured, and what to tell the server about a
 * message once its batch is over. `nats.ts` does the I/O.
 */

/** A `QUEUE_URL` of the `nats://` or `tls://` kind, split into what the NATS client takes. */
export interface NatsTarget {
  /** `host:port` (the client takes no scheme and no credentials in it). */
  server: string;
  /** `tls://`: refuse a server that cannot do TLS. */
  tls: boolean;
  user?: string;
  pass?: string;
  /** A user name alone in the URL (`nats://s3cr3t@host`) is a token, as the NATS tools read it. */
  token?: string;
  /** The URL with its credentials hidden, for messages and logs. */
  display: string;
}

/** The port NATS listens on unless told otherwise. */
export const NATS_DEFAULT_PORT = 4222;

/** Whether a `QUEUE_URL` names a NATS server (rather than `local`). */
export function isNatsUrl(url: string): boolean {
  return /^(nats|tls):\/\//i.test(url);
}

/** Splits a `nats://[user[:password]@]host[:port]` (or `tls://…`) URL; throws on anything else. */
export function parseNatsUrl(url: string): NatsTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`QUEUE_URL: not a URL: ${JSON.stringify(url)}`);
  }
  const scheme = u.protocol.toLowerCase();
  if ((scheme !== 'nats:' && scheme !== 'tls:') || !u.hostname) {
    throw new Error('QUEUE_URL: expected nats://host:port or tls://host:port');
  }
  const port = u.port === '' ? NATS_DEFAULT_PORT : Number(u.port);
  const user = u.username ? decodeURIComponent(u.username) : undefined;
  const pass = u.password ? decodeURIComponent(u.password) : undefined;
  const auth = user === undefined ? {} : pass === undefined ? { token: user } : { user, pass };
  const shownAuth = user === undefined ? '' : pass === undefined ? '***@' : `${u.username}:***@`;
  return {
    server: `${u.hostname}:${port}`,
    tls: scheme === 'tls:',
    ...auth,
    display: `${scheme}//${shownAuth}${u.hostname}:${port}`,
  };
}

/** Subjects of one stream: `<stream, lowercased>.work.<partition>`. */
export const PARTITIONS = 32;

/** The subject prefix of a stream, and the filter of its consumer. */
export function subjectsOf(stream: string): { prefix: string; filter: string } {
  const prefix = `${stream.toLowerCase()}.work`;
  return { prefix, filter: `${prefix}.>` };
}

/**
 * The partition of an ordering key: FNV-1a (32 bits) modulo `PARTITIONS`. Subjects carry the
 * partition, not the key: ordering keys may hold characters subjects cannot (`.`, `*`, `>`,
 * spaces), and the stream keeps a bounded number of subjects however many conversations there are.
 * Order does not depend on it: the inbox leases keep each key in order, whatever the subject.
 */
export function partitionOf(orderingKey: string, partitions = PARTITIONS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < orderingKey.length; i++) {
    h ^= orderingKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** What a work message carries: the inbox item to process and the conversation it belongs to. */
export interface WorkMessage {
  id: string;
  key: string;
}

/** Reads a work message's payload; throws on anything that is not one. */
export function parseWorkMessage(text: string): WorkMessage {
  const v = JSON.parse(text) as Partial<WorkMessage> | null;
  if (!v || typeof v.id !== 'string' || typeof v.key !== 'string') {
    throw new Error('not a work message');
  }
  return { id: v.id, key: v.key };
}

/** The durable pull consumer every process shares, one per stream. */
export const CONSUMER_NAME = 'workers';

/**
 * How long the server waits for a delivered message's ack before it delivers it again: one pipeline
 * lease (`PIPELINE_LEASE_MS`) and a second. A process that dies with a batch in hand leaves its inbox
 * items leased for that long; redelivering earlier would only find them still leased (the key busy),
 * later would leave them waiting for nothing. A batch still running past its lease cannot commit
 * anyway (its lease may be taken over), so in-flight messages are not kept alive beyond it.
 */
export function ackWaitFor(leaseMs: number): number {
  return leaseMs + 1000;
}

/** Milliseconds to the nanoseconds of JetStream's API. */
export const nanos = (ms: number): number => ms * 1_000_000;

/** When the inbox item a message announces may be settled, and when it must be tried again. */
export type Settlement = { kind: 'ack' } | { kind: 'nak'; delayMs: number };

/** The inbox row of an item, as far as settling its message goes; undefined: no such row. */
export type InboxState = Pick<InboxTable, 'id' | 'state' | 'next_attempt_at'>;

export interface RetryDelays {
  /** First wait when the key is busy (another worker holds an older or the same item); doubles. */
  busyMs: number;
  busyMaxMs: number;
  /** First wait after the handler threw; doubles. */
  failureMs: number;
  failureMaxMs: number;
}

export const DEFAULT_DELAYS: RetryDelays = {
  busyMs: 100,
  busyMaxMs: 5000,
  failureMs: 1000,
  failureMaxMs: 60_000,
};

/** The wait before delivery number `delivery + 1`: the base for the first, doubling up to the cap. */
export function backoff(
  kind: 'busy' | 'failure',
  delivery: number,
  delays: RetryDelays = DEFAULT_DELAYS,
): number {
  const [base, max] =
    kind === 'busy' ? [delays.busyMs, delays.busyMaxMs] : [delays.failureMs, delays.failureMaxMs];
  return Math.min(base * 2 ** Math.min(Math.max(delivery - 1, 0), 20), max);
}

/**
 * What to tell the server about a message once the batch that carried it is over, from its inbox row
 * (the source of truth): ack when the item is finished (done or failed, or gone), else ask for it
 * again later. Never ack a live item: a batch that ended without it (the key was busy, an older
 * item failed, this one was released for a retry) leaves it to this message.
 *
 * - the handler threw: back off 1 s, 2 s, 4 s… up to 60 s (by delivery count);
 * - the item waits for a retry (`next_attempt_at` ahead): until then;
 * - otherwise the key was busy: 100 ms, 200 ms… up to 5 s, since the holder usually finishes soon.
 */
export function settlement(
  row: InboxState | undefined,
  handlerFailed: boolean,
  delivery: number,
  now: number,
  delays: RetryDelays = DEFAULT_DELAYS,
): Settlement {
  if (!row || row.state === 'done' || row.state === 'failed') return { kind: 'ack' };
  if (handlerFailed) return { kind: 'nak', delayMs: backoff('failure', delivery, delays) };
  if (row.next_attempt_at > now) return { kind: 'nak', delayMs: row.next_attempt_at - now + 10 };
  return { kind: 'nak', delayMs: backoff('busy', delivery, delays) };
}
