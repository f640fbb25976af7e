import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/core/content.ts';
import { countryOf } from '../../src/policy/country.ts';
import { outboundPolicy, type OutboundInput } from '../../src/policy/engine.ts';
import { defaultPolicy, type PolicyProfile } from '../../src/policy/profiles.ts';
import type { ApprovedTemplate } from '../../src/policy/templates.ts';

// spec §3: free-form only inside the 24-hour customer-service window; templates any time.

const MIN = 60_000;
const H = 60 * MIN;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const text = (t: string): MessageContent => ({ type: 'text', text: t });

const REGISTRY: ApprovedTemplate[] = [
  { name: 'reengagement_v1', language: 'en', category: 'UTILITY' },
  { name: 'reengagement_v1', language: 'fr', category: 'UTILITY' },
  { name: 'spring_sale', language: 'en', category: 'MARKETING', body: 1 },
];

const base = defaultPolicy();
const whatsapp = base.whatsapp;
const withTemplate: PolicyProfile = {
  ...whatsapp,
  window: {
    hours: 24,
    outside: {
      template: { name: 'reengagement_v1', language: 'en' },
      templateByLanguage: { fr: { name: 'reengagement_v1', language: 'fr' } },
    },
  },
};
const withRegistry: PolicyProfile = { ...withTemplate, templates: REGISTRY };
const brokenTemplate: PolicyProfile = {
  ...withRegistry,
  window: { hours: 24, outside: { template: { name: 'reengagement_v9', language: 'en' } } },
};

function input(over: Partial<OutboundInput> = {}): OutboundInput {
  return {
    now: NOW,
    lastInboundAt: NOW - 2 * H,
    optedOut: false,
    optedIn: false,
    businessInitiated: false,
    reply: { content: text('Our shop opens at 9.'), intent: 'answer' },
    ...over,
  };
}

const cases: [string, PolicyProfile, Partial<OutboundInput>, string, string][] = [
  ['a reply 23 h 59 min after the last message goes as free-form', whatsapp, { lastInboundAt: NOW - (24 * H - MIN) }, 'allow', 'in_window'],
  ['a reply 24 h 01 min after the last message is held when no template is configured', whatsapp, { lastInboundAt: NOW - (24 * H + MIN) }, 'hold', 'outside_window_no_template'],
  ['a reply 24 h 01 min after the last message becomes the configured template', withTemplate, { lastInboundAt: NOW - (24 * H + MIN) }, 'transform', 'outside_window_template'],
  ['a reply exactly 24 h after the last message is outside the window', whatsapp, { lastInboundAt: NOW - 24 * H }, 'hold', 'outside_window_no_template'],
  ['a free-form message to a person who never wrote is outside the window', withTemplate, { lastInboundAt: null }, 'transform', 'outside_window_template'],
  ['an out-of-scope decline inside the window is sent, explained as business scope', whatsapp, { reply: { content: text('Sorry…'), intent: 'out_of_scope' } }, 'allow', 'out_of_scope_business'],
  ['an out-of-scope decline outside the window still follows the window rule', whatsapp, { lastInboundAt: NOW - 30 * H, reply: { content: text('Sorry…'), intent: 'out_of_scope' } }, 'hold', 'outside_window_no_template'],
  ['Telegram has no window: free-form three days later is allowed', base.telegram, { lastInboundAt: NOW - 72 * H }, 'allow', 'no_window'],
  ['web chat has no window', base.webchat, { lastInboundAt: null }, 'allow', 'no_window'],
  ['a template outside the window is allowed when it matches the registry', withRegistry, { lastInboundAt: NOW - 72 * H, reply: { content: { type: 'template', name: 'reengagement_v1', language: 'en' } } }, 'allow', 'template_allowed'],
  ['a template is allowed unchecked when no registry is configured', whatsapp, { lastInboundAt: null, reply: { content: { type: 'template', name: 'anything', language: 'en' } } }, 'allow', 'template_unchecked'],
  ['a template with the wrong parameters is refused locally', withRegistry, { reply: { content: { type: 'template', name: 'spring_sale', language: 'en' } } }, 'refuse', 'template_invalid'],
  ['a marketing template to a US number is refused (paused since 2025-04-01)', withRegistry, { country: countryOf({ address: '+14155550123' }), reply: { content: { type: 'template', name: 'spring_sale', language: 'en', body: [{ type: 'text', text: '20%' }] } } }, 'refuse', 'template_category_paused'],
  ['the same marketing template to a French number is allowed', withRegistry, { country: countryOf({ address: '+33612345678' }), reply: { content: { type: 'template', name: 'spring_sale', language: 'en', body: [{ type: 'text', text: '20%' }] } } }, 'allow', 'template_allowed'],
  ['a configured window template missing from the registry holds the reply', brokenTemplate, { lastInboundAt: NOW - 30 * H }, 'hold', 'template_invalid'],
]; // prettier-ignore

describe('outbound policy: the customer-service window', () => {
  it.each(cases)('%s', (_name, profile, over, action, reason) => {
    const d = outboundPolicy(profile, input(over));
    expect({ action: d.action, reason: d.reason }).toEqual({ action, reason });
  });

  it('explains a transform with the age, the window and the template', () => {
    const d = outboundPolicy(withTemplate, input({ lastInboundAt: NOW - 26 * H }));
    expect(d.explanation).toBe(
      'Last message from the person 26 h ago: outside the 24-hour window; sent as template reengagement_v1 (en) instead (whatsapp.window.outside.template).',
    );
    expect(d.content).toEqual({ type: 'template', name: 'reengagement_v1', language: 'en' });
    expect(d.rule).toBe('whatsapp.window');
    expect(d.data).toMatchObject({ windowHours: 24, ageMs: 26 * H, template: { name: 'reengagement_v1' } });
  });

  it('picks the window template in the person language when one is configured', () => {
    const d = outboundPolicy(withTemplate, input({ lastInboundAt: null, language: 'fr-FR' }));
    expect(d.content).toMatchObject({ name: 'reengagement_v1', language: 'fr' });
  });

  it('explains a hold by naming the missing setting', () => {
    const d = outboundPolicy(whatsapp, input({ lastInboundAt: NOW - (24 * H + MIN) }));
    expect(d.explanation).toBe(
      'Last message from the person 24 h 1 min ago: outside the 24-hour window; no template is configured for this (whatsapp.window.outside.template): held for an operator.',
    );
  });

  it('fills the window template parameters from the configuration', () => {
    const profile: PolicyProfile = {
      ...whatsapp,
      window: {
        hours: 24,
        outside: { template: { name: 'reply_ready', language: 'en', parameters: ['Cycles Dupont'] } },
      },
    };
    const d = outboundPolicy(profile, input({ lastInboundAt: null }));
    expect(d.content).toEqual({
      type: 'template',
      name: 'reply_ready',
      language: 'en',
      body: [{ type: 'text', text: 'Cycles Dupont' }],
    });
  });
});
