import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';

/**
 * The NATS JetStream server for queue tests: `TEST_NATS_URL`, default `nats://127.0.0.1:4222` (the
 * local server started with `-js`). Each test uses its own stream (`uniqueStream`) and deletes it.
 *
 * NATS tests are skipped when the server does not answer, except under `CI=true`: there they run,
 * and fail, since CI must have started the server (`.ci/run` does).
 */

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** A short-lived management connection. */
async function withNats<T>(work: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: NATS_URL, timeout: 3000, reconnect: false });
  try {
    return await work(nc);
  } finally {
    await nc.close();
  }
}

async function answers(): Promise<boolean> {
  try {
    // `jetstreamManager` asks the server for JetStream: a server without `-js` does not count.
    return await withNats(async (nc) => Boolean(await jetstreamManager(nc)));
  } catch {
    return false;
  }
}

/** Whether the NATS test server answers with JetStream (probed once per test file). */
export const natsReachable = await answers();

/** Whether NATS tests run: the server answers, or CI requires it. */
export const natsTests = natsReachable || inCi;

if (!natsReachable && !inCi) {
  console.warn(`NATS tests skipped: no JetStream server at ${NATS_URL} (they run, and must pass, under CI)`);
}

/** A stream name no other test (or run) uses. */
export function uniqueStream(): string {
  return `T_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Deletes a test's stream (and its consumer); a stream never created is fine. */
export async function deleteStream(name: string): Promise<void> {
  await withNats(async (nc) => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(name).catch(() => false);
  });
}

/** Messages still in the stream, and those delivered but not yet acknowledged. */
export async function streamCounts(name: string): Promise<{ messages: number; ackPending: number }> {
  return withNats(async (nc) => {
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.info(name);
    const consumer = await jsm.consumers.info(name, 'workers');
    return { messages: stream.state.messages, ackPending: consumer.num_ack_pending };
  });
}

/** A TCP proxy to the NATS server whose connections a test can cut, as a network failure would. */
export interface NatsProxy {
  url: string;
  /** Cuts every connection open now; new ones are accepted (the client reconnects). */
  cut(): void;
  close(): Promise<void>;
}

export async function startNatsProxy(): Promise<NatsProxy> {
  const target = new URL(NATS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 4222), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
