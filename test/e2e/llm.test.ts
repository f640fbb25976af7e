import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../llm/fake-openai.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { ChatClient } from '../webchat/client.ts';

let stack: Stack | undefined;
let llm: FakeOpenAI | undefined;
afterEach(async () => {
  await stack?.close();
  await llm?.close();
  stack = llm = undefined;
});

const USER = '33644444444';

describe('LLM answers through the gateway (LLM_* configured)', () => {
  it('answers on WhatsApp from the model, grounded in the knowledge base, citing its sources', async () => {
    llm = await startFakeOpenAI();
    llm.enqueue({ kind: 'answer', text: 'We open at 9:00, Monday to Saturday. [sources: opening-hours]' });
    stack = await startStack({
      config: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'llama3.2' },
    });
    stack.sandbox.users.create({ waId: USER, name: 'Gil' });
    stack.sandbox.userSends(USER, 'When are you open?');
    const [reply] = await waitFor(
      () => stack!.sandbox.sentTo(USER).length === 1 && stack!.sandbox.sentTo(USER),
    );
    expect((reply!.payload as { body: string }).body).toBe('We open at 9:00, Monday to Saturday.');
    const msg = await stack.gateway.store.db
      .selectFrom('messages')
      .select('meta')
      .where('direction', '=', 'out')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(msg.meta ?? '{}').sources).toEqual(['opening-hours']);
    const usage = await stack.gateway.store.db.selectFrom('llm_usage').selectAll().execute();
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ outcome: 'answered', model: 'llama3.2' });
  });

  it('keeps an off-scope question on WhatsApp away from the model', async () => {
    llm = await startFakeOpenAI();
    stack = await startStack({
      config: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'llama3.2' },
    });
    stack.sandbox.users.create({ waId: USER, name: 'Gil' });
    stack.sandbox.userSends(USER, 'Write me a poem about the ocean and the meaning of life');
    await waitFor(() => stack!.sandbox.sentTo(USER).length === 1);
    expect(llm.requests).toHaveLength(0);
  });

  it('streams the answer to the web chat as it is written; the final message replaces it', async () => {
    llm = await startFakeOpenAI();
    const text = 'We open at 9:00, Monday to Saturday, and close at 18:00 sharp. [sources: opening-hours]';
    llm.enqueue({ kind: 'answer', text, chunkSize: 6, chunkDelayMs: 30 });
    stack = await startStack({
      config: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'llama3.2' },
    });
    const chat = await ChatClient.open(stack.url, { origin: stack.url });
    try {
      await chat.hello();
      const from = chat.frames.length;
      chat.send({
        type: 'message',
        id: 'client-msg-0001',
        content: { type: 'text', text: 'When are you open?' },
      });
      const final = await chat.next('message', from, (m) => m.from === 'bot');
      const deltas = chat.frames
        .slice(from)
        .filter((f): f is Extract<typeof f, { type: 'delta' }> => f.type === 'delta');
      // Several growing previews of the same answer, for the message sent, before the answer itself.
      expect(deltas.length).toBeGreaterThan(2);
      expect(new Set(deltas.map((d) => d.replyTo))).toEqual(new Set(['client-msg-0001']));
      for (let i = 1; i < deltas.length; i++)
        expect(deltas[i]!.text.startsWith(deltas[i - 1]!.text)).toBe(true);
      expect(chat.frames.indexOf(deltas[0]!)).toBeLessThan(chat.frames.indexOf(final));
      // Citations never show, in the previews or the answer.
      expect(deltas.some((d) => d.text.includes('sources'))).toBe(false);
      expect((final.content as { text: string }).text).toBe(
        'We open at 9:00, Monday to Saturday, and close at 18:00 sharp.',
      );
      expect(llm.requests[0]!.body.stream).toBe(true);
    } finally {
      chat.ws.close();
    }
  });

  it('asks the model for one whole message on WhatsApp', async () => {
    llm = await startFakeOpenAI();
    llm.enqueue({ kind: 'answer', text: 'We open at 9:00. [sources: opening-hours]' });
    stack = await startStack({
      config: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'llama3.2' },
    });
    stack.sandbox.users.create({ waId: USER, name: 'Gil' });
    stack.sandbox.userSends(USER, 'When are you open?');
    await waitFor(() => stack!.sandbox.sentTo(USER).length === 1);
    expect(llm.requests[0]!.body.stream).toBeFalsy();
  });
});
