import type { MessageContent } from '../core/content.ts';
import type { Scope } from './profiles.ts';

/**
 * Decisions are values: what the policy decided, why (a stable reason code for machines and
 * dashboards), an English explanation naming the rule and the data it used (for operators and
 * `passerelle policy explain`), the rule's key in the policy file, and that data as an object for the
 * audit log. Data never holds message text: ids, times, counts, countries and template names only.
 */

/** Why an outbound message may go, is changed, waits, or is stopped. */
export type OutboundReason =
  | 'in_window'
  | 'no_window'
  | 'out_of_scope_business'
  | 'outside_window_template'
  | 'outside_window_no_template'
  | 'opted_out'
  | 'opt_out_confirmation'
  | 'no_opt_in'
  | 'template_allowed'
  | 'template_unchecked'
  | 'template_invalid'
  | 'template_category_paused';

/** Which scope the assistant works in for this person, and why. */
export type ScopeReason =
  'general_scope_channel' | 'general_purpose_allowed_country' | 'business_scope' | 'country_unknown';

/** What an inbound message means for the policy. */
export type InboundReason =
  'opt_out_word' | 'opt_in_word' | 'escalation_word' | 'escalation_button' | 'no_keyword';

/** Inbound rate per person (web chat visitors). */
export type RateReason = 'within_rate' | 'rate_limited';

export type ReasonCode = OutboundReason | ScopeReason | InboundReason | RateReason;

/** What every decision carries for the audit log and `policy explain`. */
export interface Explained<R extends ReasonCode = ReasonCode> {
  reason: R;
  /** English, one or two sentences: the rule and the data it used. */
  explanation: string;
  /** The rule's key in the policy file (`whatsapp.window`, `whatsapp.generalPurpose.BR-2026`…). */
  rule: string;
  /** The data the rule used: never message text. */
  data: Record<string, unknown>;
}

/** `allow` as is; `transform` into `content` (free-form → template); `hold` for an operator; `refuse`. */
export type PolicyAction = 'allow' | 'transform' | 'hold' | 'refuse';

/** The decision on one outbound message (or one inbound, for the rate guard). */
export interface PolicyDecision extends Explained<OutboundReason | RateReason> {
  action: PolicyAction;
  /** For `transform`: what to send instead. */
  content?: MessageContent;
}

/** The assistant's scope for one person now: out-of-scope questions never reach a model where `business`. */
export interface ScopeDecision extends Explained<ScopeReason> {
  scope: Scope;
}

/** What an inbound message asks of the policy: the pipeline acts before asking the assistant. */
export interface InboundSignal extends Explained<InboundReason> {
  kind: 'opt_out' | 'opt_in' | 'escalate' | 'none';
  /** The configured word or button id that matched, as written in the profile. */
  word?: string;
}

const DAY_MS = 86_400_000;

/** Start of a `YYYY-MM-DD` day, UTC, in Unix ms. */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** Whether `now` falls in `[from, until]` (days, UTC, both inclusive; no `until`: open-ended). */
export function inPeriod(period: { from: string; until?: string }, now: number): boolean {
  return (
    now >= dayStart(period.from) && (period.until === undefined || now < dayStart(period.until) + DAY_MS)
  );
}

/** `2026-03-11`: the UTC day of a time, for explanations. */
export const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** "2026-03-11 to 2026-05-12", "from 2026-03-11". */
export const describePeriod = (p: { from: string; until?: string }): string =>
  p.until ? `${p.from} to ${p.until}` : `from ${p.from}`;

/** "26 h", "23 h 59 min", "4 min", "less than a minute": an age for explanations (rounded down). */
export function formatAge(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
