import { createServer, type IncomingMessage, type Server } from 'node:http';
import { runCli, waitHttpOk, type Child } from './process.ts';

/**
 * Pieces of a gateway cluster for end-to-end tests: gateway processes (`bin/passerelle.js start`)
 * that a test can kill with SIGKILL and start again on the same port, and the load balancer in front
 * of them.
 */

/** One gateway process on a fixed loopback port; each `start` after a `kill` is a new incarnation. */
export class GatewayProcess {
  private child: Child | undefined;
  private readonly outputs: string[] = [];
  /** SIGKILLs so far. */
  kills = 0;
  /** Incarnations that exited without being killed. */
  readonly unexpectedExits: string[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The running incarnation's pid, undefined while down. */
  get pid(): number | undefined {
    return this.child?.proc.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts an incarnation and waits until `/readyz` answers 200. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = runCli(['start'], { ...this.env, PORT: String(this.port) });
    this.child = child;
    void child.exited.then((code) => {
      // Not killed by us: the process stopped by itself, which a test should hear about.
      if (this.child === child) this.unexpectedExits.push(`${this.name} exited (code ${code})`);
    });
    let ready = false;
    const died = child.exited.then((code) => {
      if (!ready) throw new Error(`${this.name} exited (code ${code}) while starting:\n${child.output()}`);
    });
    await Promise.race([waitHttpOk(`${this.url}/readyz`, timeoutMs), died]);
    ready = true;
  }

  /** SIGKILL, as a crash or an OOM kill would: no shutdown code runs. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.kills++;
    child.proc.kill('SIGKILL');
    await child.exited;
    this.outputs.push(child.output());
  }

  /** What every incarnation printed, for a failure message. */
  output(): string {
    return [...this.outputs, this.child?.output() ?? ''].filter((o) => o !== '').join('\n--- restart ---\n');
  }
}

/** What the balancer did, for the test to check that its paths were taken. */
export interface BalancerStats {
  /** Requests answered by each target, by index. */
  forwarded: number[];
  /** Requests that another target answered after the first one failed (down, reset, 5xx). */
  failedOver: number;
  /** Requests that no target answered: the sender got a 502 and retries, as Meta does. */
  unavailable: number;
  /** Extra copies sent to the other target at the same time. */
  mirrored: number;
  /** Extra copies sent again to the same target after its answer. */
  repeated: number;
}

export interface Balancer {
  url: string;
  stats: BalancerStats;
  /** Resolves once no request or extra copy is in flight. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface BalancerOptions {
  /** Share of requests also sent, concurrently, to the next target (a duplicate on another process). */
  mirrorRate?: number;
  /** Share of requests sent once more to the same target after it answered (a plain duplicate). */
  repeatRate?: number;
  /** Random numbers in [0, 1), seeded by the test to replay a run. */
  random?: () => number;
  /** A target that has not answered by then counts as failed (ms). */
  timeoutMs?: number;
}

const FORWARDED_HEADERS = ['content-type', 'x-hub-signature-256', 'x-hub-signature', 'user-agent'];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A round-robin load balancer on loopback in front of gateway processes, as a deployment would have.
 * Each request (body and signature untouched) goes to the next target; if that target is down, resets
 * the connection or answers 5xx, the request goes to the next one. When none answers, the sender gets
 * a 502 and, being Meta (or the sandbox), delivers again later. It also makes duplicates on purpose:
 * some requests are sent to two targets at once (`mirrorRate`), some twice to the same one
 * (`repeatRate`).
 */
export async function startBalancer(targets: string[], opts: BalancerOptions = {}): Promise<Balancer> {
  const random = opts.random ?? Math.random;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const stats: BalancerStats = {
    forwarded: targets.map(() => 0),
    failedOver: 0,
    unavailable: 0,
    mirrored: 0,
    repeated: 0,
  };
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };
  let next = 0;

  /** One POST to one target: its status and body, or undefined when it could not answer. */
  const forward = async (
    i: number,
    path: string,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ status: number; body: Buffer } | undefined> => {
    try {
      const r = await fetch(targets[i] + path, {
        method: 'POST',
        headers,
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
    } catch {
      return undefined;
    }
  };

  const handle = async (req: IncomingMessage): Promise<{ status: number; body: Buffer }> => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    const headers: Record<string, string> = {};
    for (const h of FORWARDED_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const first = next++ % targets.length;
    if (targets.length > 1 && random() < (opts.mirrorRate ?? 0)) {
      stats.mirrored++;
      void track(forward((first + 1) % targets.length, path, headers, body));
    }
    let last: { status: number; body: Buffer } | undefined;
    for (let k = 0; k < targets.length; k++) {
      const i = (first + k) % targets.length;
      last = await forward(i, path, headers, body);
      if (last && last.status < 500) {
        stats.forwarded[i]!++;
        if (k > 0) stats.failedOver++;
        if (last.status === 200 && random() < (opts.repeatRate ?? 0)) {
          stats.repeated++;
          void track(forward(i, path, headers, body));
        }
        return last;
      }
    }
    stats.unavailable++;
    return last ?? { status: 502, body: Buffer.from('no gateway answered') };
  };

  const server: Server = createServer((req, res) => {
    void track(
      handle(req).then(
        (r) => res.writeHead(r.status).end(r.body),
        () => res.writeHead(502).end(),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async settled() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
