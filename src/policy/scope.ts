import { describeCountry, type PersonCountry } from './country.ts';
import { dayOf, describePeriod, inPeriod, type ScopeDecision } from './decision.ts';
import type { PolicyProfile } from './profiles.ts';

/**
 * Which scope the assistant works in for this person, now. Since 15 Jan 2026 WhatsApp's terms forbid
 * general-purpose AI assistants on the Business Platform except where Meta must allow them: Brazil from
 * 11 Mar 2026, the EU/EEA from 11 Mar to 12 May 2026, Italy from 16 Feb to 12 May 2026 (spec §4). A
 * business-scoped assistant declines out-of-scope questions and offers a human, and such questions
 * never reach a model. The pipeline calls this before the assistant and passes the scope on (the LLM
 * assistant's `businessScoped`). Pure.
 *
 * Unknown country → business scope: a carve-out is an exception and is never assumed.
 */
export function scopeFor(
  profile: PolicyProfile,
  input: { country?: PersonCountry | undefined; now: number },
): ScopeDecision {
  const ch = profile.channel;
  const day = dayOf(input.now);
  const country = input.country;
  const base = { country: country?.code ?? null, countrySource: country?.source ?? null, day };
  if (profile.scope === 'general') {
    return {
      scope: 'general',
      reason: 'general_scope_channel',
      rule: `${ch}.scope`,
      data: base,
      explanation: `${ch} is configured general-purpose (${ch}.scope): any question may reach the assistant.`,
    };
  }
  if (!country) {
    return {
      scope: 'business',
      reason: 'country_unknown',
      rule: `${ch}.scope`,
      data: base,
      explanation: `The person's country is unknown (no country_code, no phone number): ${ch} stays business-scoped (${ch}.scope); out-of-scope questions are declined with a human offered.`,
    };
  }
  const forCountry = profile.generalPurpose.filter((c) => c.countries.includes(country.code));
  const open = forCountry.find((c) => inPeriod(c, input.now));
  if (open) {
    return {
      scope: 'general',
      reason: 'general_purpose_allowed_country',
      rule: `${ch}.generalPurpose.${open.id}`,
      data: { ...base, carveOut: open.id },
      explanation: `Country ${describeCountry(country)} is in the general-purpose period ${open.id} (${describePeriod(open)}) on ${day} (${ch}.generalPurpose): a general-purpose assistant is allowed. Source: ${open.source}.`,
    };
  }
  const past = forCountry.map((c) => `${c.id} (${describePeriod(c)})`);
  return {
    scope: 'business',
    reason: 'business_scope',
    rule: `${ch}.scope`,
    data: { ...base, carveOutsForCountry: forCountry.map((c) => c.id) },
    explanation:
      `Country ${describeCountry(country)}: ` +
      (past.length
        ? `outside its general-purpose period ${past.join(', ')} on ${day}`
        : `no general-purpose period applies on ${day}`) +
      `; ${ch} is business-scoped (${ch}.scope, spec §4): out-of-scope questions are declined with a human offered.`,
  };
}
