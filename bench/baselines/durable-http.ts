/**
 * Baseline (c): the least a **durable** webhook receiver can do. Baseline (a) plus what durability
 * costs at the minimum: parse the JSON, take each message's or status's id, and commit it with the
 * raw notification to SQLite (better-sqlite3, WAL, `synchronous=NORMAL`, a unique key so a retry is
 * not stored twice) before answering 200. Requests read in one turn of the event loop share one
 * commit (group commit), as in Passerelle. No validation beyond JSON, no schema, no queue, no
 * processing: the floor under any receiver that acknowledges only what is stored.
 *
 * Usage: `node --import tsx bench/baselines/durable-http.ts [port]`; prints `READY <port>`.
 */
import Database from 'better-sqlite3';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SECRETS } from '../constants.ts';
import { listenAndAnnounce, portFromArgs } from './lifecycle.ts';

const secret = process.env.WHATSAPP_APP_SECRET ?? BENCH_SECRETS.appSecret;
const PREFIX = 'sha256=';

const dir = mkdtempSync(join(tmpdir(), 'bench-durable-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const db = new Database(join(dir, 'inbox.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`create table inbox (id integer primary key, event_id text not null unique, body text not null)`);
const insert = db.prepare(
  'insert into inbox (event_id, body) values (?, ?) on conflict (event_id) do nothing',
);

function validSignature(body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  const actual = createHmac('sha256', secret).update(body).digest();
  return given.length === actual.length && timingSafeEqual(given, actual);
}

interface Notification {
  entry?: {
    changes?: { value?: { messages?: { id: string }[]; statuses?: { id: string; status: string }[] } }[];
  }[];
}

/** The ids of the events in a notification (messages and statuses). */
function eventIds(n: Notification): string[] {
  const ids: string[] = [];
  for (const e of n.entry ?? [])
    for (const c of e.changes ?? []) {
      for (const m of c.value?.messages ?? []) ids.push(m.id);
      for (const s of c.value?.statuses ?? []) ids.push(`${s.id}:${s.status}`);
    }
  return ids;
}

let group: { rows: [string, string][]; res: ServerResponse }[] = [];
const commitGroup = db.transaction((g: typeof group) => {
  for (const { rows } of g) for (const [id, body] of rows) insert.run(id, body);
});

function flush(): void {
  const g = group;
  group = [];
  try {
    commitGroup(g);
    for (const { res } of g) {
      res.statusCode = 200;
      res.end();
    }
  } catch {
    for (const { res } of g) {
      res.statusCode = 503;
      res.end();
    }
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    if (req.method !== 'POST' || !validSignature(raw, req.headers['x-hub-signature-256'])) {
      res.statusCode = 401;
      return res.end();
    }
    let ids: string[];
    const text = raw.toString('utf8');
    try {
      ids = eventIds(JSON.parse(text) as Notification);
    } catch {
      res.statusCode = 400;
      return res.end();
    }
    if (group.length === 0) setImmediate(flush);
    group.push({ rows: ids.map((id) => [id, text]), res });
  });
});

listenAndAnnounce(server, portFromArgs());
