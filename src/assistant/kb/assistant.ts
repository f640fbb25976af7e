import type { MessageContent } from '../../core/content.ts';
import type { Assistant, AssistantReply, AssistantRequest } from '../port.ts';
import { decide } from './decide.ts';
import type { Matcher } from './matcher.ts';
import { HUMAN_WORDS, normaliseKeyword, phrasesFor, type Phrases } from './phrases.ts';

/** A human word alone, or a phrase of several words anywhere ("I'd like to talk to a person"). */
function asksForHuman(normalised: string): boolean {
  if (HUMAN_WORDS.has(normalised)) return true;
  const padded = ` ${normalised} `;
  for (const w of HUMAN_WORDS) if (w.includes(' ') && padded.includes(` ${w} `)) return true;
  return false;
}
import { answerIn, entryTitle, type KbEntry, type KnowledgeBase } from './schema.ts';

/** A knowledge base with its trained matcher: one consistent version (see `KbSource`). */
export interface LoadedKb {
  kb: KnowledgeBase;
  matcher: Matcher;
}

/** Choice ids the assistant puts on buttons: `kb:<language>:<entry id>`, and the human-handoff button. */
export const HANDOFF_CHOICE = 'handoff:request';
const CHOICE_RE = /^kb:([a-z]{2,3}(?:-[A-Za-z]{2,4})?):(.+)$/;

/**
 * The built-in offline assistant: no model download, no API key. It answers from the knowledge base in
 * the person's language when the calibrated matcher is sure, offers a choice between close candidates,
 * and declines what is out of scope — politely, in the person's language, offering a human. Which of
 * these a channel may actually send is the policy layer's decision.
 */
export class KbAssistant implements Assistant {
  /** `current` returns the version serving now (the KB may be reloaded between calls). */
  constructor(private readonly current: () => LoadedKb) {}

  async reply(req: AssistantRequest): Promise<AssistantReply[]> {
    const c = req.content;
    const loaded = this.current();
    if (req.handoff) {
      const said = c.type === 'text' ? c.text : c.type === 'choice' ? c.title : '';
      return [handoff(phrasesFor(detected(loaded, said)))];
    }
    if (c.type === 'choice') return this.onChoice(loaded, c.choiceId, c.title);
    if (c.type === 'text') return this.onText(loaded, c.text);
    if (c.type === 'media' && c.media.caption) return this.onText(loaded, c.media.caption);
    if (c.type === 'request_welcome') return [this.welcome(loaded, phrasesFor(loaded.kb.language))];
    if (c.type === 'reaction' || c.type === 'system' || c.type === 'order') return [];
    const p = phrasesFor(loaded.kb.language);
    return [{ content: { type: 'text', text: p.textOnly }, intent: 'unsupported' }];
  }

  private onChoice(loaded: LoadedKb, choiceId: string, title: string): AssistantReply[] {
    if (choiceId === HANDOFF_CHOICE) return [handoff(phrasesFor(detected(loaded, title)))];
    const m = CHOICE_RE.exec(choiceId);
    const id = m ? m[2]! : choiceId;
    const entry = loaded.kb.entries.find((e) => e.id === id);
    if (entry) return [answer(loaded, entry, m ? m[1]! : detected(loaded, title), 1)];
    return this.onText(loaded, title); // a button of an older KB version: go by its label
  }

  private onText(loaded: LoadedKb, text: string): AssistantReply[] {
    const ranked = loaded.matcher.rank(text, { k: 3 });
    const p = phrasesFor(ranked.language);
    if (asksForHuman(normaliseKeyword(text))) return [handoff(p)];
    const thresholds = loaded.matcher.thresholds;
    const d = decide(ranked, thresholds);
    // Between the scope and answer thresholds a single clear candidate is answered if it is in the
    // upper half of the band, and confirmed first in the lower half (a presentation choice, like
    // `closeRatio`: both thresholds themselves come from calibration).
    const confirmBelow = thresholds.scope + (thresholds.answer - thresholds.scope) / 2;
    if (d.kind === 'answer' && d.confidence >= confirmBelow) {
      const entry = loaded.kb.entries.find((e) => e.id === d.id)!;
      return [answer(loaded, entry, ranked.language, d.confidence)];
    }
    if (d.kind !== 'out_of_scope') {
      // Not sure enough to answer: ask, rather than answer the wrong question. One candidate gets a
      // confirmation button next to the offer of a person.
      const ids = d.kind === 'choose' ? d.candidates.map((c) => c.id) : [d.id];
      const entries = ids.map((id) => loaded.kb.entries.find((e) => e.id === id)!);
      const buttons = entries.map((e) => ({ id: `kb:${p.language}:${e.id}`, title: entryTitle(e) }));
      if (buttons.length === 1) buttons.push({ id: HANDOFF_CHOICE, title: p.talkToPerson });
      return [
        {
          content: { type: 'buttons', body: p.didYouMean, buttons },
          sources: ids,
          confidence: d.kind === 'choose' ? d.candidates[0]!.confidence : d.confidence,
          intent: 'choice',
          language: p.language,
        },
      ];
    }
    return [
      {
        content: {
          type: 'buttons',
          body: fill(p.decline, loaded),
          buttons: [{ id: HANDOFF_CHOICE, title: p.talkToPerson }],
        },
        confidence: d.confidence,
        intent: 'out_of_scope',
        language: p.language,
      },
    ];
  }

  private welcome(loaded: LoadedKb, p: Phrases): AssistantReply {
    return { content: { type: 'text', text: fill(p.welcome, loaded) }, intent: 'welcome' };
  }
}

function detected(loaded: LoadedKb, text: string): string {
  return text ? loaded.matcher.rank(text, { k: 1 }).language : loaded.kb.language;
}

function answer(loaded: LoadedKb, entry: KbEntry, language: string, confidence: number): AssistantReply {
  const a = answerIn(entry, language, loaded.kb.language);
  const content: MessageContent = { type: 'text', text: a.text };
  return { content, sources: [entry.id], confidence, intent: 'answer', language: a.language };
}

function handoff(p: Phrases & { language: string }): AssistantReply {
  return { content: { type: 'text', text: p.handoffAck }, intent: 'handoff', language: p.language };
}

/** Fills `{business}` and `{topics}` (the entries' titles) into a phrase. */
function fill(template: string, loaded: LoadedKb): string {
  const topics = loaded.kb.entries.map((e) => entryTitle(e, 40).toLowerCase()).join(', ');
  return template.replace('{business}', loaded.kb.business ?? 'us').replace('{topics}', topics);
}
