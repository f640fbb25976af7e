import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assistant } from '../../src/assistant/port.ts';
import { escapeNonAscii, signBody } from '../../src/channels/whatsapp/signature.ts';
import { CREDS, postWebhook, startStack, type Stack } from '../helpers/stack.ts';

const FIXTURES = resolve('../shared/data/whatsapp-webhooks');
interface ManifestEntry {
  file: string;
  kind: 'message' | 'status' | 'error' | 'other';
  message_ids: string[];
  statuses: { id: string; status: string; recipient_participant_id?: string }[];
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];
const fixture = (f: string) => readFileSync(join(FIXTURES, f));

/** Records without answering: this suite is about what is stored. */
const silent: Assistant = { reply: async () => [] };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ assistant: silent });
});
afterAll(() => stack.close());

const db = () => stack.gateway.store.db;
const count = async (table: 'inbox' | 'messages' | 'message_statuses') =>
  Number(
    (
      await db()
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function drained(): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const busy = await db()
      .selectFrom('inbox')
      .select('id')
      .where('state', 'in', ['pending', 'processing'])
      .execute();
    if (busy.length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('inbox did not drain');
}

describe('webhook ingest over HTTP', () => {
  it('accepts every fixture body from Meta’s documentation and stores each inbound message once', async () => {
    for (const m of manifest) {
      const res = await postWebhook(stack.url, fixture(m.file));
      expect(res.status, m.file).toBe(200);
    }
    await drained();
    const inboundIds = new Set(manifest.filter((m) => m.kind === 'message').flatMap((m) => m.message_ids));
    const rows = await db()
      .selectFrom('messages')
      .select(['provider_message_id', 'content_type'])
      .where('direction', '=', 'in')
      .execute();
    expect(new Set(rows.map((r) => r.provider_message_id))).toEqual(inboundIds);
    expect(rows).toHaveLength(inboundIds.size);
    const nonInbound = manifest.filter((m) => m.kind === 'other').flatMap((m) => m.message_ids);
    for (const id of nonInbound) expect(rows.find((r) => r.provider_message_id === id)).toBeUndefined();

    const statusKeys = new Set(
      manifest.flatMap((m) =>
        m.statuses.map((s) => `${s.id}|${s.status}|${s.recipient_participant_id ?? ''}`),
      ),
    );
    const st = await db()
      .selectFrom('message_statuses')
      .select(['provider_message_id', 'status', 'participant'])
      .execute();
    expect(new Set(st.map((s) => `${s.provider_message_id}|${s.status}|${s.participant}`))).toEqual(
      statusKeys,
    );
  });

  it('acknowledges a replay of every body and changes nothing', async () => {
    const before = [await count('inbox'), await count('messages'), await count('message_statuses')];
    for (const m of manifest) expect((await postWebhook(stack.url, fixture(m.file))).status).toBe(200);
    await drained();
    expect([await count('inbox'), await count('messages'), await count('message_statuses')]).toEqual(before);
  });

  it('stores every inbound kind once, with its typed content', async () => {
    // The docs reuse sample ids across kinds (see the fixtures' README): give each file's messages ids of
    // their own so every kind is a new message, then check each is stored once with the right type.
    const expected = new Map<string, string>();
    for (const m of manifest.filter((x) => x.kind === 'message')) {
      let text = fixture(m.file).toString('utf8');
      for (const id of m.message_ids) {
        const unique = `${id}.${m.file}`;
        text = text.split(JSON.stringify(id)).join(JSON.stringify(unique));
        expected.set(unique, m.file);
      }
      expect((await postWebhook(stack.url, text)).status).toBe(200);
    }
    await drained();
    const rows = await db()
      .selectFrom('messages')
      .select(['provider_message_id', 'content_type'])
      .where('provider_message_id', 'in', [...expected.keys()])
      .execute();
    expect(rows).toHaveLength(expected.size);
    const kinds = new Set(rows.map((r) => r.content_type));
    expect(kinds).toEqual(
      new Set([
        'text',
        'media',
        'location',
        'contacts',
        'reaction',
        'choice',
        'order',
        'system',
        'unsupported',
        'request_welcome',
        'structured_reply',
      ]),
    );
  });
});

describe('webhook authenticity', () => {
  const body = JSON.stringify({
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
              contacts: [{ profile: { name: 'Zoë' }, wa_id: '33600000001' }],
              messages: [
                {
                  from: '33600000001',
                  id: 'wamid.AUTH-TEST-1',
                  timestamp: '1750000000',
                  type: 'text',
                  text: { body: 'Ça coûte combien ? 👍' },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const stored = async (id: string) =>
    (await db().selectFrom('inbox').select('id').where('dedupe_key', '=', `msg:${id}`).execute()).length;

  it.each([
    ['missing', null, 401],
    ['malformed (sha1)', 'sha1=abcdef', 401],
    ['malformed (not hex)', 'sha256=' + 'z'.repeat(64), 401],
    ['wrong secret', { secret: 'not-the-secret' }, 403],
  ] as const)('refuses a %s signature and stores nothing', async (_name, sig, code) => {
    const res = await postWebhook(stack.url, body, sig);
    expect(res.status).toBe(code);
    expect(await stored('wamid.AUTH-TEST-1')).toBe(0);
  });

  it('refuses a body altered after signing', async () => {
    const sig = signBody(body, CREDS.appSecret);
    const res = await postWebhook(stack.url, body.replace('combien', 'combiem'), sig);
    expect(res.status).toBe(403);
    expect(await stored('wamid.AUTH-TEST-1')).toBe(0);
  });

  it('verifies a non-ASCII body signed over raw UTF-8 bytes', async () => {
    const b = body.replace('AUTH-TEST-1', 'AUTH-TEST-RAW');
    expect((await postWebhook(stack.url, b)).status).toBe(200);
    expect(await stored('wamid.AUTH-TEST-RAW')).toBe(1);
  });

  it('verifies a body signed in Meta’s escaped-unicode form, sent raw', async () => {
    const b = body.replace('AUTH-TEST-1', 'AUTH-TEST-ESC');
    const sig = signBody(escapeNonAscii(b), CREDS.appSecret);
    expect((await postWebhook(stack.url, b, sig)).status).toBe(200);
    expect(await stored('wamid.AUTH-TEST-ESC')).toBe(1);
    await drained();
    const msg = await db()
      .selectFrom('messages')
      .select('content')
      .where('provider_message_id', '=', 'wamid.AUTH-TEST-ESC')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(msg.content)).toEqual({ type: 'text', text: 'Ça coûte combien ? 👍' });
  });
});

describe('bad bodies', () => {
  it.each([
    ['malformed JSON', '{"object": "whatsapp_business_account", "entry": [', 400],
    ['a wrong object', JSON.stringify({ object: 'page', entry: [] }), 400],
    ['no entry', JSON.stringify({ object: 'whatsapp_business_account' }), 400],
    ['an empty body', '', 400],
  ])('answers %s with a 4xx and changes nothing', async (_n, b, code) => {
    const before = await count('inbox');
    const res = await postWebhook(stack.url, b);
    expect(res.status).toBe(code);
    expect(await count('inbox')).toBe(before);
  });

  it('answers a body over 3 MB with 413 and changes nothing', async () => {
    const before = await count('inbox');
    const big = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [],
      pad: 'x'.repeat(3 * 1024 * 1024),
    });
    const res = await postWebhook(stack.url, big);
    expect(res.status).toBe(413);
    expect(await count('inbox')).toBe(before);
  });
});

describe('verification handshake (spec §1.1)', () => {
  const get = (q: string) => fetch(`${stack.url}/webhooks/whatsapp?${q}`);

  it('echoes the challenge for the right token', async () => {
    const res = await get(
      `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${CREDS.verifyToken}`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1158201444');
  });

  it('refuses a wrong token or mode', async () => {
    expect((await get('hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope')).status).toBe(403);
    expect(
      (await get(`hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${CREDS.verifyToken}`)).status,
    ).toBe(403);
    expect((await get(`hub.mode=subscribe&hub.verify_token=${CREDS.verifyToken}`)).status).toBe(403);
  });

  it('passes the sandbox’s own handshake, as Meta would perform it', async () => {
    const r = await stack.sandbox.verifyWebhook({ verifyToken: CREDS.verifyToken });
    expect(r).toMatchObject({ verified: true });
  });
});
