import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keywordGrounding, rankerGrounding, type Ranking } from '../../src/assistant/llm/grounding.ts';
import { entriesBlock } from '../../src/assistant/llm/prompt.ts';
import { ask, KB, makeAssistant } from './fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';

const HOURS = {
  id: 'opening-hours',
  questions: ['when are you open?'],
  answer: 'We are open Monday to Saturday, 9:00–18:00.',
  language: 'en',
  translations: { fr: 'Nous sommes ouverts du lundi au samedi, de 9 h à 18 h.' },
};

/** A stand-in for `buildMatcher(kb)`: a fixed ranking whatever the text. */
const ranker = (ranking: Ranking) => ({ rank: () => ranking });

describe('keywordGrounding', () => {
  it('returns the best entries and says whether the message is in scope', () => {
    const g = keywordGrounding(KB);
    expect(g.retrieve('how much is shipping?', 2)).toMatchObject({
      entries: [{ id: 'delivery' }],
      language: 'und',
      outOfScope: false,
    });
    expect(g.retrieve('write me a poem about the sea', 2)).toMatchObject({ entries: [], outOfScope: true });
  });
});

describe('rankerGrounding (the calibrated matcher)', () => {
  it("maps candidates to entries, keeps the matcher's language and the caller's scope decision", () => {
    const ranking = {
      language: 'fr',
      candidates: [
        { id: 'opening-hours', confidence: 0.9 },
        { id: 'gone', confidence: 0.5 },
      ],
    };
    const g = rankerGrounding(ranker(ranking), [HOURS], (r) => r.candidates[0]!.confidence < 0.3);
    expect(g.retrieve('vous ouvrez quand ?', 3)).toEqual({
      entries: [HOURS],
      language: 'fr',
      outOfScope: false,
    });
  });

  it("puts the answer's translation into the person's language in the prompt", () => {
    expect(entriesBlock([HOURS], 'fr')).toContain(`Answer (fr): ${HOURS.translations.fr}`);
    expect(entriesBlock([HOURS], 'en')).not.toContain('Answer (');
    expect(entriesBlock([HOURS], 'und')).not.toContain('Answer (');
  });
});

describe('the assistant with a language-aware grounding', () => {
  let server: FakeOpenAI;
  beforeEach(async () => {
    server = await startFakeOpenAI();
  });
  afterEach(() => server.close());

  it("tells the model the person's language and gives it the vetted translation", async () => {
    const ranking = { language: 'fr', candidates: [{ id: 'opening-hours', confidence: 0.9 }] };
    const grounding = rankerGrounding(ranker(ranking), [HOURS], () => false);
    const { assistant } = makeAssistant(server, { grounding });
    server.enqueue({ kind: 'answer', text: `${HOURS.translations.fr}\n[sources: opening-hours]` });
    const [reply] = await assistant.reply(ask('Vous ouvrez quand ?'));
    const system = server.requests[0]!.body.messages[0]!.content as string;
    expect(system).toContain('The customer writes in "fr".');
    expect(system).toContain(`Answer (fr): ${HOURS.translations.fr}`);
    expect(reply!.content).toEqual({ type: 'text', text: HOURS.translations.fr });
  });

  it('declines through the offline assistant when the matcher says out of scope (WhatsApp)', async () => {
    const ranking = { language: 'fr', candidates: [{ id: 'opening-hours', confidence: 0.05 }] };
    const grounding = rankerGrounding(ranker(ranking), [HOURS], (r) => r.candidates[0]!.confidence < 0.3);
    const { assistant } = makeAssistant(server, { grounding });
    await assistant.reply(ask('Écris-moi un poème'));
    expect(server.requests).toHaveLength(0);
  });
});
