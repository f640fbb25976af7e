import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import type { WebchatChannel } from '../channels/webchat/channel.ts';
import { mergeHistory, storedHistory } from '../channels/webchat/history.ts';
import { originAllowed } from '../channels/webchat/origin.ts';
import { ClientFrameSchema, MAX_FRAME_BYTES, type ServerFrame } from '../channels/webchat/protocol.ts';
import { newVisitorId, signVisitor, verifyVisitor } from '../channels/webchat/token.ts';
import { contentSummary } from '../core/content.ts';
import type { Db } from '../store/db.ts';

export interface WebchatRoutesOptions {
  channel: WebchatChannel;
  db: Db;
  /** The widget bundle (built at start: `buildWidget`). */
  widget: string;
}

/** Frames a page may send in a burst, and per second after it. */
const FRAME_BURST = 30;
const FRAMES_PER_SECOND = 3;

/**
 * `GET /webchat/ws`: the web chat socket (Origin checked before the upgrade: 403 otherwise).
 * `GET /widget.js`: the widget bundle. `GET /chat`: a demo page embedding it.
 */
export async function webchatRoutes(app: FastifyInstance, opts: WebchatRoutesOptions): Promise<void> {
  const { channel, db } = opts;
  const { hub } = channel;
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });

  const etag = `"${createHash('sha256').update(opts.widget).digest('base64url').slice(0, 16)}"`;
  app.get('/widget.js', async (req, reply) => {
    reply
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      // The script is public code: any page may load it. The socket is what checks the embedding origin.
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(opts.widget);
  });

  app.get('/chat', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DEMO_PAGE));

  app.get(
    '/webchat/ws',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        if (!originAllowed(channel.origins, req.headers.origin, req.headers.host)) {
          req.log.warn({ origin: req.headers.origin }, 'web chat socket refused: origin not allowed');
          return reply.code(403).send({ error: 'origin not allowed' });
        }
      },
    },
    (socket, req) => {
      let visitor: string | undefined;
      let tokens = FRAME_BURST;
      let refilled = Date.now();
      let chain: Promise<void> = Promise.resolve();
      const send = (f: ServerFrame) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(f));
      };

      const handle = async (raw: string): Promise<void> => {
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          return send({ type: 'error', code: 'bad_frame', message: 'expected a JSON frame' });
        }
        const parsed = ClientFrameSchema.safeParse(json);
        if (!parsed.success)
          return send({
            type: 'error',
            code: 'bad_frame',
            message: parsed.error.issues[0]?.message ?? 'invalid',
          });
        const f = parsed.data;
        if (f.type === 'ping') return send({ type: 'pong' });
        if (f.type === 'hello') {
          if (visitor) return send({ type: 'error', code: 'bad_frame', message: 'hello was already sent' });
          const known = verifyVisitor(channel.secret.secret, f.token);
          visitor = known ?? newVisitorId();
          hub.add(visitor, socket);
          send({ type: 'welcome', token: signVisitor(channel.secret.secret, visitor), visitor });
          const stored = known ? await storedHistory(db, visitor, f.since) : [];
          send({ type: 'history', messages: mergeHistory(stored, hub.recent(visitor), f.since) });
          return;
        }
        if (!visitor) return send({ type: 'error', code: 'hello_first', message: 'send hello first' });
        const { duplicate } = await channel.ingest(visitor, f.id, f.content);
        send({ type: 'ack', id: f.id });
        if (!duplicate) {
          const m = {
            id: f.id,
            from: 'visitor' as const,
            at: Date.now(),
            content: f.content,
            text: contentSummary(f.content),
          };
          hub.push(visitor, m, socket); // the visitor's other tabs
        }
      };

      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const now = Date.now();
        tokens = Math.min(FRAME_BURST, tokens + ((now - refilled) / 1000) * FRAMES_PER_SECOND);
        refilled = now;
        if (tokens < 1) {
          socket.close(1008, 'too many frames');
          return;
        }
        tokens -= 1;
        if (isBinary) return send({ type: 'error', code: 'bad_frame', message: 'expected a text frame' });
        const text = data.toString('utf8');
        // One frame at a time, in order: a message is acknowledged only after the ones before it.
        chain = chain
          .then(() => handle(text))
          .catch((err: unknown) => {
            req.log.error({ err }, 'web chat frame failed');
            // Not acknowledged: the page sends it again after reconnecting.
            socket.close(1011, 'temporarily unavailable');
          });
      });
      socket.on('close', () => {
        if (visitor) hub.remove(visitor, socket);
      });
      socket.on('error', (err: Error) => req.log.debug({ err }, 'web chat socket error'));
    },
  );
}

const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passerelle web chat demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
  main { max-width: 40rem; margin: 0 auto; padding: 2rem 1rem 8rem; }
  code { background: #e8ebf0; padding: .1em .3em; border-radius: 4px; }
</style>
</head>
<body>
<main>
  <h1>Web chat demo</h1>
  <p>This page embeds the Passerelle web chat with one tag:</p>
  <p><code>&lt;script src="/widget.js" async&gt;&lt;/script&gt;</code></p>
  <p>Open the chat with the button at the bottom right and ask, for example, “When are you open?”.
  Your conversation is kept in this browser: reload the page and it is still there.</p>
</main>
<script src="/widget.js" async></script>
</body>
</html>
`;
