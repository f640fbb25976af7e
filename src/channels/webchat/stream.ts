import type { InboundMessageEvent } from '../../core/events.ts';
import type { WebchatHub } from './hub.ts';

/** Shortest time between two `delta` frames to one visitor: a fast model's tokens are batched. */
const FRAME_INTERVAL_MS = 50;

/**
 * A sink for the assistant's answer to one visitor message as it is written: accumulates the text and
 * sends the visitor's open pages a `delta` frame with all of it so far, at most every
 * `FRAME_INTERVAL_MS` (the last piece always goes). Nothing is stored: a page that reconnects mid-answer
 * gets the final message from the outbox like any other.
 */
export function deltaSink(hub: WebchatHub, event: InboundMessageEvent): (text: string) => void {
  const visitor = event.from.address;
  const pid = event.providerMessageId;
  const replyTo = pid.slice(pid.indexOf('.') + 1);
  let text = '';
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    last = Date.now();
    hub.send(visitor, { type: 'delta', replyTo, text });
  };
  return (piece: string) => {
    text += piece;
    if (timer) return;
    const wait = last + FRAME_INTERVAL_MS - Date.now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  };
}
