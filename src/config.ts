import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { llmConfigFrom, LlmConfigError } from './assistant/llm/settings.ts';
import { BOT_TOKEN_RE, telegramConfigProblems, WEBHOOK_SECRET_RE } from './channels/telegram/settings.ts';

/**
 * Configuration: an optional JSON file plus environment variables (which win), validated at start.
 * Keys are the environment names of PRODUCT.md, in the file as in the environment, so one name means
 * one thing everywhere. A bad value stops start-up with a message naming the key and what is expected.
 */

const port = z.coerce
  .number({ error: 'expected a TCP port number' })
  .int('expected an integer')
  .min(0, 'expected a port between 0 and 65535')
  .max(65535, 'expected a port between 0 and 65535');

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`);

const url = (protocols: string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    `expected a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
  );

const nonEmpty = z.string().min(1, 'expected a non-empty string');

export const ConfigSchema = z.object({
  PORT: port.default(8080),
  /**
   * Address to listen on. Default: 127.0.0.1 with the sandbox (its control API has no authentication),
   * 0.0.0.0 with the Cloud API (Meta must reach the webhook, usually through a TLS reverse proxy).
   */
  HOST: nonEmpty.optional(),
  /** Public base URL the gateway is reached at (used in printed links); defaults to http://localhost:PORT. */
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'expected sqlite:<path> or postgres://…')
    .default('sqlite:./data/passerelle.db'),
  /** `sqlite` durability: `normal` survives process crashes, `full` also power loss (slower). */
  SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
  /** The work queue: `local` (in this process) or a NATS JetStream server shared by several processes. */
  QUEUE_URL: z
    .string()
    .regex(
      /^(local|(nats|tls):\/\/([^\s/@]+@)?(\[[0-9A-Fa-f:.]+\]|[^\s/@:[\]]+)(:\d{1,5})?\/?)$/,
      'expected "local" or a NATS server URL like nats://127.0.0.1:4222 (or tls://host:port)',
    )
    .default('local'),
  /** With a NATS `QUEUE_URL`: the JetStream stream (subjects `<name, lowercased>.work.*`). */
  QUEUE_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a stream name: 1 to 64 letters, digits, _ or -')
    .default('PASSERELLE'),
  PASSERELLE_ADMIN_TOKEN: z.string().min(16, 'expected a token of at least 16 characters').optional(),
  /** Knowledge base file; default: the bundled sample business (`kb/sample/` of the package: en, fr, es, pt). */
  PASSERELLE_KB: nonEmpty.optional(),
  /** Policy file (YAML or JSON) overriding the shipped rules per channel; see docs/policy.md. */
  PASSERELLE_POLICY: nonEmpty.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  WHATSAPP_VERIFY_TOKEN: nonEmpty.optional(),
  WHATSAPP_APP_SECRET: nonEmpty.optional(),
  WHATSAPP_ACCESS_TOKEN: nonEmpty.optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d+$/, 'expected the numeric phone number id').optional(),
  /** WhatsApp Business Account id: `passerelle doctor` lists its message templates (not a credential). */
  WHATSAPP_WABA_ID: z.string().regex(/^\d+$/, 'expected the numeric WhatsApp Business Account id').optional(),
  WHATSAPP_GRAPH_URL: url(['http:', 'https:']).default('https://graph.facebook.com'),
  WHATSAPP_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'expected a Graph API version like v25.0')
    .default('v25.0'),
  /** How long a Graph API call may take before it is abandoned (its outcome is then in doubt). */
  WHATSAPP_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(10_000),
  /** Messages per second per business phone number (spec §3: 80 by default, up to 1,000). */
  WHATSAPP_MESSAGES_PER_SECOND: positiveInt('a positive integer')
    .max(1000, 'expected at most 1000')
    .default(80),
  /** Time between passes of the sunset campaigns (notices, reminders, the final report). */
  CAMPAIGN_INTERVAL_MS: positiveInt('a positive number of milliseconds').default(60_000),
  /** The business's WhatsApp number, digits only, for `wa.me` links (sandbox: its number). */
  WHATSAPP_DISPLAY_NUMBER: z
    .string()
    .transform((s) => s.replace(/[\s()+.-]/g, ''))
    .pipe(
      z.string().regex(/^\d{6,15}$/, 'expected the phone number in international form, like +15550783881'),
    )
    .optional(),
  /** Messages the pair limit lets through at once to one user before pacing at 1 per 6 s (spec §3). */
  WHATSAPP_PAIR_BURST: positiveInt('a positive integer').max(45, 'expected at most 45').default(6),

  /** From @BotFather; enables the Telegram channel (docs/telegram.md). */
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(
      BOT_TOKEN_RE,
      'expected a bot token from @BotFather, like 123456789:AAH… (the bot id, a colon, 30+ characters)',
    )
    .optional(),
  /** Bot API server: Telegram's, a local Bot API server, or an emulator. */
  TELEGRAM_API_URL: url(['http:', 'https:']).default('https://api.telegram.org'),
  /** The bot's username for `t.me` links; default: asked of the Bot API (`getMe`) at start. */
  TELEGRAM_BOT_USERNAME: z
    .string()
    .transform((s) => s.replace(/^@/, ''))
    .pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'expected a bot username like acme_bot'))
    .optional(),
  /** The `secret_token` Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; set it to use the webhook. */
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(WEBHOOK_SECRET_RE, 'expected 1 to 256 characters among A-Z, a-z, 0-9, _ and -')
    .optional(),
  /** How updates arrive; default: `webhook` when TELEGRAM_WEBHOOK_SECRET is set, else `polling`. */
  TELEGRAM_MODE: z.enum(['webhook', 'polling']).optional(),
  /** How long a Bot API call may take before it is abandoned (and retried: see docs/telegram.md). */
  TELEGRAM_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(10_000),

  /**
   * Key that signs web chat visitor tokens (HMAC-SHA256), at least 32 characters. Default: a random key
   * generated once and kept in `webchat-secret` next to the SQLite database (docs/webchat.md).
   */
  WEBCHAT_SECRET: z.string().min(32, 'expected a secret of at least 32 characters').optional(),
  /**
   * Other sites that may embed the web chat widget, comma-separated origins like
   * `https://shop.example,https://www.shop.example`; the gateway's own origin is always allowed.
   */
  WEBCHAT_ORIGINS: z
    .string()
    .refine(
      (s) =>
        s
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)
          .every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
      'expected comma-separated origins like https://shop.example (scheme and host, no path)',
    )
    .default(''),

  LLM_PROVIDER: z.enum(['openai', 'anthropic', 'mistral', 'openai-compatible']).optional(),
  LLM_BASE_URL: url(['http:', 'https:']).optional(),
  LLM_MODEL: nonEmpty.optional(),
  LLM_API_KEY: nonEmpty.optional(),

  /** How long one LLM answer may take before the offline assistant answers instead. */
  LLM_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(20_000),
  /** Retries of an LLM call after 429/5xx before falling back to the offline assistant. */
  LLM_MAX_RETRIES: z.coerce
    .number({ error: 'expected an integer from 0 to 5' })
    .int()
    .min(0)
    .max(5)
    .default(2),
  /** Attempts before a reply is dead-lettered. */
  OUTBOX_MAX_ATTEMPTS: positiveInt('a positive integer').default(8),
  /** Unit of the retry back-off: 1 s in production; tests compress it. */
  OUTBOX_RETRY_UNIT_MS: positiveInt('a positive number of milliseconds').default(1000),
  /** How long a send may be in flight before its lease expires (a crash is then suspected). */
  OUTBOX_LEASE_MS: positiveInt('a positive number of milliseconds').default(30_000),
  /**
   * After a lease expired, how long to wait for a status webhook proving the send went out before
   * sending again: a crash never re-sends blindly.
   */
  OUTBOX_UNKNOWN_GRACE_MS: positiveInt('a positive number of milliseconds').default(60_000),
  /** Conversations processed at once. */
  PIPELINE_CONCURRENCY: positiveInt('a positive integer').default(16),
  /** How long a batch of inbound events may be in processing before another worker may take it over. */
  PIPELINE_LEASE_MS: positiveInt('a positive number of milliseconds').default(60_000),
  /** Grace period for in-flight work at shutdown. */
  SHUTDOWN_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(10_000),
});

export type Config = Omit<z.infer<typeof ConfigSchema>, 'HOST'> & {
  HOST: string;
  /** `cloud` talks to Meta's Graph API; `sandbox` wires the local emulator in. */
  whatsappMode: 'cloud' | 'sandbox';
  /** Where each key came from, for `doctor` and error messages. */
  sources: Record<string, 'env' | 'file' | 'default'>;
};

/** Keys that hold secrets: never logged, never printed. */
export const SECRET_KEYS = [
  'PASSERELLE_ADMIN_TOKEN',
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_ACCESS_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'WEBCHAT_SECRET',
  'LLM_API_KEY',
] as const;

const WHATSAPP_CREDENTIALS = [
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_PHONE_NUMBER_ID',
] as const;

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`: URLs may carry a password. */
export function redactUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
}

/** Thrown when configuration is invalid; `message` lists every bad key with what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Path of a JSON config file. Default: `PASSERELLE_CONFIG`, else `./passerelle.config.json` if present;
   * `false` reads no file.
   */
  file?: string | false;
  /** Values that win over file and environment (used by tests and CLI flags). */
  overrides?: Record<string, unknown>;
}

/** Loads, merges and validates configuration. Throws `ConfigError` naming every bad key. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const known = new Set(Object.keys(ConfigSchema.shape));
  const problems: string[] = [];
  const sources: Record<string, 'env' | 'file' | 'default'> = {};

  const fileValues =
    opts.file === false
      ? {}
      : readConfigFile(
          opts.file ?? env.PASSERELLE_CONFIG,
          opts.file !== undefined ? '--config' : 'PASSERELLE_CONFIG',
          problems,
        );
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fileValues)) {
    if (!known.has(k)) problems.push(`${k} (config file): unknown key`);
    else {
      merged[k] = v;
      sources[k] = 'file';
    }
  }
  for (const k of known) {
    const v = env[k];
    if (v !== undefined && v !== '') {
      merged[k] = v;
      sources[k] = 'env';
    }
  }
  Object.assign(merged, opts.overrides ?? {});

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      const given = merged[key];
      const shown = SECRET_KEYS.includes(key as (typeof SECRET_KEYS)[number])
        ? ''
        : given === undefined
          ? ''
          : `, got ${JSON.stringify(typeof given === 'string' ? redactUrlPassword(given) : given)}`;
      problems.push(`${key}${sources[key] === 'file' ? ' (config file)' : ''}: ${issue.message}${shown}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const cfg = parsed.data;
  const present = WHATSAPP_CREDENTIALS.filter((k) => cfg[k] !== undefined);
  if (present.length > 0 && present.length < WHATSAPP_CREDENTIALS.length) {
    const missing = WHATSAPP_CREDENTIALS.filter((k) => cfg[k] === undefined);
    throw new ConfigError(
      missing.map(
        (k) =>
          `${k}: required when ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} set (set all four WhatsApp credentials to use the Cloud API, or none to use the sandbox)`,
      ),
    );
  }
  // A send may take up to its timeout; a lease that expires first would park sends still in flight.
  if (cfg.OUTBOX_LEASE_MS <= cfg.WHATSAPP_TIMEOUT_MS) {
    throw new ConfigError([
      `OUTBOX_LEASE_MS: expected more than WHATSAPP_TIMEOUT_MS (${cfg.WHATSAPP_TIMEOUT_MS}), got ${cfg.OUTBOX_LEASE_MS}`,
    ]);
  }
  const telegramProblems = telegramConfigProblems(cfg);
  if (telegramProblems.length > 0) throw new ConfigError(telegramProblems);
  try {
    llmConfigFrom(cfg);
  } catch (err) {
    if (err instanceof LlmConfigError) throw new ConfigError([err.message]);
    throw err;
  }
  for (const k of known) sources[k] ??= 'default';
  const whatsappMode = present.length === 0 ? 'sandbox' : 'cloud';
  return {
    ...cfg,
    HOST: cfg.HOST ?? (whatsappMode === 'sandbox' ? '127.0.0.1' : '0.0.0.0'),
    whatsappMode,
    sources,
  };
}

function readConfigFile(
  path: string | undefined,
  label: string,
  problems: string[],
): Record<string, unknown> {
  const explicit = path !== undefined && path !== '';
  const file = resolve(explicit ? path : 'passerelle.config.json');
  if (!existsSync(file)) {
    if (explicit) problems.push(`${label}: file not found: ${file}`);
    return {};
  }
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      problems.push(`${file}: expected a JSON object of configuration keys`);
      return {};
    }
    return data as Record<string, unknown>;
  } catch (err) {
    problems.push(`${file}: not valid JSON (${(err as Error).message})`);
    return {};
  }
}
