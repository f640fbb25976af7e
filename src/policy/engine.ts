import type { MessageContent, TemplateContent } from '../core/content.ts';
import { CONFIRMATION_INTENTS } from './confirmations.ts';
import { describeCountry, type PersonCountry } from './country.ts';
import { describePeriod, formatAge, inPeriod, type OutboundReason, type PolicyDecision } from './decision.ts';
import type { PolicyProfile } from './profiles.ts';
import { findTemplate, templateContent, validateTemplate, type TemplateRef } from './templates.ts';

/**
 * The outbound policy: decides, for one message about to enter the outbox, whether it goes as is, is
 * turned into a template, is held for an operator, or is refused. Consent first (opt-out, opt-in),
 * then template checks, then the customer-service window (spec §3). Pure: every fact it needs is an
 * input, so the same decision can be replayed and explained.
 */

/** What the outbound policy needs to know about one message and its recipient. */
export interface OutboundInput {
  /** Unix ms. */
  now: number;
  /** The person's last message on this channel (the window clock), `null` if they never wrote. */
  lastInboundAt: number | null;
  /** Latest consent is an opt-out (see `consentState`). */
  optedOut: boolean;
  /** An opt-in is on record and not withdrawn. */
  optedIn: boolean;
  /** Not a reply to the person: a campaign, a notification, an operator's first message. */
  businessInitiated: boolean;
  reply: { content: MessageContent; intent?: string | undefined };
  country?: PersonCountry | undefined;
  /** The person's language, to pick the window template (`templateByLanguage`). */
  language?: string | undefined;
  /**
   * The provider refused a free-form send because the window had closed (WhatsApp 131047): it is
   * closed, whatever our clock says (clocks differ, and Meta's is the one that counts).
   */
  windowClosedByProvider?: boolean;
}

/**
 * Decides one outbound message:
 * - opted-out person: refused, except the opt-out confirmation sent as a reply inside the window;
 * - business-initiated without a recorded opt-in (where required): refused (`no_opt_in`);
 * - a template: checked against the registry (132000 family) and country pauses; never limited by the
 *   window;
 * - free-form inside the window (or on a channel without one): allowed; outside: turned into the
 *   configured template (`transform`), else held for an operator.
 */
export function outboundPolicy(profile: PolicyProfile, input: OutboundInput): PolicyDecision {
  return consentRule(profile, input) ?? templateRule(profile, input) ?? windowRule(profile, input);
}

/** Latest consent wins: the consent rows of one person on one channel, in any order. */
export function consentState(rows: readonly { kind: 'opt_in' | 'opt_out'; created_at: number }[]): {
  optedIn: boolean;
  optedOut: boolean;
} {
  const latest = [...rows].sort((a, b) => a.created_at - b.created_at).at(-1);
  return { optedIn: latest?.kind === 'opt_in', optedOut: latest?.kind === 'opt_out' };
}

function windowState(profile: PolicyProfile, input: OutboundInput) {
  const w = profile.window;
  if (!w) return { inside: true, text: `${profile.channel} has no customer-service window`, data: {} };
  const age = input.lastInboundAt === null ? null : input.now - input.lastInboundAt;
  const closed = input.windowClosedByProvider === true;
  const inside = !closed && age !== null && age < w.hours * 3_600_000;
  const when =
    age === null ? 'No message from the person yet' : `Last message from the person ${formatAge(age)} ago`;
  return {
    inside,
    text: closed
      ? `${when}, and the provider reported the ${w.hours}-hour window closed (error 131047): outside the window`
      : `${when}: ${inside ? 'inside' : 'outside'} the ${w.hours}-hour window`,
    data: {
      lastInboundAt: input.lastInboundAt,
      ageMs: age,
      windowHours: w.hours,
      ...(closed ? { windowClosedByProvider: true } : {}),
    },
  };
}

function consentRule(profile: PolicyProfile, input: OutboundInput): PolicyDecision | null {
  const ch = profile.channel;
  if (input.optedOut) {
    const isConfirmation = !input.businessInitiated && input.reply.intent === CONFIRMATION_INTENTS.opt_out;
    const win = windowState(profile, input);
    const data = {
      ...win.data,
      businessInitiated: input.businessInitiated,
      intent: input.reply.intent ?? null,
    };
    if (isConfirmation && win.inside) {
      return {
        action: 'allow',
        reason: 'opt_out_confirmation',
        rule: `${ch}.optOutWords`,
        data,
        explanation: `The person opted out: only this confirmation is sent (${ch}.optOutWords). ${win.text}.`,
      };
    }
    return {
      action: 'refuse',
      reason: 'opted_out',
      rule: `${ch}.optOutWords`,
      data,
      explanation: isConfirmation
        ? `The person opted out, but ${win.text.toLowerCase()}: no template is ever sent to an opted-out person, so the confirmation is dropped (${ch}.optOutWords).`
        : `The person opted out: ${input.businessInitiated ? 'business-initiated messages are' : 'nothing but the opt-out confirmation is'} sent until they opt in again (${ch}.optOutWords, ${ch}.optInWords).`,
    };
  }
  if (input.businessInitiated && profile.requireOptInForBusinessInitiated && !input.optedIn) {
    return {
      action: 'refuse',
      reason: 'no_opt_in',
      rule: `${ch}.requireOptInForBusinessInitiated`,
      data: { businessInitiated: true },
      explanation: `Business-initiated message to a person with no recorded opt-in: refused (${ch}.requireOptInForBusinessInitiated; spec §3, opt-in).`,
    };
  }
  return null;
}

/** Why a template may not be sent to this person now, or `null`. */
function templateProblem(
  profile: PolicyProfile,
  t: TemplateContent,
  input: OutboundInput,
): { reason: OutboundReason; rule: string; data: Record<string, unknown>; text: string } | null {
  const ch = profile.channel;
  const template = { name: t.name, language: t.language };
  const err = validateTemplate(t, profile.templates);
  if (err) {
    return {
      reason: 'template_invalid',
      rule: `${ch}.templates`,
      data: { template, code: err.code, title: err.title, details: err.details },
      text: `Template ${t.name} (${t.language}) refused locally with Meta's error ${err.code} (${err.title}): ${err.details}`,
    };
  }
  const category = findTemplate(profile.templates, t.name, t.language)!.category;
  const country = input.country;
  const pause = country
    ? profile.templatePauses.find(
        (p) => p.category === category && p.countries.includes(country.code) && inPeriod(p, input.now),
      )
    : undefined;
  if (!pause) return null;
  return {
    reason: 'template_category_paused',
    rule: `${ch}.templatePauses.${pause.id}`,
    data: { template, category, country: country!.code, pause: pause.id },
    text: `${category} template ${t.name} (${t.language}) to country ${describeCountry(country)}: Meta does not deliver this category there (${ch}.templatePauses.${pause.id}, ${describePeriod(pause)}). Source: ${pause.source}`,
  };
}

function templateRule(profile: PolicyProfile, input: OutboundInput): PolicyDecision | null {
  const t = input.reply.content;
  if (t.type !== 'template') return null;
  const ch = profile.channel;
  const template = { name: t.name, language: t.language };
  if (profile.templates.length === 0) {
    return {
      action: 'allow',
      reason: 'template_unchecked',
      rule: `${ch}.templates`,
      data: { template },
      explanation: `Template ${t.name} (${t.language}): templates are not limited by the window; not checked locally, as no approved templates are configured (${ch}.templates).`,
    };
  }
  const problem = templateProblem(profile, t, input);
  if (problem) {
    return {
      action: 'refuse',
      reason: problem.reason,
      rule: problem.rule,
      data: problem.data,
      explanation: `${problem.text}.`,
    };
  }
  const category = findTemplate(profile.templates, t.name, t.language)!.category;
  return {
    action: 'allow',
    reason: 'template_allowed',
    rule: `${ch}.templates`,
    data: { template, category },
    explanation: `Approved ${category} template ${t.name} (${t.language}), parameters match (${ch}.templates): templates are not limited by the window.`,
  };
}

/** The window template for the person's language, else the default one. */
function windowTemplate(profile: PolicyProfile, language: string | undefined): TemplateRef | null {
  const outside = profile.window?.outside;
  const primary = language?.split(/[-_]/)[0]?.toLowerCase();
  return (primary ? outside?.templateByLanguage?.[primary] : undefined) ?? outside?.template ?? null;
}

function windowRule(profile: PolicyProfile, input: OutboundInput): PolicyDecision {
  const ch = profile.channel;
  const win = windowState(profile, input);
  const intent = input.reply.intent ?? null;
  if (win.inside) {
    const declined = intent === 'out_of_scope' && profile.scope === 'business';
    return {
      action: 'allow',
      reason: declined ? 'out_of_scope_business' : profile.window ? 'in_window' : 'no_window',
      rule: declined ? `${ch}.scope` : `${ch}.window`,
      data: { ...win.data, intent },
      explanation: declined
        ? `The question was outside the business's scope: the assistant declined and offered a human (${ch}.scope, spec §4). ${win.text}.`
        : `${win.text}; free-form message allowed (${ch}.window).`,
    };
  }
  const ref = windowTemplate(profile, input.language);
  if (!ref) {
    return {
      action: 'hold',
      reason: 'outside_window_no_template',
      rule: `${ch}.window`,
      data: { ...win.data, intent },
      explanation: `${win.text}; no template is configured for this (${ch}.window.outside.template): held for an operator.`,
    };
  }
  const content = templateContent(ref);
  const problem = profile.templates.length > 0 ? templateProblem(profile, content, input) : null;
  if (problem) {
    return {
      action: 'hold',
      reason: problem.reason,
      rule: problem.rule,
      data: { ...win.data, ...problem.data, intent },
      explanation: `${win.text}; the configured template cannot be sent: ${problem.text}. Held for an operator.`,
    };
  }
  return {
    action: 'transform',
    reason: 'outside_window_template',
    rule: `${ch}.window`,
    content,
    data: { ...win.data, intent, template: { name: ref.name, language: ref.language } },
    explanation: `${win.text}; sent as template ${ref.name} (${ref.language}) instead (${ch}.window.outside.template).`,
  };
}
