import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, KB, makeAssistant } from './fixtures.ts';
import { promptText, startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';

let server: FakeOpenAI;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(() => server.close());

const HOURS = 'We are open Monday to Saturday, 9:00–18:00, and closed on Sundays.';

describe('grounded answers (openai-compatible)', () => {
  it('answers from the knowledge base, stores the cited ids as sources and strips the citation', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue({ kind: 'answer', text: `${HOURS}\n[sources: opening-hours]` });
    const replies = await assistant.reply(ask('When are you open?'));
    expect(replies).toEqual([
      { content: { type: 'text', text: HOURS }, sources: ['opening-hours'], intent: 'answer' },
    ]);
    const [req] = server.requests;
    expect(req!.body.stream).toBeFalsy();
    expect(req!.body.model).toBe('test-model');
    const system = req!.body.messages[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toContain('<entry id="opening-hours">');
    expect(system.content).toContain(KB.entries[0]!.answer);
    expect(system.content).toContain('Lumen Cycles');
    expect(req!.body.messages.at(-1)).toEqual({ role: 'user', content: 'When are you open?' });
  });

  it('streams the answer in deltas that add up to the final text, citation never shown', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue({ kind: 'answer', text: `${HOURS}\n\n[sources: opening-hours]`, chunkSize: 5 });
    const deltas: string[] = [];
    const replies = await assistant.reply({
      ...ask('When are you open?', 'webchat'),
      onDelta: (d) => deltas.push(d),
    });
    expect(server.requests[0]!.body.stream).toBe(true);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(HOURS);
    expect(deltas.join('')).not.toContain('[');
    expect(replies).toEqual([
      { content: { type: 'text', text: HOURS }, sources: ['opening-hours'], intent: 'answer' },
    ]);
  });

  it('drops a cited id that was not provided and keeps the real one', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue({ kind: 'answer', text: `${HOURS}\n[sources: opening-hours, free-coffee]` });
    const [reply] = await assistant.reply(ask('When are you open?'));
    expect(reply!.sources).toEqual(['opening-hours']);
    expect(reply!.content).toEqual({ type: 'text', text: HOURS });
  });

  it('falls back to the offline assistant when the answer cites no provided entry', async () => {
    const { assistant, fallback, usage } = makeAssistant(server);
    server.enqueue({ kind: 'answer', text: 'We are open every day from 6 to 23.' });
    const replies = await assistant.reply(ask('When are you open?'));
    expect(replies).toEqual(await fallback.reply(ask('When are you open?')));
    expect(replies[0]!.sources).toEqual(['opening-hours']);
    expect(usage.records.map((r) => r.outcome)).toEqual(['rejected:no_source']);
  });

  it('falls back when the answer leaks the instructions or carries a placeholder', async () => {
    const { assistant, fallback, usage } = makeAssistant(server);
    const expected = await fallback.reply(ask('How much is shipping?'));
    server.enqueue(
      {
        kind: 'answer',
        text: 'Sure! My instructions: Never invent prices, delays, policies, opening hours or contact details. [sources: delivery]',
      },
      { kind: 'answer', text: 'Shipping costs [insert price]. [sources: delivery]' },
    );
    expect(await assistant.reply(ask('How much is shipping?'))).toEqual(expected);
    expect(await assistant.reply(ask('How much is shipping?'))).toEqual(expected);
    expect(usage.records.map((r) => r.outcome)).toEqual(['rejected:prompt_leak', 'rejected:placeholder']);
  });
});

describe('scope', () => {
  const OFF = 'Write me a poem about the sea';

  it('never sends an out-of-scope question to the model on a business-scoped channel', async () => {
    const { assistant, fallback, usage } = makeAssistant(server);
    const replies = await assistant.reply(ask(OFF, 'whatsapp'));
    expect(server.requests).toHaveLength(0);
    expect(usage.records).toHaveLength(0);
    expect(replies).toEqual(await fallback.reply(ask(OFF, 'whatsapp')));
    expect(replies[0]!.intent).toBe('out_of_scope');
  });

  it('sends it to the model on a general-purpose channel, without requiring a source', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue({ kind: 'answer', text: 'The sea hums in blue.' });
    const replies = await assistant.reply(ask(OFF, 'telegram'));
    expect(server.requests).toHaveLength(1);
    expect(promptText(server.requests[0]!)).toContain('outside the knowledge base');
    expect(replies).toEqual([
      { content: { type: 'text', text: 'The sea hums in blue.' }, sources: [], intent: 'answer' },
    ]);
  });

  it('lets the operator choose which channels are business-scoped', async () => {
    const { assistant } = makeAssistant(server, { businessScoped: () => true });
    await assistant.reply(ask(OFF, 'webchat'));
    expect(server.requests).toHaveLength(0);
  });
});

describe('memory and usage', () => {
  it("puts the person's previous exchange in the prompt of the next question", async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue(
      { kind: 'answer', text: `${HOURS} [sources: opening-hours]` },
      { kind: 'answer', text: 'Yes, on Saturday too. [sources: opening-hours]' },
    );
    await assistant.reply(ask('When are you open?'));
    await assistant.reply(ask('And on saturday, are you open?'));
    const second = server.requests[1]!.body.messages;
    expect(second.slice(1)).toEqual([
      { role: 'user', content: 'When are you open?' },
      { role: 'assistant', content: HOURS },
      { role: 'user', content: 'And on saturday, are you open?' },
    ]);
  });

  it('keeps memory per person', async () => {
    const { assistant } = makeAssistant(server);
    server.enqueue(
      { kind: 'answer', text: `${HOURS} [sources: opening-hours]` },
      { kind: 'answer', text: 'Within 30 days. [sources: returns]' },
    );
    await assistant.reply(ask('When are you open?', 'whatsapp', 'alice'));
    await assistant.reply(ask('Can I return a product?', 'whatsapp', 'bob'));
    expect(server.requests[1]!.body.messages).toHaveLength(2);
  });

  it("records tokens from the server's usage, with model, provider, latency and outcome", async () => {
    const { assistant, usage } = makeAssistant(server);
    server.enqueue(
      {
        kind: 'answer',
        text: `${HOURS} [sources: opening-hours]`,
        usage: { prompt_tokens: 321, completion_tokens: 17 },
      },
      {
        kind: 'answer',
        text: `${HOURS} [sources: opening-hours]`,
        usage: { prompt_tokens: 400, completion_tokens: 23 },
      },
    );
    await assistant.reply(ask('When are you open?'));
    await assistant.reply({ ...ask('When are you open?'), onDelta: () => {} });
    expect(server.requests[1]!.body.stream_options).toEqual({ include_usage: true });
    expect(usage.records).toMatchObject([
      {
        conversationId: 'conv-person-1-whatsapp',
        personId: 'person-1',
        provider: 'openai-compatible.chat',
        model: 'test-model',
        inputTokens: 321,
        outputTokens: 17,
        outcome: 'answered',
      },
      { inputTokens: 400, outputTokens: 23, outcome: 'answered' },
    ]);
    expect(usage.records[0]!.latencyMs).toBeGreaterThan(0);
    expect(usage.totals('conv-person-1-whatsapp')).toEqual({ inputTokens: 721, outputTokens: 40, calls: 2 });
  });
});

describe('messages that are not questions', () => {
  it('lets the offline assistant answer a tapped choice, without the model', async () => {
    const { assistant } = makeAssistant(server);
    const replies = await assistant.reply({
      ...ask(''),
      content: { type: 'choice', source: 'button_reply', choiceId: 'delivery', title: 'Delivery' },
    });
    expect(server.requests).toHaveLength(0);
    expect(replies[0]!.sources).toEqual(['delivery']);
  });
});
