import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { ChatClient } from './client.ts';

// The web chat profile's per-visitor rate (policy `webchat.rateLimits.perSender`): a visitor over it
// is recorded but not answered automatically, and the decision is on record.

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('web chat: rate limit per visitor', () => {
  it('answers up to the limit, then records without answering, with the reason audited', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'passerelle-policy-')), 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({ webchat: { rateLimits: { perSender: { messages: 2, perSeconds: 60 } } } }),
    );
    stack = await startStack({ config: { PASSERELLE_POLICY: file } });
    const c = await ChatClient.open(stack.url);
    await c.hello();
    for (const [i, text] of ['When are you open?', 'Do you deliver?', 'Is there a warranty?'].entries()) {
      const id = `rate-q-${i}`;
      c.send({ type: 'message', id, content: { type: 'text', text } });
      await c.next('ack', 0, (f) => f.id === id);
      if (i < 2) await waitFor(() => c.botMessages().length === i + 1, 5000, `answer ${i + 1}`);
    }
    const db = stack.gateway.store.db;
    const third = await waitFor(() =>
      db
        .selectFrom('messages')
        .select('id')
        .where('channel', '=', 'webchat')
        .where('direction', '=', 'in')
        .where('content', 'like', '%warranty%')
        .executeTakeFirst(),
    );
    const held = await waitFor(() =>
      db
        .selectFrom('audit_log')
        .select(['action', 'reason_code'])
        .where('message_id', '=', third.id)
        .executeTakeFirst(),
    );
    expect(held).toEqual({ action: 'policy.hold', reason_code: 'rate_limited' });
    await new Promise((r) => setTimeout(r, 300));
    expect(c.botMessages()).toHaveLength(2);
    await c.close();
  });
});
