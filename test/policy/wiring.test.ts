import { describe, expect, it } from 'vitest';
import { limitsFromProfile } from '../../src/outbox/dispatcher.ts';
import { confirmationLanguage } from '../../src/policy/confirmations.ts';
import { outboundPolicy } from '../../src/policy/engine.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { defaultPolicy } from '../../src/policy/profiles.ts';

// The pieces the message path added to the pure policy: the provider's word on the window, the
// language of a confirmation, and the send limits read from the profile.

const NOW = Date.parse('2026-06-01T12:00:00Z');
const H = 3_600_000;

describe('the window as the provider reports it', () => {
  const withTemplate = {
    ...defaultPolicy().whatsapp,
    window: { hours: 24, outside: { template: { name: 'reengagement_v1', language: 'en' } } },
  };
  const input = (over: { windowClosedByProvider?: boolean; lastInboundAt?: number }) => ({
    now: NOW,
    lastInboundAt: over.lastInboundAt ?? NOW - 2 * H,
    optedIn: false,
    optedOut: false,
    businessInitiated: false,
    reply: { content: { type: 'text' as const, text: 'Yes, we deliver.' } },
    ...(over.windowClosedByProvider !== undefined
      ? { windowClosedByProvider: over.windowClosedByProvider }
      : {}),
  });

  it('inside the window by our clock: allowed', () => {
    expect(outboundPolicy(withTemplate, input({})).action).toBe('allow');
  });

  it('after a 131047 the window is closed whatever our clock says: the template goes instead', () => {
    const d = outboundPolicy(withTemplate, input({ windowClosedByProvider: true }));
    expect(d).toMatchObject({ action: 'transform', reason: 'outside_window_template' });
    expect(d.explanation).toContain('the provider reported the 24-hour window closed (error 131047)');
    expect(d.data).toMatchObject({ windowClosedByProvider: true });
  });

  it('without a template, held for an operator', () => {
    const d = outboundPolicy(defaultPolicy().whatsapp, input({ windowClosedByProvider: true }));
    expect(d).toMatchObject({ action: 'hold', reason: 'outside_window_no_template' });
  });
});

describe('the language of an opt-out or opt-in confirmation', () => {
  it.each([
    ['ARRÊT', null, 'fr'],
    ['arret', 'en', 'fr'], // the word's own language wins over what we knew
    ['BAJA', null, 'es'],
    ['Parar', null, 'pt'],
    ['COMEÇAR', 'fr', 'pt'],
    ['STOP', 'fr', 'fr'], // English words are used everywhere: the person's language wins
    ['STOP', null, 'en'],
    ['CANCELAR', 'pt', 'pt'], // Spanish and Portuguese: the person's language decides
    ['CANCELAR', null, 'en'],
    ['ALTO', 'es', 'es'], // a word the operator added: the person's language
  ])('%s (person: %s) → %s', (word, person, expected) => {
    expect(confirmationLanguage(word, person)).toBe(expected);
  });
});

describe('send limits come from the policy profile', () => {
  it('WhatsApp: the configuration keys seed the profile, and the dispatcher reads the profile', () => {
    const p = loadPolicy(undefined, { whatsappMessagesPerSecond: 250, whatsappPairBurst: 10 });
    expect(p.whatsapp.rateLimits.perAccount).toEqual({ messages: 250, perSeconds: 1 });
    expect(limitsFromProfile(p.whatsapp)).toEqual({
      accountPerSecond: 250,
      recipient: { burst: 10, perSecond: 1 / 6 },
    });
  });

  it('Telegram: 30 per second for the bot, one per second per chat', () => {
    expect(limitsFromProfile(defaultPolicy().telegram)).toEqual({
      accountPerSecond: 30,
      recipient: { burst: 1, perSecond: 1 },
    });
  });

  it('a profile without send rates is refused with the channel named', () => {
    expect(() => limitsFromProfile(defaultPolicy().webchat)).toThrow(/webchat needs rateLimits/);
  });
});
