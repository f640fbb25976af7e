import { fileURLToPath } from 'node:url';
import type { TrafficSpec } from './bodies.ts';
import type { Child } from './children.ts';
import { startChild } from './children.ts';
import type { SandboxAnswer, SandboxRequest } from './sandbox-child.ts';

type Ready = { type: 'ready'; url: string; graphUrl: string };
type Payload<T extends SandboxRequest['type']> = Omit<Extract<SandboxRequest, { type: T }>, 'id'>;

/** The bench's handle on a sandbox child process (`sandbox-child.ts`). */
export class SandboxProcess {
  private seq = 0;
  private readonly waiting = new Map<number, (a: SandboxAnswer) => void>();

  private constructor(
    readonly child: Child,
    /** Graph API base URL, for `WHATSAPP_GRAPH_URL`. */
    readonly graphUrl: string,
  ) {
    child.proc.on('message', (m: SandboxAnswer) => {
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m);
    });
  }

  /** Forks the sandbox child and waits until it listens. */
  static async start(): Promise<SandboxProcess> {
    const file = fileURLToPath(new URL('./sandbox-child.ts', import.meta.url));
    const child = startChild('sandbox', [file], { ipc: true, execArgv: ['--import', 'tsx'] });
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox did not start:\n${child.tail()}`)), 30_000);
      child.proc.once('exit', (code) => reject(new Error(`sandbox exited (${code}):\n${child.tail()}`)));
      child.proc.once('message', (m: Ready) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    return new SandboxProcess(child, ready.graphUrl);
  }

  private ask<T extends SandboxRequest['type']>(
    payload: Payload<T>,
  ): Promise<Extract<SandboxAnswer, { type: T extends 'prepare' ? 'prepared' : T }>> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox: no answer to ${payload.type}`)), 30_000);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a as Extract<SandboxAnswer, { type: T extends 'prepare' ? 'prepared' : T }>);
      });
      this.child.proc.send({ ...payload, id } as SandboxRequest);
    });
  }

  /** Tells the sandbox about the phase's users and their messages (open window, mark-as-read works). */
  async prepare(spec: TrafficSpec): Promise<void> {
    await this.ask<'prepare'>({ type: 'prepare', spec });
  }

  /** Business messages received so far, and Graph `/messages` answers by HTTP status. */
  async stats(): Promise<{ replies: number; graph: Record<string, number> }> {
    const a = await this.ask<'stats'>({ type: 'stats' });
    return { replies: a.replies, graph: a.graph };
  }

  /** For each sender of the spec, when its first reply reached the sandbox (monotonic ms), or null. */
  async replyTimes(spec: TrafficSpec): Promise<(number | null)[]> {
    return (await this.ask<'replies'>({ type: 'replies', spec })).times;
  }

  async stop(): Promise<void> {
    await this.child.stop();
  }
}
