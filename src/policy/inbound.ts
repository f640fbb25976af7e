import type { MessageContent } from '../core/content.ts';
import type { InboundSignal, PolicyDecision } from './decision.ts';
import type { PolicyProfile, Rate } from './profiles.ts';

/**
 * Inbound policy: the keywords a person sends to opt out, opt in or reach a human, and the per-person
 * inbound rate. The pipeline calls these after recording the message and before asking the assistant,
 * so that "STOP" is honoured at once and never answered by a model. Pure.
 */

/**
 * Lower case, accents and punctuation removed, spaces collapsed: `"  Arrêt ! "` → `"arret"`,
 * `"parler à quelqu'un"` → `"parler a quelqu un"`. The same on both sides of every comparison.
 */
export function normaliseKeyword(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Keyword rules in precedence order: an opt-out wins over everything. */
const KEYWORD_RULES = [
  {
    kind: 'opt_out',
    reason: 'opt_out_word',
    key: 'optOutWords',
    label: 'opt-out',
    outcome: 'opted out: confirmed, and nothing else is sent until they opt in again',
  },
  {
    kind: 'opt_in',
    reason: 'opt_in_word',
    key: 'optInWords',
    label: 'opt-in',
    outcome: 'opted in again: confirmed',
  },
  {
    kind: 'escalate',
    reason: 'escalation_word',
    key: 'escalationWords',
    label: 'escalation',
    outcome: 'asked for a human: handed over',
  },
] as const;

/**
 * The first configured word equal to the normalised message, as configured. With `phrases`, a word of
 * several words also matches inside a longer message ("I want to talk to a person, please"): a phrase
 * that explicit is a request whatever surrounds it, while a single word ("agent") only counts alone.
 */
function match(words: readonly string[], normalised: string, phrases = false): string | undefined {
  if (!normalised) return undefined;
  const padded = ` ${normalised} `;
  const forms = normalisedWords(words);
  const i = forms.findIndex(
    (n) => n === normalised || (phrases && n.includes(' ') && padded.includes(` ${n} `)),
  );
  return i < 0 ? undefined : words[i];
}

const normalisedLists = new WeakMap<readonly string[], string[]>();

/** A profile's word list, normalised once (it is read for every inbound message). */
function normalisedWords(words: readonly string[]): string[] {
  let forms = normalisedLists.get(words);
  if (!forms) {
    forms = words.map(normaliseKeyword);
    normalisedLists.set(words, forms);
  }
  return forms;
}

/** What the person wrote or tapped, as candidate keywords: a text, a button's id and label (not captions). */
function candidates(content: MessageContent, text: string | undefined): string[] {
  if (text !== undefined) return [text];
  if (content.type === 'text') return [content.text];
  if (content.type === 'choice') return [content.choiceId, content.title]; // a template's STOP button
  return [];
}

/**
 * Classifies one inbound message. A whole message (trimmed; case, accents and surrounding
 * punctuation ignored) equal to an opt-out word is an opt-out; likewise opt-in and escalation words.
 * "Stop sending me promos" is not an opt-out: only the word alone counts, so questions that merely
 * contain a word are answered normally. A tap on a configured escalation button escalates. Precedence:
 * opt-out, opt-in, escalation. `text` overrides what is read from `content`.
 */
export function inboundPolicy(
  profile: PolicyProfile,
  input: { content: MessageContent; text?: string },
): InboundSignal {
  const ch = profile.channel;
  if (input.content.type === 'choice' && profile.escalationChoiceIds.includes(input.content.choiceId)) {
    return {
      kind: 'escalate',
      reason: 'escalation_button',
      word: input.content.choiceId,
      rule: `${ch}.escalationChoiceIds`,
      data: { choiceId: input.content.choiceId },
      explanation: `The person tapped the "${input.content.choiceId}" button: handed to a human (${ch}.escalationChoiceIds).`,
    };
  }
  const said = candidates(input.content, input.text).map(normaliseKeyword);
  for (const r of KEYWORD_RULES) {
    for (const s of said) {
      const word = match(profile[r.key], s, r.kind === 'escalate');
      if (word === undefined) continue;
      const rule = `${ch}.${r.key}`;
      return {
        kind: r.kind,
        reason: r.reason,
        word,
        rule,
        data: { word },
        explanation: `The message was the ${r.label} word "${word}" (${rule}): the person ${r.outcome}.`,
      };
    }
  }
  return {
    kind: 'none',
    reason: 'no_keyword',
    rule: `${ch}.keywords`,
    data: {},
    explanation: 'No opt-out, opt-in or escalation word: the message goes to the assistant.',
  };
}

/**
 * The per-person inbound guard (web chat visitors; any channel with `rateLimits.perSender`): `hold` when
 * the person sent more than the limit within its sliding period, counting this message. The held
 * message is recorded but not answered automatically; an operator sees it. `recentInboundAt` are the
 * times of this person's earlier messages (any order; older ones are ignored).
 */
export function senderRatePolicy(
  profile: PolicyProfile,
  input: { now: number; recentInboundAt: readonly number[] },
): PolicyDecision {
  const rate: Rate | undefined = profile.rateLimits.perSender;
  const rule = `${profile.channel}.rateLimits.perSender`;
  if (!rate) {
    return {
      action: 'allow',
      reason: 'within_rate',
      rule,
      data: {},
      explanation: 'No inbound rate limit on this channel.',
    };
  }
  const since = input.now - rate.perSeconds * 1000;
  const count = input.recentInboundAt.filter((t) => t > since && t <= input.now).length + 1;
  const data = { count, limit: rate.messages, perSeconds: rate.perSeconds };
  if (count > rate.messages) {
    return {
      action: 'hold',
      reason: 'rate_limited',
      rule,
      data,
      explanation: `${count} messages from this person in the last ${rate.perSeconds} s, over the limit of ${rate.messages} (${rule}): not answered automatically; held for an operator.`,
    };
  }
  return {
    action: 'allow',
    reason: 'within_rate',
    rule,
    data,
    explanation: `${count} of at most ${rate.messages} messages in ${rate.perSeconds} s (${rule}).`,
  };
}
