import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countryOf } from '../../src/policy/country.ts';
import { outboundPolicy } from '../../src/policy/engine.ts';
import { inboundPolicy } from '../../src/policy/inbound.ts';
import { loadPolicy, PolicyError } from '../../src/policy/load.ts';
import { defaultPolicy, type Policy } from '../../src/policy/profiles.ts';
import { scopeFor } from '../../src/policy/scope.ts';

// Changing the rules is configuration: each rule overridden by the policy file, no code change.

const EXAMPLE = fileURLToPath(new URL('../../kb/policy.example.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'passerelle-policy-'));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const f = join(dir, `policy-${n++}.${ext}`);
  writeFileSync(f, text);
  return f;
}
const load = (yaml: string) => loadPolicy(file(yaml));
const at = (day: string) => Date.parse(`${day}T12:00:00Z`);
const say = (p: Policy, t: string) => inboundPolicy(p.whatsapp, { content: { type: 'text', text: t } }).kind;
const scope = (p: Policy, ch: keyof Policy, address: string, day: string) =>
  scopeFor(p[ch], { country: countryOf({ address }), now: at(day) }).scope;

describe('policy file: each rule changes without code', () => {
  it('no file: the shipped defaults', () => {
    expect(loadPolicy()).toEqual(defaultPolicy());
  });

  it.each([
    [
      'a new period and country make a Swiss number general-purpose',
      'whatsapp:\n  generalPurpose:\n    add:\n      - { id: CH-2027, countries: [ch], from: 2027-01-01 }\n',
      (p: Policy) => scope(p, 'whatsapp', '+41791234567', '2027-02-01'),
      'general',
    ],
    [
      'new dates for the EU period make a French number general on 2026-06-01',
      'whatsapp:\n  generalPurpose:\n    - { id: EU-LATER, countries: [FR], from: 2026-03-11, until: 2026-06-30 }\n',
      (p: Policy) => scope(p, 'whatsapp', '+33612345678', '2026-06-01'),
      'general',
    ],
    [
      'removing the Brazil period makes a Brazilian number business-scoped',
      'whatsapp:\n  generalPurpose: { remove: [BR-2026] }\n',
      (p: Policy) => scope(p, 'whatsapp', '+5511987654321', '2026-06-01'),
      'business',
    ],
    [
      'a new opt-out word opts out',
      'whatsapp:\n  optOutWords: { add: [ALTO] }\n',
      (p: Policy) => say(p, 'Alto'),
      'opt_out',
    ],
    [
      'adding a word keeps the default ones',
      'whatsapp:\n  optOutWords: { add: [ALTO] }\n',
      (p: Policy) => say(p, 'STOP'),
      'opt_out',
    ],
    [
      'a list replaces the default words',
      'whatsapp:\n  optOutWords: [PARE]\n',
      (p: Policy) => say(p, 'STOP'),
      'none',
    ],
    [
      'a removed word no longer opts out',
      'whatsapp:\n  optOutWords: { remove: [cancelar] }\n',
      (p: Policy) => say(p, 'CANCELAR'),
      'none',
    ],
    [
      'a new escalation word asks for a human',
      'whatsapp:\n  escalationWords: { add: [operador] }\n',
      (p: Policy) => say(p, 'Operador'),
      'escalate',
    ],
    [
      'Telegram set general-purpose is general',
      'telegram:\n  scope: general\n',
      (p: Policy) => scope(p, 'telegram', '+14155550123', '2026-06-01'),
      'general',
    ],
    [
      'Telegram set general-purpose leaves WhatsApp business-scoped',
      'telegram:\n  scope: general\n',
      (p: Policy) => scope(p, 'whatsapp', '+14155550123', '2026-06-01'),
      'business',
    ],
    [
      'WhatsApp set general-purpose is general for a US number',
      'whatsapp:\n  scope: general\n',
      (p: Policy) => scope(p, 'whatsapp', '+14155550123', '2026-06-01'),
      'general',
    ],
  ] as const)('%s', (_name, yaml, probe, expected) => {
    expect(probe(load(yaml))).toBe(expected);
  });

  it('a window template from the file turns a late reply into that template', () => {
    const p = load(
      'whatsapp:\n  window:\n    outside:\n      template: { name: reengagement_v1, language: en }\n',
    );
    const d = outboundPolicy(p.whatsapp, {
      now: at('2026-06-02'),
      lastInboundAt: at('2026-06-01') - 3_600_000,
      optedOut: false,
      optedIn: false,
      businessInitiated: false,
      reply: { content: { type: 'text', text: 'hi' } },
    });
    expect(d).toMatchObject({ action: 'transform', content: { name: 'reengagement_v1' } });
    expect(p.whatsapp.window?.hours).toBe(24);
  });

  it('a longer window keeps a 30-hour-old conversation open', () => {
    const p = load('whatsapp:\n  window: { hours: 48 }\n');
    const d = outboundPolicy(p.whatsapp, {
      now: at('2026-06-02'),
      lastInboundAt: at('2026-06-02') - 30 * 3_600_000,
      optedOut: false,
      optedIn: false,
      businessInitiated: false,
      reply: { content: { type: 'text', text: 'hi' } },
    });
    expect(d.reason).toBe('in_window');
  });

  it('rate limits, opt-in requirement, training use and confirmations are overridable', () => {
    const p = load(
      [
        'whatsapp:',
        '  requireOptInForBusinessInitiated: false',
        '  trainingUse: exclusive_fine_tune',
        '  rateLimits: { perAccount: { messages: 250, perSeconds: 1 }, perRecipient: null }',
        '  confirmations: { opt_out: { fr: "C’est noté." } }',
      ].join('\n'),
    );
    expect(p.whatsapp.requireOptInForBusinessInitiated).toBe(false);
    expect(p.whatsapp.trainingUse).toBe('exclusive_fine_tune');
    expect(p.whatsapp.rateLimits).toEqual({ perAccount: { messages: 250, perSeconds: 1 } });
    expect(p.whatsapp.confirmations.opt_out.fr).toBe('C’est noté.');
    expect(p.whatsapp.confirmations.opt_out.en).toBe(defaultPolicy().whatsapp.confirmations.opt_out.en);
  });

  it('reads JSON files too', () => {
    const p = loadPolicy(file('{ "webchat": { "scope": "general" } }', 'json'));
    expect(p.webchat.scope).toBe('general');
  });

  it('loads the example file of kb/', () => {
    const p = loadPolicy(EXAMPLE);
    expect(p.whatsapp.generalPurpose.map((c) => c.id)).toEqual([
      'BR-2026',
      'EU-EEA-2026',
      'IT-2026',
      'EU-EEA-2026-EXTENDED',
    ]);
    expect(p.whatsapp.window?.outside.template).toEqual({ name: 'reengagement_v1', language: 'en' });
    expect(p.whatsapp.templates).toHaveLength(6);
    expect(p.telegram.scope).toBe('general');
    expect(say(p, 'alto')).toBe('opt_out');
  });
});

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('expected a PolicyError');
}

describe('policy file: errors name the file and the key', () => {
  it.each([
    ['a misspelt key', 'whatsapp:\n  scpoe: general\n', 'whatsapp.scpoe: unknown key'],
    ['an unknown channel', 'signal:\n  scope: general\n', 'signal: unknown key'],
    ['a scope that does not exist', 'telegram:\n  scope: open\n', 'telegram.scope: '],
    [
      'a three-letter country code',
      'whatsapp:\n  generalPurpose:\n    add: [{ id: X, countries: [CHE], from: 2027-01-01 }]\n',
      'whatsapp.generalPurpose.add.0.countries.0: expected an ISO 3166-1 alpha-2 country code like "BR"',
    ],
    [
      'an end before the start',
      'whatsapp:\n  generalPurpose: [{ id: X, countries: [FR], from: 2026-05-01, until: 2026-04-01 }]\n',
      'whatsapp.generalPurpose.0.until: expected a date on or after "from"',
    ],
    [
      'a date that does not exist',
      'whatsapp:\n  generalPurpose: [{ id: X, countries: [FR], from: 2026-02-30 }]\n',
      'whatsapp.generalPurpose.0.from: expected a real calendar date',
    ],
    [
      'a date written with slashes',
      'telegram:\n  generalPurpose: [{ id: X, countries: [FR], from: "2026/01/01" }]\n',
      'telegram.generalPurpose.0.from: expected a date YYYY-MM-DD',
    ],
    [
      'a negative window',
      'whatsapp:\n  window: { hours: -1 }\n',
      'whatsapp.window.hours: expected a positive number of hours',
    ],
    [
      'removing a period that is not there',
      'whatsapp:\n  generalPurpose: { remove: [XX-2026] }\n',
      'whatsapp.generalPurpose.remove: "XX-2026" is not in the list',
    ],
    [
      'a word both opt-out and opt-in',
      'whatsapp:\n  optInWords: { add: [stop] }\n',
      'whatsapp.optOutWords: "STOP" is also an opt-in word',
    ],
    [
      'a window template the registry does not have',
      'whatsapp:\n  templates: [{ name: other, language: en, category: UTILITY }]\n  window: { outside: { template: { name: reengagement_v1, language: en } } }\n',
      'whatsapp.window.outside.template: 132001 Template name does not exist in the translation: template name (reengagement_v1) does not exist in en',
    ],
    [
      'a window template with the wrong parameters',
      'whatsapp:\n  templates: [{ name: hello, language: en, category: UTILITY, body: 1 }]\n  window: { outside: { template: { name: hello, language: en } } }\n',
      'whatsapp.window.outside.template: 132000',
    ],
    [
      'a template category that does not exist',
      'whatsapp:\n  templates: [{ name: hello, language: en, category: PROMO }]\n',
      'whatsapp.templates.0.category: ',
    ],
    [
      'a template name with capitals',
      'whatsapp:\n  templates: [{ name: Hello, language: en, category: UTILITY }]\n',
      'whatsapp.templates.0.name: expected lowercase letters, digits and _ (spec §2.2)',
    ],
    [
      'a word list of the wrong shape',
      'whatsapp:\n  optOutWords: STOP\n',
      'whatsapp.optOutWords: expected a list (replaces the default) or { add: [...], remove: [...] }',
    ],
  ])('%s', (_name, yaml, expected) => {
    const found = problems(yaml);
    expect(
      found.some((p) => p.includes(expected)),
      found.join('\n'),
    ).toBe(true);
    expect(found.every((p) => p.startsWith(dir))).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(problems('whatsapp:\n  scope: open\n  window: { hours: 0 }\ntelegram:\n  foo: 1\n')).toHaveLength(
      3,
    );
  });

  it('names a missing file', () => {
    expect(() => loadPolicy(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: file not found/);
  });

  it('names a file that is not YAML', () => {
    expect(() => loadPolicy(file('whatsapp: [unclosed\n'))).toThrow(/not valid YAML/);
  });
});
