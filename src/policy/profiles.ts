import type { ChannelName } from '../core/channel.ts';
import { DEFAULT_CONFIRMATIONS, type Confirmations } from './confirmations.ts';
import { EU_EEA_COUNTRIES } from './country.ts';
import type { ApprovedTemplate, TemplateCategory, TemplateRef } from './templates.ts';

/**
 * Policy profiles: each channel's rules as data. The defaults below are what ships; a policy file
 * (`load.ts`) overrides any of them, so that when a platform changes its rules again (a new country
 * period, a new opt-out word, a scope change) the operator edits a file, not code. Pure data.
 */

/** `business`: the assistant answers about the business only; `general`: any question (spec §4). */
export type Scope = 'business' | 'general';

/**
 * Where a business-scoped channel may nevertheless offer a general-purpose assistant: recipient
 * countries and a date range (UTC days, `from` and `until` both inclusive; no `until`: open-ended).
 */
export interface CarveOut {
  /** Stable name, used in explanations, the audit log and `remove:` in the policy file. */
  id: string;
  /** ISO 3166-1 alpha-2 codes. */
  countries: string[];
  /** First day, `YYYY-MM-DD`. */
  from: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  until?: string;
  /** Where the rule comes from, for `docs/policy.md` and explanations. */
  source: string;
}

/** A template category Meta does not deliver to some countries for a period (spec §3). */
export interface CategoryPause {
  id: string;
  category: TemplateCategory;
  countries: string[];
  from: string;
  until?: string;
  source: string;
}

/** The customer-service window (spec §3): free-form only inside it. */
export interface WindowRule {
  hours: number;
  outside: {
    /** Sent instead of a free-form reply outside the window; `null`: the reply is held. */
    template: TemplateRef | null;
    /** The same purpose in other languages, by primary language subtag (`fr`, `pt`). */
    templateByLanguage?: Record<string, TemplateRef>;
  };
}

/** A rate: `messages` per `perSeconds`; `burst` lets a token bucket start full with that many. */
export interface Rate {
  messages: number;
  perSeconds: number;
  burst?: number;
}

/** Send and receive rates, as data for the dispatcher's token buckets and the inbound guard. */
export interface RateLimits {
  /** Outbound, per business account (WhatsApp phone number, Telegram bot). */
  perAccount?: Rate;
  /** Outbound, per person (WhatsApp pair limit, Telegram chat). */
  perRecipient?: Rate;
  /** Outbound, per group chat. */
  perGroup?: Rate;
  /** Inbound, per person: more than this is not answered automatically (cost and abuse guard). */
  perSender?: Rate;
}

/**
 * What the platform's terms let us do with its conversation data for model training. WhatsApp:
 * `forbidden` (spec §4, Business Platform Data); `exclusive_fine_tune` is the terms' exception for a
 * model for the business's exclusive use, an operator's choice; `operator_decides`: no platform rule.
 */
export type TrainingUse = 'forbidden' | 'exclusive_fine_tune' | 'operator_decides';

/** One channel's rules. */
export interface PolicyProfile {
  channel: ChannelName;
  scope: Scope;
  /** Exceptions to `scope: business`, by country and date. */
  generalPurpose: CarveOut[];
  /** `null`: the channel has no customer-service window. */
  window: WindowRule | null;
  /** A whole message equal to one of these (case and accents ignored) opts the person out. */
  optOutWords: readonly string[];
  optInWords: readonly string[];
  /** A whole message equal to one of these asks for a human. */
  escalationWords: readonly string[];
  /** Button ids that ask for a human (the assistant's "talk to a person" button). */
  escalationChoiceIds: string[];
  /** Business-initiated messages only to people with a recorded opt-in (spec §3). */
  requireOptInForBusinessInitiated: boolean;
  trainingUse: TrainingUse;
  rateLimits: RateLimits;
  /** Approved templates (WhatsApp); empty: template sends are not checked locally. */
  templates: ApprovedTemplate[];
  templatePauses: CategoryPause[];
  confirmations: Confirmations;
}

/** Every channel's profile. */
export type Policy = Record<ChannelName, PolicyProfile>;

/**
 * spec §4: Meta's "AI Providers" pricing page ("Updated Sep 1, 2026"; secondary: quoted in research
 * notes, check the live page). Background: antitrust actions in Brazil (CADE), the EU and Italy (AGCM).
 */
const AI_PROVIDERS_PAGE =
  'Meta, WhatsApp pricing, AI Providers: developers.facebook.com/docs/whatsapp/pricing/ai-providers';

/** The countries and periods where Meta must allow general-purpose AI assistants (spec §4). */
export const WHATSAPP_CARVE_OUTS: readonly CarveOut[] = [
  { id: 'BR-2026', countries: ['BR'], from: '2026-03-11', source: AI_PROVIDERS_PAGE },
  {
    id: 'EU-EEA-2026',
    countries: [...EU_EEA_COUNTRIES],
    from: '2026-03-11',
    until: '2026-05-12',
    source: AI_PROVIDERS_PAGE,
  },
  { id: 'IT-2026', countries: ['IT'], from: '2026-02-16', until: '2026-05-12', source: AI_PROVIDERS_PAGE },
];

/** Whole-message opt-out words; `CANCEL` is left out on purpose (too often about an order). */
// prettier-ignore
export const DEFAULT_OPT_OUT_WORDS: readonly string[] = [
  'STOP', 'STOP ALL', 'UNSUBSCRIBE', 'ARRÊT', 'ARRET', 'DÉSABONNER', 'DÉSINSCRIRE',
  'BAJA', 'DAR DE BAJA', 'PARAR', 'CANCELAR', 'DESCADASTRAR',
];

/** Whole-message words that undo an opt-out; the confirmations name one per language. */
// prettier-ignore
export const DEFAULT_OPT_IN_WORDS: readonly string[] = [
  'START', 'UNSTOP', 'SUBSCRIBE', 'REPRENDRE', 'ALTA', 'DAR DE ALTA', 'COMEÇAR',
];

/**
 * What asks for a person: single words alone, phrases of several words anywhere in a message. The
 * offline assistant's `HUMAN_WORDS` are the single words and short phrases it recognises itself.
 */
// prettier-ignore
export const DEFAULT_ESCALATION_WORDS: readonly string[] = [
  'human', 'agent', 'person', 'operator', 'talk to a person', 'talk to a human', 'speak to a person',
  'speak to a human', 'talk to someone', 'real person',
  'humain', 'conseiller', "parler à quelqu'un", 'parler à un humain', 'parler à une personne',
  'parler à un conseiller',
  'humano', 'persona', 'agente', 'hablar con alguien', 'hablar con una persona', 'hablar con un agente',
  'pessoa', 'atendente', 'falar com alguém', 'falar com uma pessoa', 'falar com um atendente',
  'mensch', 'mitarbeiter', 'mit jemandem reden', 'mit jemandem sprechen', 'mit einem menschen sprechen',
  'mit einem mitarbeiter sprechen',
  'operatore', 'parla con qualcuno', 'parlare con qualcuno', 'parlare con una persona',
  'parlare con un operatore',
];

/** The offline assistant's "talk to a person" button (`HANDOFF_CHOICE` in `assistant/kb/assistant.ts`). */
export const HANDOFF_CHOICE_ID = 'handoff:request';

const common = () => ({
  generalPurpose: [] as CarveOut[],
  optOutWords: [...DEFAULT_OPT_OUT_WORDS],
  optInWords: [...DEFAULT_OPT_IN_WORDS],
  escalationWords: [...DEFAULT_ESCALATION_WORDS],
  escalationChoiceIds: [HANDOFF_CHOICE_ID],
  templates: [] as ApprovedTemplate[],
  templatePauses: [] as CategoryPause[],
  confirmations: structuredClone(DEFAULT_CONFIRMATIONS),
});

/** Configuration keys that seed the defaults (a policy file still overrides them). */
export interface PolicySeed {
  /** `WHATSAPP_MESSAGES_PER_SECOND`: the phone number's throughput (spec §3). */
  whatsappMessagesPerSecond?: number;
  /** `WHATSAPP_PAIR_BURST`: messages one recipient may get at once before 1 per 6 s (spec §3). */
  whatsappPairBurst?: number;
}

/**
 * The shipped defaults, a fresh copy each call (callers may change theirs). Sources: spec §3 (window,
 * opt-in, throughput 80 mps, pair limit 1 per 6 s), spec §4 (scope, carve-outs, training data);
 * Telegram's Bot FAQ ("more than one message per second in a particular chat", 30 per second in
 * bulk, 20 per minute in a group); the web chat's limit is Passerelle's own guard.
 */
export function defaultPolicy(seed: PolicySeed = {}): Policy {
  const perSecond = seed.whatsappMessagesPerSecond ?? 80;
  const pairBurst = seed.whatsappPairBurst ?? 6;
  return {
    whatsapp: {
      ...common(),
      channel: 'whatsapp',
      scope: 'business',
      generalPurpose: WHATSAPP_CARVE_OUTS.map((c) => ({ ...c, countries: [...c.countries] })),
      window: { hours: 24, outside: { template: null } },
      requireOptInForBusinessInitiated: true,
      trainingUse: 'forbidden',
      // Seeded from WHATSAPP_MESSAGES_PER_SECOND / WHATSAPP_PAIR_BURST; the dispatcher reads these.
      rateLimits: {
        perAccount: { messages: perSecond, perSeconds: 1 },
        perRecipient: { messages: 1, perSeconds: 6, burst: pairBurst },
      },
      templatePauses: [
        {
          id: 'US-MARKETING-2025',
          category: 'MARKETING',
          countries: ['US'],
          from: '2025-04-01',
          source: 'Meta, per-user marketing limits: doc/per-user-limits.md (spec §3)',
        },
      ],
    },
    telegram: {
      ...common(),
      channel: 'telegram',
      scope: 'business',
      window: null,
      requireOptInForBusinessInitiated: false,
      trainingUse: 'operator_decides',
      rateLimits: {
        perAccount: { messages: 30, perSeconds: 1 },
        perRecipient: { messages: 1, perSeconds: 1 },
        perGroup: { messages: 20, perSeconds: 60 },
      },
    },
    webchat: {
      ...common(),
      channel: 'webchat',
      scope: 'business',
      window: null,
      requireOptInForBusinessInitiated: false,
      trainingUse: 'operator_decides',
      rateLimits: { perSender: { messages: 10, perSeconds: 60 } },
    },
  };
}
