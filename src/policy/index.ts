/**
 * The policy engine: each platform's rules as data (`profiles.ts`, overridable by a file through
 * `loadPolicy`), pure decisions with reasons and explanations (`inbound.ts`, `scope.ts`, `engine.ts`),
 * the template registry check (`templates.ts`) and the audit shape (`audit.ts`). See docs/policy.md.
 */
export { toAuditEntry, auditAction, type AuditableDecision, type AuditSubject } from './audit.ts';
export {
  confirmation,
  confirmationLanguage,
  CONFIRMATION_INTENTS,
  DEFAULT_CONFIRMATIONS,
  type ConfirmationKind,
  type Confirmations,
} from './confirmations.ts';
export {
  countryFromPhone,
  countryOf,
  describeCountry,
  EU_EEA_COUNTRIES,
  type CountryHints,
  type PersonCountry,
} from './country.ts';
export type {
  InboundSignal,
  PolicyAction,
  PolicyDecision,
  ReasonCode,
  ScopeDecision,
  OutboundReason,
  ScopeReason,
  InboundReason,
  RateReason,
} from './decision.ts';
export { consentState, outboundPolicy, type OutboundInput } from './engine.ts';
export { inboundPolicy, normaliseKeyword, senderRatePolicy } from './inbound.ts';
export { loadPolicy, parsePolicy, PolicyError } from './load.ts';
export {
  defaultPolicy,
  HANDOFF_CHOICE_ID,
  WHATSAPP_CARVE_OUTS,
  type CarveOut,
  type CategoryPause,
  type Policy,
  type PolicyProfile,
  type PolicySeed,
  type Rate,
  type RateLimits,
  type Scope,
  type TrainingUse,
  type WindowRule,
} from './profiles.ts';
export { scopeFor } from './scope.ts';
export {
  findTemplate,
  templateContent,
  TEMPLATE_ERROR_TITLES,
  validateTemplate,
  type ApprovedTemplate,
  type TemplateError,
  type TemplateRef,
} from './templates.ts';
