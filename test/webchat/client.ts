import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../../src/channels/webchat/protocol.ts';
import { waitFor } from '../helpers/stack.ts';

/** A scripted web chat page: a real WebSocket, every frame it received, and waits on them. */
export class ChatClient {
  readonly frames: ServerFrame[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(String(d)) as ServerFrame));
  }

  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<ChatClient> {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/webchat/ws', { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return new ChatClient(ws);
  }

  send(f: ClientFrame): void {
    this.ws.send(JSON.stringify(f));
  }

  /** Says hello and resolves with the token and the replayed history. */
  async hello(token?: string, since?: string) {
    const from = this.frames.length;
    this.send({ type: 'hello', ...(token ? { token } : {}), ...(since ? { since } : {}) });
    const welcome = await this.next('welcome', from);
    const history = await this.next('history', from);
    return { token: welcome.token, visitor: welcome.visitor, history: history.messages };
  }

  async next<T extends ServerFrame['type']>(
    type: T,
    from = 0,
    match: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    return waitFor(
      () =>
        this.frames
          .slice(from)
          .find((f): f is Extract<ServerFrame, { type: T }> => f.type === type && match(f as never)),
      timeoutMs,
      `a ${type} frame`,
    );
  }

  botMessages() {
    return this.frames.filter((f) => f.type === 'message' && f.from === 'bot') as Extract<
      ServerFrame,
      { type: 'message' }
    >[];
  }

  close(): Promise<void> {
    return new Promise((r) => {
      if (this.ws.readyState === WebSocket.CLOSED) return r();
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}
