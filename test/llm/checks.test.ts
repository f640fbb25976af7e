import { describe, expect, it } from 'vitest';
import {
  capLength,
  checkAnswer,
  hasPlaceholder,
  instructionShingles,
  type CheckInput,
} from '../../src/assistant/llm/checks.ts';
import { rules } from '../../src/assistant/llm/prompt.ts';

const shingles = instructionShingles(rules(true));
const input = (raw: string, extra: Partial<CheckInput> = {}): CheckInput => ({
  raw,
  provided: ['delivery'],
  requireSource: true,
  shingles,
  maxChars: 2000,
  channelLimit: 4096,
  ...extra,
});

describe('checkAnswer', () => {
  it('accepts a cited answer and returns it without the citation', () => {
    expect(checkAnswer(input('We deliver in 2–4 days. [sources: delivery]'))).toEqual({
      kind: 'accepted',
      text: 'We deliver in 2–4 days.',
      sources: ['delivery'],
      invented: [],
      truncated: false,
    });
  });

  it.each([
    { what: 'an empty answer', raw: '', reason: 'empty' },
    { what: 'a bare citation', raw: '[sources: delivery]', reason: 'empty' },
    { what: 'punctuation only', raw: '…', reason: 'empty' },
    { what: 'a runaway answer', raw: 'We deliver. '.repeat(200) + '[sources: delivery]', reason: 'too_long' },
    { what: 'an uncited answer', raw: 'We deliver in 2–4 days.', reason: 'no_source' },
    {
      what: 'an answer citing only an invented id',
      raw: 'We deliver. [sources: express]',
      reason: 'no_source',
    },
    {
      what: 'a template placeholder',
      raw: 'Shipping is {{price}}. [sources: delivery]',
      reason: 'placeholder',
    },
    {
      what: 'repeated instructions',
      raw: 'OK. Use only the knowledge-base entries below as facts. When they do not cover it [sources: delivery]',
      reason: 'prompt_leak',
    },
    {
      what: 'prompt delimiters',
      raw: '<knowledge_base><entry id="delivery"> [sources: delivery]',
      reason: 'prompt_leak',
    },
  ])('rejects $what as $reason', ({ raw, reason }) => {
    expect(checkAnswer(input(raw))).toMatchObject({ kind: 'rejected', reason });
  });

  it('accepts an answer without source when none is required (general question)', () => {
    expect(checkAnswer(input('The sea is blue.', { requireSource: false }))).toMatchObject({
      kind: 'accepted',
    });
  });

  it('introducing itself as the business assistant is not a leak', () => {
    const raw =
      "Hi, I'm the customer-service assistant of Lumen Cycles. We deliver in 2–4 days. [sources: delivery]";
    expect(checkAnswer(input(raw))).toMatchObject({ kind: 'accepted' });
  });

  it('offering a human in its own words is not a leak', () => {
    const raw =
      "I don't have that information. Would you like me to hand you over to a human colleague? [sources: delivery]";
    expect(checkAnswer(input(raw))).toMatchObject({ kind: 'accepted' });
  });

  it('quoting a knowledge-base answer is not a leak', () => {
    const raw =
      'We deliver in France in 2–4 working days (€6.90, free over €100) and to the EU in 4–8 working days. [sources: delivery]';
    expect(checkAnswer(input(raw))).toMatchObject({ kind: 'accepted' });
  });

  it("cuts an answer to the channel's limit", () => {
    const long = 'Our bikes are great. '.repeat(30) + '[sources: delivery]';
    const check = checkAnswer(input(long, { channelLimit: 200 }));
    expect(check).toMatchObject({ kind: 'accepted', truncated: true });
    if (check.kind === 'accepted') expect(check.text.length).toBeLessThanOrEqual(200);
  });
});

describe('capLength', () => {
  it('cuts at a sentence end when one is near the limit', () => {
    expect(capLength('One two three four five. Six seven eight', 28)).toBe('One two three four five. …');
  });
  it('else at a word boundary', () => {
    expect(capLength('alpha beta gamma delta epsilon', 20)).toBe('alpha beta gamma…');
    expect(capLength('One two three. Four five six seven eight', 24)).toBe('One two three. Four…');
  });
  it('never splits a surrogate pair', () => {
    const capped = capLength('🚲'.repeat(20), 11);
    expect(capped.length).toBeLessThanOrEqual(11);
    expect(capped).toBe('🚲'.repeat(4) + '…');
  });
  it('leaves a short text alone', () => {
    expect(capLength('short', 4096)).toBe('short');
  });
});

describe('hasPlaceholder', () => {
  it.each([
    'Call us at [phone number].',
    'Dear <your name>,',
    'Price: XXX €',
    'TODO: fill in',
    'Lorem ipsum',
  ])('flags %j', (t) => expect(hasPlaceholder(t)).toBe(true));
  it.each(['Sizes [S, M, L] in stock.', 'We sell XXL frames.', 'Open Mon–Sat.'])('does not flag %j', (t) =>
    expect(hasPlaceholder(t)).toBe(false),
  );
});
