import type { WebSocket } from 'ws';
import type { ServerFrame, WireMessage } from './protocol.ts';

/** How long, and how many, recent messages per visitor are kept in memory for replay. */
const RECENT_MS = 10 * 60_000;
const RECENT_MAX = 50;

/**
 * The open sockets of each visitor (one per tab), and the messages pushed to them recently. The store
 * is the record; the recent list only covers the moment between a push and the commit that records its
 * provider id, so a page reconnecting in between still gets it. One process: with several gateway
 * processes, a visitor's socket and the dispatcher sending to it must meet (docs/webchat.md).
 */
export class WebchatHub {
  private readonly sockets = new Map<string, Set<WebSocket>>();
  private readonly recentByVisitor = new Map<string, WireMessage[]>();

  add(visitor: string, ws: WebSocket): void {
    let set = this.sockets.get(visitor);
    if (!set) this.sockets.set(visitor, (set = new Set()));
    set.add(ws);
  }

  remove(visitor: string, ws: WebSocket): void {
    const set = this.sockets.get(visitor);
    if (!set) return;
    set.delete(ws);
    if (set.size === 0) this.sockets.delete(visitor);
  }

  /** Sockets open for this visitor. */
  count(visitor: string): number {
    return this.sockets.get(visitor)?.size ?? 0;
  }

  /** Sends a frame to every open socket of the visitor (except `skip`); returns how many got it. */
  send(visitor: string, frame: ServerFrame, skip?: WebSocket): number {
    const set = this.sockets.get(visitor);
    if (!set) return 0;
    const data = JSON.stringify(frame);
    let n = 0;
    for (const ws of set) {
      if (ws === skip || ws.readyState !== ws.OPEN) continue;
      ws.send(data);
      n++;
    }
    return n;
  }

  /** Pushes a message and remembers it for replay. */
  push(visitor: string, m: WireMessage, skip?: WebSocket): number {
    this.remember(visitor, m);
    return this.send(visitor, { type: 'message', ...m }, skip);
  }

  remember(visitor: string, m: WireMessage): void {
    const now = Date.now();
    const list = (this.recentByVisitor.get(visitor) ?? []).filter((x) => now - x.at < RECENT_MS);
    list.push(m);
    if (list.length > RECENT_MAX) list.splice(0, list.length - RECENT_MAX);
    this.recentByVisitor.set(visitor, list);
    if (this.recentByVisitor.size > 10_000) this.sweep(now);
  }

  recent(visitor: string): WireMessage[] {
    const now = Date.now();
    return (this.recentByVisitor.get(visitor) ?? []).filter((x) => now - x.at < RECENT_MS);
  }

  private sweep(now: number): void {
    for (const [v, list] of this.recentByVisitor) {
      if (list.every((x) => now - x.at >= RECENT_MS)) this.recentByVisitor.delete(v);
    }
  }

  /** Closes every socket (shutdown, tests simulating a dropped network). */
  dropAll(code = 1012, reason = 'restarting'): void {
    for (const set of this.sockets.values()) for (const ws of set) ws.close(code, reason);
  }

  /** Terminates every socket without a closing handshake (a connection lost mid-flight). */
  terminateAll(): void {
    for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
  }
}
