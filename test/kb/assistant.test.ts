import { phrasesFor } from '../../src/assistant/kb/phrases.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBase, SAMPLE_KB } from '../../src/assistant/kb.ts';
import { HANDOFF_CHOICE, KbAssistant } from '../../src/assistant/kb/assistant.ts';
import { buildMatcher } from '../../src/assistant/kb/matcher.ts';
import type { AssistantReply } from '../../src/assistant/port.ts';
import type { MessageContent } from '../../src/core/content.ts';

let assistant: KbAssistant;
beforeAll(() => {
  const kb = loadKnowledgeBase(SAMPLE_KB);
  const matcher = buildMatcher(kb, { defaultLanguage: kb.language });
  assistant = new KbAssistant(() => ({ kb, matcher }));
});

const ask = (content: MessageContent | string): Promise<AssistantReply[]> =>
  assistant.reply({
    personId: 'p',
    conversationId: 'c',
    channel: 'whatsapp',
    content: typeof content === 'string' ? { type: 'text', text: content } : content,
  });
const text = (r: AssistantReply[]) => (r[0]!.content as { text: string }).text;

describe('offline knowledge-base assistant', () => {
  it.each([
    ['en', 'What time do you open on Saturday?', /^We are open Monday to Saturday/],
    ['fr', 'Vous livrez à domicile ?', /^Nous livrons en France/],
    ['es', '¿Cuánto cuesta una revisión de la bici?', /^Nuestro taller repara/],
    ['pt', 'Vocês alugam bicicletas?', /^Sim: bicicleta de cidade/],
  ])('answers in the person’s language (%s), citing the entry', async (_lang, question, expected) => {
    const r = await ask(question);
    expect(r[0]).toMatchObject({ intent: 'answer' });
    expect(text(r)).toMatch(expected);
    expect(r[0]!.sources).toHaveLength(1);
  });

  it('offers a choice between close candidates as reply buttons', async () => {
    const [r] = await ask('how much');
    expect(r).toMatchObject({ intent: 'choice', content: { type: 'buttons' } });
    const buttons = (r!.content as { buttons: { id: string; title: string }[] }).buttons;
    expect(buttons.length).toBeGreaterThanOrEqual(2);
    for (const b of buttons) expect(b.title.length).toBeLessThanOrEqual(20);
  });

  it('answers the entry behind a tapped choice, in the language it was offered in', async () => {
    const r = await ask({
      type: 'choice',
      source: 'button_reply',
      choiceId: 'kb:fr:delivery',
      title: 'Delivery',
    });
    expect(text(r)).toMatch(/^Nous livrons/);
  });

  it.each([
    ['en', 'Write me a poem about the sea', /^Sorry, I can't help with that/, 'Talk to a person'],
    ['fr', 'Raconte-moi une blague', /^Désolé/, "Parler à quelqu'un"],
    ['es', 'Escríbeme un poema sobre el mar, por favor', /^Lo siento/, 'Hablar con alguien'],
    ['pt', 'Escreve-me um poema sobre o mar, por favor', /^Desculpe/, 'Falar com alguém'],
  ])('declines an out-of-scope request politely (%s) and offers a human', async (_l, q, decline, button) => {
    const [r] = await ask(q);
    expect(r!.intent).toBe('out_of_scope');
    const c = r!.content as { body: string; buttons: { id: string; title: string }[] };
    expect(c.body).toMatch(decline);
    expect(c.buttons).toEqual([{ id: HANDOFF_CHOICE, title: button }]);
  });

  it('hands over to a person when asked, by word or by button', async () => {
    expect((await ask('humain'))[0]).toMatchObject({ intent: 'handoff' });
    const r = await ask({
      type: 'choice',
      source: 'button_reply',
      choiceId: HANDOFF_CHOICE,
      title: 'Talk to a person',
    });
    expect(r[0]).toMatchObject({ intent: 'handoff' });
  });

  it('asks for text when it receives media without a caption, and stays quiet on reactions', async () => {
    expect(text(await ask({ type: 'media', kind: 'audio', media: { id: '1' } }))).toMatch(/only read text/);
    expect(await ask({ type: 'reaction', messageId: 'x', emoji: '👍' })).toEqual([]);
  });
});

describe('the assistant’s own phrases', () => {
  it('exist in the six languages the matcher stems, with button labels WhatsApp accepts', () => {
    for (const language of ['en', 'fr', 'es', 'pt', 'de', 'it']) {
      const p = phrasesFor(language);
      expect(p.language).toBe(language);
      expect(p.decline).toContain('{business}');
      expect(p.talkToPerson.length).toBeLessThanOrEqual(20);
      expect(p.moreTopics.length).toBeLessThanOrEqual(20);
    }
    expect(phrasesFor('nl').language).toBe('en');
  });
});
