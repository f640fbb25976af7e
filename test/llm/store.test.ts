import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConversationMemory } from '../../src/assistant/llm/memory.ts';
import { StoreUsageRecorder } from '../../src/assistant/llm/usage.ts';
import type { MessageContent } from '../../src/core/content.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { insertMessage, setMessageState } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { ask, makeAssistant } from './fixtures.ts';
import { startFakeOpenAI } from './fake-openai.ts';

let store: Store;
beforeEach(async () => {
  store = openStore({ url: 'sqlite::memory:' });
  await store.migrate();
});
afterEach(() => store.close());

let clock = 1_750_000_000_000;

/** A person with a WhatsApp conversation, and a way to log messages in it. */
async function person(address = '33612345678') {
  const db = store.db;
  const { personId, contactId } = await resolveContact(db, { channel: 'whatsapp', address, waId: address });
  const conv = await conversationFor(db, { personId, contactId, channel: 'whatsapp', account: '1065' });
  const log = async (
    direction: 'in' | 'out',
    content: MessageContent,
    status = direction === 'in' ? 'received' : 'queued',
  ) => {
    const now = ++clock;
    const { id } = await insertMessage(
      db,
      {
        conversationId: conv.id,
        personId,
        contactId,
        channel: 'whatsapp',
        direction,
        ...(direction === 'in' ? { providerMessageId: `wamid.${now}` } : {}),
        content,
        status,
        sentAt: now,
      },
      now,
    );
    return id;
  };
  const text = (t: string): MessageContent => ({ type: 'text', text: t });
  return { personId, conversationId: conv.id, log, text };
}

describe('StoreConversationMemory', () => {
  it("reads the person's completed exchanges, oldest first, without the unanswered question", async () => {
    const p = await person();
    await p.log('in', p.text('When are you open?'));
    await p.log('out', p.text('Monday to Saturday, 9–18.'));
    await p.log('in', { type: 'reaction', messageId: 'wamid.x', emoji: '👍' });
    await p.log('in', p.text('And on Sunday?'));
    const memory = new StoreConversationMemory(store.db);
    expect(await memory.recent(p.personId, 6)).toEqual([
      { role: 'user', text: 'When are you open?' },
      { role: 'assistant', text: 'Monday to Saturday, 9–18.' },
    ]);
    expect(await memory.recent(p.personId, 1)).toEqual([
      { role: 'assistant', text: 'Monday to Saturday, 9–18.' },
    ]);
  });

  it('leaves out replies the person never received, and other people', async () => {
    const p = await person();
    const other = await person('447700900123');
    await p.log('in', p.text('Hello'));
    const dead = await p.log('out', p.text('lost reply'));
    await setMessageState(store.db, dead, 'dead');
    await p.log('out', { type: 'buttons', body: 'Did you mean:', buttons: [{ id: 'a', title: 'Delivery' }] });
    await other.log('in', other.text('someone else'));
    await other.log('out', other.text('their answer'));
    expect(await new StoreConversationMemory(store.db).recent(p.personId, 6)).toEqual([
      { role: 'user', text: 'Hello' },
      { role: 'assistant', text: 'Did you mean:\n- Delivery' },
    ]);
  });

  it('feeds the prompt of the LLM assistant', async () => {
    const server = await startFakeOpenAI();
    try {
      const p = await person();
      const memory = new StoreConversationMemory(store.db);
      const { assistant } = makeAssistant(server, { memory });
      await p.log('in', p.text('When are you open?'));
      await p.log('out', p.text('Monday to Saturday.'));
      await p.log('in', p.text('Do you deliver?')); // stored by the pipeline before the assistant runs
      server.enqueue({ kind: 'answer', text: 'Yes, in 2–4 days. [sources: delivery]' });
      await assistant.reply({ ...ask('Do you deliver?'), personId: p.personId });
      expect(server.requests[0]!.body.messages.slice(1)).toEqual([
        { role: 'user', content: 'When are you open?' },
        { role: 'assistant', content: 'Monday to Saturday.' },
        { role: 'user', content: 'Do you deliver?' },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('StoreUsageRecorder', () => {
  it('writes one row per model call into llm_usage (migration 0003_llm_usage)', async () => {
    const p = await person();
    await new StoreUsageRecorder(store.db).record({
      conversationId: p.conversationId,
      personId: p.personId,
      provider: 'openai-compatible.chat',
      model: 'llama3.2',
      inputTokens: 812,
      outputTokens: 64,
      latencyMs: 1234.6,
      outcome: 'answered',
      at: 1_750_000_000_000,
    });
    const rows = await store.db.selectFrom('llm_usage').selectAll().execute();
    expect(rows).toEqual([
      {
        id: expect.any(String),
        conversation_id: p.conversationId,
        person_id: p.personId,
        provider: 'openai-compatible.chat',
        model: 'llama3.2',
        input_tokens: 812,
        output_tokens: 64,
        latency_ms: 1235,
        outcome: 'answered',
        created_at: 1_750_000_000_000,
      },
    ]);
  });
});
