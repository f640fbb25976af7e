import { describe, expect, it } from 'vitest';
import { countryOf, EU_EEA_COUNTRIES, type CountryHints } from '../../src/policy/country.ts';
import { defaultPolicy } from '../../src/policy/profiles.ts';
import { scopeFor } from '../../src/policy/scope.ts';

// spec §4: general-purpose AI assistants only where Meta must allow them — Brazil from 2026-03-11,
// EU/EEA 2026-03-11 to 2026-05-12, Italy 2026-02-16 to 2026-05-12; business scope everywhere else.

const { whatsapp, telegram, webchat } = defaultPolicy();
const at = (iso: string) => Date.parse(iso.length === 10 ? `${iso}T12:00:00Z` : iso);

const countries: [string, CountryHints, string | undefined, string?][] = [
  ['a Brazilian E.164 number is BR', { address: '+5511987654321' }, 'BR', 'phone_number'],
  ['a WhatsApp id (digits without +) is read as a number', { channel: 'whatsapp', address: '33612345678', waId: '33612345678' }, 'FR'],
  ['an Italian mobile number is IT', { address: '+393123456789' }, 'IT'],
  ['a Vatican number shares +39 but is not Italy', { address: '+390669812345' }, 'VA'],
  ['+1 613 is Canada, not the US', { address: '+16135550123' }, 'CA'],
  ['+1 415 is the US', { address: '+14155550123' }, 'US'],
  ['the country_code field overrides the number', { address: '+33612345678', countryCode: 'br' }, 'BR', 'country_code'],
  ['a user known only by a BSUID has the country_code field', { channel: 'whatsapp', address: 'user.93731', countryCode: 'PT' }, 'PT', 'country_code'],
  ['a Telegram chat id is digits but not a phone number', { channel: 'telegram', address: '5511987654321' }, undefined],
  ['nothing known: no country', { channel: 'webchat', address: 'visitor-1' }, undefined],
]; // prettier-ignore

describe('country of a person', () => {
  it.each(countries)('%s', (_name, hints, code, source) => {
    const c = countryOf(hints);
    expect(c?.code).toBe(code);
    if (source) expect(c?.source).toBe(source);
  });

  it('lists the 27 EU and 3 other EEA states', () => {
    expect(new Set(EU_EEA_COUNTRIES).size).toBe(30);
    expect(EU_EEA_COUNTRIES).toEqual(expect.arrayContaining(['FR', 'DE', 'IT', 'GR', 'IS', 'LI', 'NO']));
    expect(EU_EEA_COUNTRIES).not.toContain('GB');
    expect(EU_EEA_COUNTRIES).not.toContain('CH');
  });
});

const BR = { address: '+5511987654321' };
const FR = { address: '+33612345678' };
const IT = { address: '+393123456789' };
const US = { address: '+14155550123' };

const scopes: [string, CountryHints, string, string, string][] = [
  ['a Brazilian number the day before 2026-03-11 is business-scoped', BR, '2026-03-10T23:59:59Z', 'business', 'business_scope'],
  ['a Brazilian number from 2026-03-11 is general-purpose', BR, '2026-03-11T00:00:00Z', 'general', 'general_purpose_allowed_country'],
  ['a Brazilian number has no end date', BR, '2027-06-01', 'general', 'general_purpose_allowed_country'],
  ['a French number on 2026-04-01 is general-purpose (EU/EEA period)', FR, '2026-04-01', 'general', 'general_purpose_allowed_country'],
  ['a French number on the last day, 2026-05-12, is general-purpose', FR, '2026-05-12T23:59:59Z', 'general', 'general_purpose_allowed_country'],
  ['a French number on 2026-05-13 is business-scoped', FR, '2026-05-13T00:00:00Z', 'business', 'business_scope'],
  ['a French number on 2026-06-01 is business-scoped', FR, '2026-06-01', 'business', 'business_scope'],
  ['a French number on 2026-02-20 is business-scoped (before the EU period)', FR, '2026-02-20', 'business', 'business_scope'],
  ['an Italian number on 2026-02-20 is general-purpose (Italy period)', IT, '2026-02-20', 'general', 'general_purpose_allowed_country'],
  ['an Italian number on 2026-02-15 is business-scoped', IT, '2026-02-15', 'business', 'business_scope'],
  ['a US number is business-scoped', US, '2026-04-01', 'business', 'business_scope'],
  ['the country_code field overrides the number: BR field, French number', { ...FR, countryCode: 'BR' }, '2026-06-01', 'general', 'general_purpose_allowed_country'],
  ['the country_code field overrides the number: US field, Brazilian number', { ...BR, countryCode: 'US' }, '2026-06-01', 'business', 'business_scope'],
  ['an unknown country is business-scoped', { channel: 'whatsapp', address: 'user.1' }, '2026-04-01', 'business', 'country_unknown'],
]; // prettier-ignore

describe('scope on WhatsApp by country and date', () => {
  it.each(scopes)('%s', (_name, hints, when, scope, reason) => {
    const d = scopeFor(whatsapp, { country: countryOf(hints), now: at(when) });
    expect({ scope: d.scope, reason: d.reason }).toEqual({ scope, reason });
  });

  it('names the period, its dates, its source and the country in the explanation', () => {
    const d = scopeFor(whatsapp, { country: countryOf(BR), now: at('2026-04-01') });
    expect(d.rule).toBe('whatsapp.generalPurpose.BR-2026');
    expect(d.data).toMatchObject({
      country: 'BR',
      countrySource: 'phone_number',
      carveOut: 'BR-2026',
      day: '2026-04-01',
    });
    expect(d.explanation).toContain(
      'Country BR (from the phone number) is in the general-purpose period BR-2026 (from 2026-03-11)',
    );
    expect(d.explanation).toContain('ai-providers');
  });

  it('says which period has ended when a country is back to business scope', () => {
    const d = scopeFor(whatsapp, { country: countryOf(FR), now: at('2026-06-01') });
    expect(d.explanation).toBe(
      'Country FR (from the phone number): outside its general-purpose period EU-EEA-2026 (2026-03-11 to 2026-05-12) on 2026-06-01; whatsapp is business-scoped (whatsapp.scope, spec §4): out-of-scope questions are declined with a human offered.',
    );
  });

  it('Telegram and web chat are business-scoped by default, without country periods', () => {
    for (const p of [telegram, webchat]) {
      expect(scopeFor(p, { country: countryOf(BR), now: at('2026-04-01') }).scope).toBe('business');
    }
  });

  it('a channel configured general-purpose is general for everyone', () => {
    const d = scopeFor({ ...telegram, scope: 'general' }, { country: countryOf(US), now: at('2026-04-01') });
    expect({ scope: d.scope, reason: d.reason }).toEqual({
      scope: 'general',
      reason: 'general_scope_channel',
    });
  });
});
