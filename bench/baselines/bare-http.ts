/**
 * Baseline (a): the least a webhook receiver can do. A `node:http` server that reads the raw body,
 * checks `X-Hub-Signature-256` (HMAC-SHA256 with the app secret, constant-time comparison) and
 * answers 200. No parsing, no storage, no reply: the ceiling of this machine.
 *
 * Usage: `node --import tsx bench/baselines/bare-http.ts [port]`; prints `READY <port>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { BENCH_SECRETS } from '../constants.ts';
import { listenAndAnnounce, portFromArgs } from './lifecycle.ts';

const secret = process.env.WHATSAPP_APP_SECRET ?? BENCH_SECRETS.appSecret;
const PREFIX = 'sha256=';

function validSignature(body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  const actual = createHmac('sha256', secret).update(body).digest();
  return given.length === actual.length && timingSafeEqual(given, actual);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ok =
      req.method === 'POST' && validSignature(Buffer.concat(chunks), req.headers['x-hub-signature-256']);
    res.statusCode = ok ? 200 : 401;
    res.end();
  });
});

listenAndAnnounce(server, portFromArgs());
