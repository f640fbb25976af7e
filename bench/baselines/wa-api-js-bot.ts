/**
 * Baseline (b): the reply bot a developer would write with `whatsapp-api-js` instead of Passerelle.
 * Its node:http middleware verifies the signature (the library re-escapes the body and checks the
 * HMAC with WebCrypto), parses the notification and calls `on.message`; the bot answers every text
 * with a text through the Graph API. Nothing is stored: a crash after the 200 loses the message.
 *
 * The library hard-codes `https://graph.facebook.com`; its supported hook is `ponyfill.fetch`, so the
 * bot passes a fetch that rewrites that origin to `WHATSAPP_GRAPH_URL` (the bench's sandbox).
 *
 * `WA_BOT_REPLY=offload` (default): acknowledge at once and reply right after, with the library's
 * `offload` helper (what its docs advise for slow work such as AI). `WA_BOT_REPLY=await`: reply inside
 * the handler as the README's example does, so the 200 waits for the Graph call.
 *
 * Usage: `node --import tsx bench/baselines/wa-api-js-bot.ts [port]`; prints `READY <port>`.
 */
import { createServer } from 'node:http';
import { Text } from 'whatsapp-api-js/messages';
import { WhatsAppAPI } from 'whatsapp-api-js/middleware/node-http';
import { BENCH_SECRETS, GRAPH_VERSION, WEBHOOK_PATH } from '../constants.ts';
import { listenAndAnnounce, portFromArgs } from './lifecycle.ts';

const META_GRAPH = 'https://graph.facebook.com';
const graphUrl = (process.env.WHATSAPP_GRAPH_URL ?? META_GRAPH).replace(/\/+$/, '');
const awaitReply = process.env.WA_BOT_REPLY === 'await';

/** `fetch` with Meta's Graph origin swapped for the configured one. */
const graphFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return fetch(url.startsWith(META_GRAPH) ? graphUrl + url.slice(META_GRAPH.length) : input, init);
};

const Whatsapp = new WhatsAppAPI({
  token: process.env.WHATSAPP_ACCESS_TOKEN ?? BENCH_SECRETS.accessToken,
  appSecret: process.env.WHATSAPP_APP_SECRET ?? BENCH_SECRETS.appSecret,
  webhookVerifyToken: process.env.WHATSAPP_VERIFY_TOKEN ?? BENCH_SECRETS.verifyToken,
  v: GRAPH_VERSION,
  ponyfill: { fetch: graphFetch },
});

let failures = 0;
function logFailure(detail: unknown): void {
  // pino-shaped, so the bench counts it like Passerelle's errors; only the first few are printed.
  if (++failures <= 5)
    console.error(JSON.stringify({ level: 50, msg: 'reply failed', detail: String(detail) }));
}

Whatsapp.on.message = async ({ message, name, reply, offload }) => {
  if (message.type !== 'text') return;
  const send = async () => {
    try {
      const res = await reply(new Text(`Hi ${name ?? 'there'}, thanks! You said: "${message.text.body}"`));
      if ('error' in res) logFailure(JSON.stringify(res.error));
    } catch (err) {
      logFailure(err);
    }
  };
  if (awaitReply) await send();
  else offload(send);
};

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WEBHOOK_PATH) {
    res.statusCode = 404;
    res.end();
  } else if (req.method === 'POST') {
    Whatsapp.handle_post(req).then((status) => {
      res.statusCode = status;
      res.end();
    });
  } else {
    try {
      res.end(Whatsapp.handle_get(req));
    } catch (code) {
      res.statusCode = typeof code === 'number' ? code : 500;
      res.end();
    }
  }
});

listenAndAnnounce(server, portFromArgs());
