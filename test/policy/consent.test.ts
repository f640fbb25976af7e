import { describe, expect, it } from 'vitest';
import { HANDOFF_CHOICE } from '../../src/assistant/kb/assistant.ts';
import { HUMAN_WORDS } from '../../src/assistant/kb/phrases.ts';
import type { MessageContent } from '../../src/core/content.ts';
import { confirmation, CONFIRMATION_INTENTS } from '../../src/policy/confirmations.ts';
import { consentState, outboundPolicy, type OutboundInput } from '../../src/policy/engine.ts';
import { inboundPolicy, normaliseKeyword, senderRatePolicy } from '../../src/policy/inbound.ts';
import { defaultPolicy, HANDOFF_CHOICE_ID } from '../../src/policy/profiles.ts';

// spec §3: opt-in before business-initiated messages; opt-outs honoured at once; a human reachable.

const H = 3_600_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const { whatsapp, telegram, webchat } = defaultPolicy();
const text = (t: string): MessageContent => ({ type: 'text', text: t });

const words: [string, MessageContent, string, string?][] = [
  ['STOP in capitals opts out', text('STOP'), 'opt_out', 'STOP'],
  ['stop in lower case opts out', text('stop'), 'opt_out', 'STOP'],
  ['Stop with spaces and an exclamation mark opts out', text('  Stop! '), 'opt_out', 'STOP'],
  ['French ARRÊT with its accent opts out', text('Arrêt'), 'opt_out', 'ARRÊT'],
  ['French arrêt written without the accent opts out', text('arret.'), 'opt_out', 'ARRÊT'],
  ['French désabonner opts out', text('DESABONNER'), 'opt_out', 'DÉSABONNER'],
  ['Spanish BAJA opts out', text('Baja'), 'opt_out', 'BAJA'],
  ['Portuguese PARAR opts out', text('parar'), 'opt_out', 'PARAR'],
  ['CANCELAR opts out', text('Cancelar'), 'opt_out', 'CANCELAR'],
  ['UNSUBSCRIBE opts out', text('unsubscribe'), 'opt_out', 'UNSUBSCRIBE'],
  ["a template's STOP quick-reply button opts out", { type: 'choice', source: 'template_button', choiceId: 'STOP', title: 'Stop promotions' }, 'opt_out', 'STOP'],
  ['START opts back in', text('start'), 'opt_in', 'START'],
  ['French REPRENDRE opts back in', text('Reprendre'), 'opt_in', 'REPRENDRE'],
  ['Spanish ALTA opts back in', text('ALTA'), 'opt_in', 'ALTA'],
  ['Portuguese COMEÇAR opts back in, with or without the cedilla', text('comecar'), 'opt_in', 'COMEÇAR'],
  ['"humano" asks for a human', text('Humano'), 'escalate', 'humano'],
  ["\"parler à quelqu'un\" with a typographic apostrophe asks for a human", text('Parler à quelqu’un ?'), 'escalate', "parler à quelqu'un"],
  ['"atendente" asks for a human', text('ATENDENTE'), 'escalate', 'atendente'],
  ['the "talk to a person" button asks for a human', { type: 'choice', source: 'button_reply', choiceId: HANDOFF_CHOICE, title: 'Talk to a person' }, 'escalate', HANDOFF_CHOICE],
  ['a phrase of several words asks for a human inside a sentence', text('Hi, I want to talk to a person please'), 'escalate', 'talk to a person'],
  ['so does its French form', text("Bonjour, je voudrais parler à un conseiller svp"), 'escalate', 'parler à un conseiller'],
  ['a single word inside a sentence does not', text('Is the agent discount still on?'), 'none'],
  ['a sentence that contains STOP is a question, not an opt-out', text('Can I stop my rental early?'), 'none'],
  ['"stop sending me promos" is not the word alone', text('stop sending me promos'), 'none'],
  ['an image is no keyword', { type: 'media', kind: 'image', media: { id: '1' } }, 'none'],
]; // prettier-ignore

describe('inbound policy: opt-out, opt-in and escalation words', () => {
  it.each(words)('%s', (_name, content, kind, word) => {
    const s = inboundPolicy(whatsapp, { content });
    expect(s.kind).toBe(kind);
    expect(s.word).toBe(word);
  });

  it('explains an opt-out by naming the word and the rule', () => {
    const s = inboundPolicy(whatsapp, { content: text('arrêt') });
    expect(s.explanation).toBe(
      'The message was the opt-out word "ARRÊT" (whatsapp.optOutWords): the person opted out: confirmed, and nothing else is sent until they opt in again.',
    );
    expect(s.data).toEqual({ word: 'ARRÊT' });
  });

  it('normalises case, accents and punctuation the same way on both sides', () => {
    expect(normaliseKeyword('  Parler À quelqu’un ?! ')).toBe('parler a quelqu un');
  });

  it('shares the escalation button id with the offline assistant', () => {
    expect(HANDOFF_CHOICE_ID).toBe(HANDOFF_CHOICE);
  });

  it("shares the escalation words with the offline assistant's HUMAN_WORDS", () => {
    expect(new Set(whatsapp.escalationWords.map(normaliseKeyword))).toEqual(HUMAN_WORDS);
  });
});

function input(over: Partial<OutboundInput> = {}): OutboundInput {
  return {
    now: NOW,
    lastInboundAt: NOW - H,
    optedOut: false,
    optedIn: false,
    businessInitiated: false,
    reply: { content: text('Hello'), intent: 'answer' },
    ...over,
  };
}

const confirmationReply = { content: text('You will no longer…'), intent: CONFIRMATION_INTENTS.opt_out };

const outbound: [string, Partial<OutboundInput>, string, string][] = [
  ['a business-initiated message to an opted-out person is refused', { optedOut: true, businessInitiated: true }, 'refuse', 'opted_out'],
  ['a business-initiated template to an opted-out person is refused', { optedOut: true, businessInitiated: true, reply: { content: { type: 'template', name: 'spring_sale', language: 'en' } } }, 'refuse', 'opted_out'],
  ['a reply to a person who just opted out is refused', { optedOut: true }, 'refuse', 'opted_out'],
  ['the opt-out confirmation to a person who just opted out is sent', { optedOut: true, reply: confirmationReply }, 'allow', 'opt_out_confirmation'],
  ['an opt-out confirmation outside the window is never turned into a template', { optedOut: true, lastInboundAt: NOW - 30 * H, reply: confirmationReply }, 'refuse', 'opted_out'],
  ['a business-initiated message without opt-in is refused', { businessInitiated: true }, 'refuse', 'no_opt_in'],
  ['a business-initiated message after an opt-in is allowed in the window', { businessInitiated: true, optedIn: true }, 'allow', 'in_window'],
  ['a reply needs no opt-in: the person wrote first', { optedIn: false }, 'allow', 'in_window'],
]; // prettier-ignore

describe('outbound policy: consent', () => {
  it.each(outbound)('%s', (_name, over, action, reason) => {
    const d = outboundPolicy(whatsapp, input(over));
    expect({ action: d.action, reason: d.reason }).toEqual({ action, reason });
  });

  it('an opt-in after an opt-out restores business-initiated messages', () => {
    const state = consentState([
      { kind: 'opt_in', created_at: 1 },
      { kind: 'opt_out', created_at: 2 },
      { kind: 'opt_in', created_at: 3 },
    ]);
    expect(state).toEqual({ optedIn: true, optedOut: false });
    expect(outboundPolicy(whatsapp, input({ ...state, businessInitiated: true })).action).toBe('allow');
  });

  it('the latest consent wins whatever the order of the rows', () => {
    expect(
      consentState([
        { kind: 'opt_out', created_at: 5 },
        { kind: 'opt_in', created_at: 3 },
      ]),
    ).toEqual({ optedIn: false, optedOut: true });
    expect(consentState([])).toEqual({ optedIn: false, optedOut: false });
  });

  it('Telegram does not require an opt-in for business-initiated messages by default', () => {
    expect(outboundPolicy(telegram, input({ businessInitiated: true })).reason).toBe('no_window');
  });
});

describe('confirmations', () => {
  it.each([
    ['en', 'START'],
    ['fr-FR', 'REPRENDRE'],
    ['es', 'ALTA'],
    ['pt_BR', 'COMEÇAR'],
  ])('the opt-out confirmation in %s names the opt-in word %s', (language, word) => {
    const c = confirmation(whatsapp, 'opt_out', language);
    expect(c.text).toContain(word);
    expect(whatsapp.optInWords).toContain(word);
  });

  it('every opt-in confirmation names a configured opt-out word', () => {
    const out = new Set(whatsapp.optOutWords.map(normaliseKeyword));
    for (const t of Object.values(whatsapp.confirmations.opt_in)) {
      const named = t.match(/\b[A-ZÊÇ]{3,}\b/gu) ?? [];
      expect(named.some((w) => out.has(normaliseKeyword(w)))).toBe(true);
    }
  });

  it('falls back to English for a language without a text', () => {
    expect(confirmation(whatsapp, 'opt_in', 'de')).toMatchObject({ language: 'en' });
    expect(confirmation(whatsapp, 'opt_in', undefined)).toMatchObject({ language: 'en' });
  });
});

describe('inbound rate per web chat visitor', () => {
  const minute = (n: number) => Array.from({ length: n }, (_, i) => NOW - (i + 1) * 1000);
  it.each([
    ['the 10th message in a minute is answered', minute(9), 'allow', 'within_rate'],
    ['the 11th message in a minute is held', minute(10), 'hold', 'rate_limited'],
    [
      'messages older than the period do not count',
      [...minute(5), NOW - 61_000, NOW - 120_000, NOW - 600_000, NOW - 700_000, NOW - 800_000],
      'allow',
      'within_rate',
    ],
  ] as const)('%s', (_name, recent, action, reason) => {
    const d = senderRatePolicy(webchat, { now: NOW, recentInboundAt: recent });
    expect({ action: d.action, reason: d.reason }).toEqual({ action, reason });
  });

  it('WhatsApp has no inbound rate limit by default', () => {
    expect(senderRatePolicy(whatsapp, { now: NOW, recentInboundAt: Array(100).fill(NOW) }).action).toBe(
      'allow',
    );
  });
});
