import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { CONSUMER_NAME, nanos, subjectsOf, type NatsTarget } from './nats-settings.ts';

/**
 * The connection of the NATS queue: connect, make sure the work stream and its consumer exist as
 * configured, and log what happens to the connection afterwards.
 */

/** The NATS server cannot be used (down, unreachable, no JetStream): start-up stops with this. */
export class NatsQueueError extends Error {
  override name = 'NatsQueueError';
  constructor(
    message: string,
    /** The server, credentials hidden. */
    readonly server: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The server drops a second publish of one inbox id within this window (`Nats-Msg-Id`). */
export const DUPLICATE_WINDOW_MS = 120_000;
/** Enough for every process's messages in flight and those waiting for a busy key. */
const MAX_ACK_PENDING = 10_000;

export interface WorkStreamOptions {
  target: NatsTarget;
  /** The stream's name (`QUEUE_STREAM`). */
  stream: string;
  ackWaitMs: number;
  /** Connection name shown by the server's monitoring. */
  name: string;
  reconnectWaitMs: number;
  logger: Logger;
}

/** A connection, and the stream's shared consumer, ready to publish and pull. */
export interface WorkStream {
  nc: NatsConnection;
  js: JetStreamClient;
  consumer: Consumer;
}

/**
 * Connects and makes sure the stream and the consumer exist. Throws `NatsQueueError`, naming
 * QUEUE_URL, when the server is down or has no JetStream. Once connected, the client reconnects
 * without limit: the inbox keeps the work meanwhile.
 */
export async function openWorkStream(o: WorkStreamOptions): Promise<WorkStream> {
  const t = o.target;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: t.server,
      ...(t.user !== undefined ? { user: t.user, pass: t.pass } : {}),
      ...(t.token !== undefined ? { token: t.token } : {}),
      ...(t.tls ? { tls: {} } : {}),
      name: o.name,
      timeout: 5000,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: o.reconnectWaitMs,
    });
  } catch (err) {
    throw new NatsQueueError(
      `QUEUE_URL: cannot connect to the NATS server at ${t.display}: ${(err as Error).message}`,
      t.display,
      { cause: err },
    );
  }
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, o.stream);
    await ensureConsumer(jsm, o.stream, o.ackWaitMs);
    const js = jetstream(nc);
    const consumer = await js.consumers.get(o.stream, CONSUMER_NAME);
    watch(nc, t.display, o.logger);
    o.logger.info(
      { server: t.display, stream: o.stream, ackWaitMs: o.ackWaitMs },
      'work queue: NATS JetStream',
    );
    return { nc, js, consumer };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new NatsQueueError(
      `QUEUE_URL: the NATS server at ${t.display} cannot hold the work queue (is JetStream enabled, nats-server -js?): ${(err as Error).message}`,
      t.display,
      { cause: err },
    );
  }
}

async function ensureStream(jsm: JetStreamManager, name: string): Promise<void> {
  const filter = subjectsOf(name).filter;
  const wanted = { subjects: [filter], duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
  try {
    const info = await jsm.streams.info(name);
    if (info.config.retention !== RetentionPolicy.Workqueue)
      throw new Error(`QUEUE_STREAM: the stream ${name} exists and is not a work queue`);
    const same =
      info.config.subjects?.includes(filter) && info.config.duplicate_window === wanted.duplicate_window;
    if (!same) await jsm.streams.update(name, { ...info.config, ...wanted });
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add({
      name,
      ...wanted,
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, ackWaitMs: number): Promise<void> {
  const filter = subjectsOf(stream).filter;
  const settings = {
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: MAX_ACK_PENDING,
    // Never given up on: the inbox counts attempts and fails a poison item itself.
    max_deliver: -1,
  };
  try {
    const info = await jsm.consumers.info(stream, CONSUMER_NAME);
    const c = info.config;
    if (c.ack_wait !== settings.ack_wait || c.max_ack_pending !== settings.max_ack_pending)
      await jsm.consumers.update(stream, CONSUMER_NAME, settings);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(stream, {
      durable_name: CONSUMER_NAME,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      ...settings,
    });
  }
}

/** Logs what happens to the connection; the client reconnects by itself. */
function watch(nc: NatsConnection, server: string, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect')
        log.warn({ server }, 'NATS connection lost; reconnecting (pending work stays in the inbox)');
      else if (s.type === 'reconnect') log.info({ server }, 'NATS connection restored');
      else if (s.type === 'error') log.error({ err: s.error, server }, 'NATS error');
      else if (s.type === 'ldm') log.warn({ server }, 'NATS server entering lame duck mode');
    }
  })().catch((err: unknown) => log.error({ err }, 'NATS status watch failed'));
}
