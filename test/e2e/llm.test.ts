import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../llm/fake-openai.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

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
});
