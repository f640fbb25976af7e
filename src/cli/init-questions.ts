import { randomBytes } from 'node:crypto';
import { KbError, loadKnowledgeBase } from '../assistant/kb/load.ts';
import { LLM_PROVIDERS } from '../assistant/llm/settings.ts';
import { ConfigSchema, SECRET_KEYS } from '../config.ts';
import { checkPhoneNumber, type GraphTarget } from './doctor-graph.ts';
import type { Prompter } from './init-prompts.ts';
import type { CliIo } from './io.ts';

/**
 * The questions of `passerelle init`. Every answer is checked by the key's own schema in
 * `ConfigSchema` (the one start-up uses), and a bad one is asked again with the key's error message,
 * as start-up would print it.
 */

export type ConfigKey = keyof typeof ConfigSchema.shape;

/** The values to write, keyed by environment name. */
export type ConfigValues = Partial<Record<ConfigKey, string | number>>;

/** One question about one key. */
export interface Question {
  key: ConfigKey;
  /** What to ask, without the key (added) or the default (added in brackets). */
  label: string;
  /** Taken on an empty answer. */
  default?: string;
  /** Shown in brackets instead of `default` (a generated secret is not shown). */
  hint?: string;
  /** An empty answer (with no default) or "-" leaves the key unset. */
  optional?: boolean;
  /** Not echoed on a terminal. */
  secret?: boolean;
  /** Turns the answer into the value (a bare path into `sqlite:<path>`…). */
  normalise?: (answer: string) => string;
  /** A check beyond the schema: a problem, or undefined. */
  check?: (value: string) => string | undefined;
}

/** A random secret: 32 URL-safe characters (also valid as a Telegram webhook secret). */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The key's schema message for `value`, as `loadConfig` words it; undefined when valid. */
export function schemaProblem(key: ConfigKey, value: unknown): string | undefined {
  const parsed = ConfigSchema.shape[key].safeParse(value);
  if (parsed.success) return undefined;
  const secret = (SECRET_KEYS as readonly string[]).includes(key);
  return `${parsed.error.issues[0]?.message ?? 'invalid value'}${secret ? '' : `, got ${JSON.stringify(value)}`}`;
}

/** Asks questions until each answer is valid. */
export class Interview {
  constructor(
    readonly prompter: Prompter,
    readonly io: CliIo,
  ) {}

  async ask(q: Question): Promise<string | undefined> {
    const hint = q.hint ?? q.default ?? (q.optional ? 'none' : undefined);
    for (;;) {
      const raw = (
        await this.prompter.ask(`${q.label} (${q.key})${hint !== undefined ? ` [${hint}]` : ''}: `, {
          secret: q.secret === true,
        })
      ).trim();
      if (raw === '-' && q.optional) return undefined;
      const answer = raw === '' ? q.default : raw;
      if (answer === undefined || answer === '') {
        if (q.optional) return undefined;
        this.io.err(`${q.key}: required`);
        continue;
      }
      const value = q.normalise ? q.normalise(answer) : answer;
      const problem = schemaProblem(q.key, value) ?? q.check?.(value);
      if (problem === undefined) return value;
      this.io.err(`${q.key}: ${problem}`);
    }
  }

  /** Like `ask`, for a key that must get a value. */
  async require(q: Question): Promise<string> {
    return (await this.ask({ ...q, optional: false }))!;
  }

  /** One of `choices` (or its first letter); `def` on an empty answer. */
  async choose<T extends string>(label: string, choices: readonly T[], def: T): Promise<T> {
    for (;;) {
      const raw = (await this.prompter.ask(`${label} [${def}]: `)).trim().toLowerCase();
      const found = raw === '' ? def : choices.find((c) => c === raw || c[0] === raw);
      if (found) return found;
      this.io.err(`expected ${choices.join(' or ')}, got "${raw}"`);
    }
  }

  /** Yes or no; `def` on an empty answer. */
  async confirm(question: string, def: boolean): Promise<boolean> {
    for (;;) {
      const raw = (await this.prompter.ask(`${question} [${def ? 'Y/n' : 'y/N'}]: `)).trim().toLowerCase();
      if (raw === '') return def;
      if (['y', 'yes'].includes(raw)) return true;
      if (['n', 'no'].includes(raw)) return false;
      this.io.err(`expected yes or no, got "${raw}"`);
    }
  }
}

/** Where the gateway listens and is reached, where it stores, the admin token. */
export async function askServer(iv: Interview, values: ConfigValues): Promise<void> {
  const publicUrl = await iv.ask({
    key: 'PUBLIC_URL',
    label: 'Public URL Meta and browsers reach this gateway at, https://… behind a TLS proxy',
    optional: true,
    normalise: (s) => s.replace(/\/+$/, ''),
  });
  if (publicUrl) values.PUBLIC_URL = publicUrl;
  values.PORT = Number(await iv.require({ key: 'PORT', label: 'HTTP port', default: '8080' }));
  values.DATABASE_URL = await iv.require({
    key: 'DATABASE_URL',
    label: 'Database: a SQLite file path, or a postgres:// URL',
    default: 'sqlite:./data/passerelle.db',
    // A bare path means SQLite; anything with a scheme is left for the schema to judge.
    normalise: (s) => (/^(sqlite:|[a-z][a-z0-9+.-]*:\/\/)/i.test(s) ? s : `sqlite:${s}`),
  });
  const admin = await iv.ask({
    key: 'PASSERELLE_ADMIN_TOKEN',
    label: 'Admin API token, 16+ characters ("-": no admin API)',
    default: generateSecret(),
    hint: 'Enter: generate one',
    optional: true,
    secret: true,
  });
  if (admin) values.PASSERELLE_ADMIN_TOKEN = admin;
}

/**
 * The four Cloud API credentials, checked against the Graph API (`GET /<phone-number-id>`): a refused
 * token or an unknown number id is asked again; a verified number fills `WHATSAPP_DISPLAY_NUMBER`. When
 * the check cannot tell (no network, a sandbox), the answers are kept and the reason is said.
 */
export async function askCloudApi(
  iv: Interview,
  values: ConfigValues,
  graph: Omit<GraphTarget, 'accessToken'>,
): Promise<void> {
  values.WHATSAPP_VERIFY_TOKEN = await iv.require({
    key: 'WHATSAPP_VERIFY_TOKEN',
    label: 'Webhook verify token, the string you will also type at Meta',
    default: generateSecret(),
    hint: 'Enter: generate one',
  });
  values.WHATSAPP_APP_SECRET = await iv.require({
    key: 'WHATSAPP_APP_SECRET',
    label: 'App secret (App Dashboard > App settings > Basic)',
    secret: true,
  });
  const tokenQuestion: Question = {
    key: 'WHATSAPP_ACCESS_TOKEN',
    label: 'Access token, a permanent system-user token',
    secret: true,
  };
  const idQuestion: Question = {
    key: 'WHATSAPP_PHONE_NUMBER_ID',
    label: 'Phone number ID (App Dashboard > WhatsApp > API Setup)',
  };
  let token = await iv.require(tokenQuestion);
  let phoneNumberId = await iv.require(idQuestion);
  let display: string | undefined;
  for (;;) {
    iv.io.out(`Checking the token and phone number ID with ${graph.graphUrl}…`);
    const check = await checkPhoneNumber({ ...graph, accessToken: token }, phoneNumberId);
    if (check.kind === 'bad_token') {
      iv.io.err(`WHATSAPP_ACCESS_TOKEN: the Graph API refused the token (${check.reason})`);
      token = await iv.require(tokenQuestion);
    } else if (check.kind === 'bad_phone_number_id') {
      iv.io.err(`WHATSAPP_PHONE_NUMBER_ID: ${check.reason}`);
      phoneNumberId = await iv.require(idQuestion);
    } else {
      if (check.kind === 'verified') {
        display = `+${check.displayPhoneNumber.replace(/\D/g, '')}`;
        const quality = check.qualityRating ? `, quality ${check.qualityRating}` : '';
        iv.io.out(`Verified: ${check.verifiedName}, ${check.displayPhoneNumber}${quality}.`);
      } else {
        iv.io.out(
          `Could not verify (${check.reason}). The answers are kept; "passerelle doctor" checks again.`,
        );
      }
      break;
    }
  }
  values.WHATSAPP_ACCESS_TOKEN = token;
  values.WHATSAPP_PHONE_NUMBER_ID = phoneNumberId;
  display ??= await iv.ask({
    key: 'WHATSAPP_DISPLAY_NUMBER',
    label: "The business's WhatsApp number, +country code, for wa.me links",
    optional: true,
  });
  if (display) values.WHATSAPP_DISPLAY_NUMBER = display;
  const waba = await iv.ask({
    key: 'WHATSAPP_WABA_ID',
    label: 'WhatsApp Business Account ID, so "passerelle doctor" can check templates',
    optional: true,
  });
  if (waba) values.WHATSAPP_WABA_ID = waba;
}

/** An optional Telegram bot; webhook mode (with a generated secret) when PUBLIC_URL is https. */
export async function askTelegram(iv: Interview, values: ConfigValues): Promise<void> {
  const token = await iv.ask({
    key: 'TELEGRAM_BOT_TOKEN',
    label: 'Telegram bot token from @BotFather',
    optional: true,
    secret: true,
  });
  if (!token) return;
  values.TELEGRAM_BOT_TOKEN = token;
  if (typeof values.PUBLIC_URL === 'string' && values.PUBLIC_URL.startsWith('https://')) {
    values.TELEGRAM_WEBHOOK_SECRET = generateSecret();
    iv.io.out(`Telegram: webhook mode, registered at start as ${values.PUBLIC_URL}/webhooks/telegram.`);
  } else {
    iv.io.out('Telegram: long polling (with an https:// PUBLIC_URL, init would choose webhook mode).');
  }
}

/** An optional LLM: provider, model, and the base URL or key the provider needs. */
export async function askLlm(iv: Interview, values: ConfigValues): Promise<void> {
  const provider = await iv.ask({
    key: 'LLM_PROVIDER',
    label: `LLM provider: ${LLM_PROVIDERS.join(', ')}; none: the offline assistant alone`,
    optional: true,
    normalise: (s) => s.toLowerCase(),
  });
  if (!provider) return;
  values.LLM_PROVIDER = provider;
  const compatible = provider === 'openai-compatible';
  if (compatible)
    values.LLM_BASE_URL = await iv.require({
      key: 'LLM_BASE_URL',
      label: 'Server URL (Ollama, vLLM, llama.cpp)',
      default: 'http://localhost:11434/v1',
    });
  values.LLM_MODEL = await iv.require({ key: 'LLM_MODEL', label: 'Model id' });
  const key = await iv.ask({ key: 'LLM_API_KEY', label: 'API key', optional: compatible, secret: true });
  if (key) values.LLM_API_KEY = key;
}

/** The knowledge base, loaded as start-up loads it: a bad entry is named and the path asked again. */
export async function askKnowledgeBase(iv: Interview, values: ConfigValues): Promise<void> {
  const kb = await iv.ask({
    key: 'PASSERELLE_KB',
    label: 'Knowledge base: a folder of Markdown files, or one JSON/YAML file',
    hint: 'the bundled sample',
    optional: true,
    check: (path) => {
      try {
        loadKnowledgeBase(path);
        return undefined;
      } catch (err) {
        if (!(err instanceof KbError)) throw err;
        return err.problems.slice(0, 3).join('; ');
      }
    },
  });
  if (kb) values.PASSERELLE_KB = kb;
}
