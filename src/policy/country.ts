import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * The person's country, as the policy engine needs it for the WhatsApp AI-provider carve-outs (spec
 * §4: Brazil, EU/EEA, Italy) and country rules on templates (spec §3: marketing to US numbers paused).
 * Pure: no I/O; libphonenumber-js only reads its bundled metadata.
 */

/**
 * The 27 EU member states and the 3 other EEA states (Iceland, Liechtenstein, Norway), ISO 3166-1
 * alpha-2 (Greece is `GR`, not the EU's `EL`). Outermost regions with their own ISO codes (Réunion
 * `RE`, Guadeloupe `GP`…) are left out: the default errs towards business scope, the safe side of
 * Meta's terms. An operator who reads the terms otherwise adds them in the policy file.
 */
// prettier-ignore
export const EU_EEA_COUNTRIES: readonly string[] = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT',
  'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
  'IS', 'LI', 'NO',
];

/** Where a country came from: the WhatsApp `country_code` profile field (spec §1.7) or the number. */
export type CountrySource = 'country_code' | 'phone_number';

/** The person's country: ISO 3166-1 alpha-2, upper case, and how we know it. */
export interface PersonCountry {
  code: string;
  source: CountrySource;
}

/** What a contact may tell us about its country: a `ContactAddress` fits, so does a store row mapped. */
export interface CountryHints {
  channel?: string;
  /** WhatsApp `contacts[].profile.country_code` (spec §1.7), ISO alpha-2. */
  countryCode?: string | null;
  /** WhatsApp id: the phone number's digits, without `+`. */
  waId?: string | null;
  /** The reply address: a phone number on WhatsApp, a chat id on Telegram, a BSUID… */
  address?: string | null;
}

const ISO_ALPHA2 = /^[A-Za-z]{2}$/;
const PHONE = /^\+?\d{6,15}$/;

/**
 * The country of an E.164 number (`+5511987654321` or its digits `5511987654321`), or `undefined` when
 * the number is not one or belongs to no country (`+800…`). Calling codes shared by several countries
 * (+1, +7, +39 with the Vatican, +47 with Svalbard) are resolved by the number's leading digits.
 */
export function countryFromPhone(number: string): string | undefined {
  const compact = number.replace(/[\s().-]/g, '');
  if (!PHONE.test(compact)) return undefined;
  const e164 = compact.startsWith('+') ? compact : `+${compact}`;
  return parsePhoneNumberFromString(e164)?.country;
}

/**
 * The person's country. The `country_code` field wins: it is WhatsApp's own statement, and it is all
 * there is for a user known only by a BSUID (spec §1.7). Otherwise the phone number: `waId`, or the
 * address when it is a phone number (on WhatsApp, or written with `+`): a Telegram chat id is digits
 * too, and must not be read as a number. `undefined` when neither tells.
 */
export function countryOf(hints: CountryHints): PersonCountry | undefined {
  const field = hints.countryCode?.trim();
  if (field && ISO_ALPHA2.test(field)) return { code: field.toUpperCase(), source: 'country_code' };
  const candidates = [
    hints.waId,
    hints.address?.startsWith('+') || hints.channel === 'whatsapp' ? hints.address : null,
  ];
  for (const c of candidates) {
    const code = c ? countryFromPhone(c) : undefined;
    if (code) return { code, source: 'phone_number' };
  }
  return undefined;
}

/** "FR (from the country_code field)": for explanations. */
export function describeCountry(c: PersonCountry | undefined): string {
  if (!c) return 'unknown country';
  return `${c.code} (from ${c.source === 'country_code' ? 'the country_code field' : 'the phone number'})`;
}
