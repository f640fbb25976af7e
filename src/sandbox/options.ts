import type { SandboxClock } from './clock.ts';
import type { SandboxTemplate } from './templates.ts';
import type { UserInput } from './state.ts';

/** A pino-compatible logger (Fastify's `app.log` fits). */
export interface SandboxLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Delays of the automatic status webhooks after a send, in sandbox ms; `null` = never automatic. */
export interface StatusDelays {
  sent: number;
  delivered: number | null;
  read: number | null;
}

/**
 * Behaviour that tests and the phone page may change while the sandbox runs (`sandbox.configure`,
 * `PATCH <base>/api/settings`). Every field has a default; see `DEFAULT_SETTINGS`.
 */
export interface SandboxSettings {
  /** Where webhooks go; none = webhooks are only logged. */
  webhookUrl: string | undefined;
  /** Free-form send outside the 24-hour window: `async` = 200 then a `failed` 131047 status (Meta's usual); `sync` = HTTP 400. */
  windowMode: 'async' | 'sync';
  /** Messages per second per business number before 130429 (spec §3: 80 by default). */
  throughputPerSecond: number;
  /** Pair rate limit (131056): one message per `perSeconds` per recipient, `burst` borrowable; `null` = off. */
  pairRate: { perSeconds: number; burst: number } | null;
  /** Per-user marketing cap (131049, asynchronous): at most `perUser` marketing templates per rolling `perMs`; `null` = off. */
  marketingCap: { perUser: number; perMs: number } | null;
  statusDelaysMs: StatusDelays;
  /** spec §1.5 "read implies delivered": when an automatic read is due, send no `delivered` webhook. */
  skipDeliveredOnRead: boolean;
  /** Back-off for failed webhook POSTs: attempt n waits `baseDelayMs × 2^(n-1)` sandbox ms. */
  webhookRetry: { baseDelayMs: number; maxAttempts: number };
  /** A webhook POST that takes longer (real ms) counts as failed and is retried. */
  webhookTimeoutMs: number;
  /** Extra copies of every webhook POST (0 = each body once; 1 = each body twice…), to test de-duplication. */
  duplicates: number;
  /** Items raised within this many sandbox ms go out in one POST (0 = one POST each). */
  batchWindowMs: number;
  /** Business-scoped user ids and usernames in webhooks and `to` (spec §1.7). */
  bsuid: boolean;
  /** A send to a number no simulated user has: `create` a user for it, or fail it with 131026. */
  unknownRecipients: 'create' | 'undeliverable';
  /** Category of templates not in the registry (drives `pricing.category` and the marketing cap). */
  defaultTemplateCategory: 'marketing' | 'utility' | 'authentication';
}

/** A partial settings update; status delays may be given one by one. */
export type SettingsPatch = Partial<Omit<SandboxSettings, 'statusDelaysMs'>> & {
  statusDelaysMs?: Partial<StatusDelays>;
};

/** Everything `createSandbox` and `startSandbox` accept. Only the four credentials and the number id are required. */
export interface SandboxOptions extends SettingsPatch {
  /** Signs webhooks (`X-Hub-Signature-256`). */
  appSecret: string;
  /** Sent in the GET verification handshake. */
  verifyToken: string;
  /** The only Bearer token the Graph routes accept. */
  accessToken: string;
  /** The business phone number's id (`metadata.phone_number_id`). */
  phoneNumberId: string;
  /** WABA id, `entry[].id` of every webhook. */
  wabaId?: string;
  /** `metadata.display_phone_number`, digits only. */
  displayPhoneNumber?: string;
  /** Absolute base URL of the sandbox (for media URLs); learnt from requests when absent. */
  publicUrl?: string;
  /** Approved templates; when given, unknown names fail with 132001 and parameter counts are checked. */
  templates?: SandboxTemplate[];
  /** Simulated users created at start. */
  users?: UserInput[];
  clock?: SandboxClock;
  logger?: SandboxLogger;
}

/** Defaults: Meta's numbers where Meta has one, short delays elsewhere (the clock is compressed). */
export const DEFAULT_SETTINGS: SandboxSettings = {
  webhookUrl: undefined,
  windowMode: 'async',
  throughputPerSecond: 80,
  pairRate: { perSeconds: 6, burst: 45 },
  marketingCap: null,
  statusDelaysMs: { sent: 10, delivered: 30, read: null },
  skipDeliveredOnRead: false,
  webhookRetry: { baseDelayMs: 50, maxAttempts: 8 },
  webhookTimeoutMs: 5_000,
  duplicates: 0,
  batchWindowMs: 0,
  bsuid: false,
  unknownRecipients: 'create',
  defaultTemplateCategory: 'utility',
};

/** Picks the settings out of the options, filling defaults. */
export function resolveSettings(opts: SettingsPatch): SandboxSettings {
  const s: SandboxSettings = { ...DEFAULT_SETTINGS, statusDelaysMs: { ...DEFAULT_SETTINGS.statusDelaysMs } };
  return applySettings(s, opts);
}

/** Applies a partial update in place (unknown keys ignored) and returns the settings. */
export function applySettings(s: SandboxSettings, patch: SettingsPatch): SandboxSettings {
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof SandboxSettings)[]) {
    if (!(key in patch)) continue;
    const value = patch[key];
    if (key === 'statusDelaysMs')
      s.statusDelaysMs = { ...s.statusDelaysMs, ...(value as Partial<StatusDelays>) };
    else if (value !== undefined || key === 'webhookUrl')
      (s as unknown as Record<string, unknown>)[key] = value;
  }
  return s;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: SandboxLogger = { debug() {}, info() {}, warn() {} };
