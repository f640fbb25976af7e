import Database from 'better-sqlite3';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assistant } from '../../src/assistant/port.ts';
import { signBody } from '../../src/channels/whatsapp/signature.ts';
import { CREDS, startStack, waitFor, type Stack } from '../helpers/stack.ts';

/**
 * Webhooks that arrive together are committed to the inbox together (group commit). The contract
 * must hold for each of them: a 200 only once its events are committed, one inbox row per message
 * however many times and however concurrently it is delivered, and every message processed once.
 */
const replied: string[] = [];
/** Answers every message with its own text, so each reply can be told apart. */
const echo: Assistant = {
  reply: async (req) => {
    const text = req.content.type === 'text' ? req.content.text : '?';
    replied.push(text);
    return [
      { content: { type: 'text', text: `echo ${text}` }, sources: [], intent: 'answer', confidence: 1 },
    ];
  },
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ assistant: echo });
});
afterAll(() => stack.close());

function textWebhook(from: string, wamid: string, text: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: CREDS.phoneNumberId },
                contacts: [{ profile: { name: `User ${from}` }, wa_id: from }],
                messages: [{ from, id: wamid, timestamp: '1750000000', type: 'text', text: { body: text } }],
              },
            },
          ],
        },
      ],
    }),
  );
}

/** POSTs on a keep-alive agent; resolves with the status the moment the answer ends. */
function post(agent: Agent, body: Buffer): Promise<number> {
  const url = new URL(`${stack.url}/webhooks/whatsapp`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(body, CREDS.appSecret),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('concurrent webhooks', () => {
  it('stores each message once however concurrently it is delivered, and answers each once', async () => {
    // Another connection to the same file: it sees committed rows only.
    const reader = new Database(stack.dbFile, { readonly: true });
    const stored = reader.prepare('select count(*) as n from inbox where dedupe_key = ?');
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const n = 120;
    const bodies = Array.from({ length: n }, (_, i) =>
      textWebhook(String(33_600_000_000 + i), `wamid.GROUP.${i}`, `question ${i}`),
    );
    const notCommittedAtAck: number[] = [];
    try {
      // Every body twice, all at once: duplicates race each other inside the same groups.
      const sends = [...bodies.keys(), ...bodies.keys()].map(async (i) => {
        const status = await post(agent, bodies[i]!);
        expect(status).toBe(200);
        const row = stored.get(`msg:wamid.GROUP.${i}`) as { n: number };
        if (row.n !== 1) notCommittedAtAck.push(i);
      });
      await Promise.all(sends);
      expect(notCommittedAtAck).toEqual([]);
      const inbox = reader.prepare(
        `select count(*) as n from inbox where dedupe_key like 'msg:wamid.GROUP.%'`,
      );
      expect((inbox.get() as { n: number }).n).toBe(n);

      await waitFor(() => replied.length >= n, 10_000, 'every message answered');
      const outbox = reader.prepare(
        `select count(*) as n from outbox where kind = 'message' and idempotency_key like 'reply:%'`,
      );
      await waitFor(() => (outbox.get() as { n: number }).n === n, 10_000, 'replies queued');
      await new Promise((r) => setTimeout(r, 200));
      expect(replied.length).toBe(n);
      expect(new Set(replied).size).toBe(n);
      expect((outbox.get() as { n: number }).n).toBe(n);
    } finally {
      agent.destroy();
      reader.close();
    }
  });

  it('never acknowledges a request whose events could not be committed, and commits its neighbours', async () => {
    // Refuse one message at the database, as a full disk or a constraint would.
    const admin = new Database(stack.dbFile);
    admin.exec(`create trigger refuse_one before insert on inbox
      when new.dedupe_key = 'msg:wamid.REFUSED' begin select raise(abort, 'refused'); end`);
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    try {
      const others = Array.from({ length: 40 }, (_, i) =>
        textWebhook(String(33_700_000_000 + i), `wamid.NEIGHBOUR.${i}`, `neighbour ${i}`),
      );
      const refused = textWebhook('33799999999', 'wamid.REFUSED', 'refused');
      // All at once: the refused request shares its group with its neighbours.
      const statuses = await Promise.all([
        ...others.slice(0, 20).map((b) => post(agent, b)),
        post(agent, refused),
        ...others.slice(20).map((b) => post(agent, b)),
      ]);
      expect(statuses[20]).toBe(503);
      expect(statuses.filter((s) => s === 200)).toHaveLength(40);
      const rows = admin
        .prepare(
          `select dedupe_key from inbox where dedupe_key like 'msg:wamid.NEIGHBOUR.%' or dedupe_key = ?`,
        )
        .all('msg:wamid.REFUSED');
      expect(rows).toHaveLength(40);
    } finally {
      admin.exec('drop trigger refuse_one');
      admin.close();
      agent.destroy();
    }
  });
});
