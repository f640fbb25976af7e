import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import {
  checkDatabase,
  checkKnowledgeBase,
  checkPolicy,
  checkQueue,
  resultsFor,
  type CheckResult,
} from './doctor-checks.ts';
import { CHECK_TIMEOUT_MS } from './doctor-http.ts';
import { checkLlm, checkTelegram } from './doctor-services.ts';
import { checkTemplates, checkWebhook, checkWhatsApp } from './doctor-whatsapp.ts';
import { consoleIo, type CliIo } from './io.ts';

export type { CheckResult, CheckStatus } from './doctor-checks.ts';

/** The doctor's findings: every check in order, and whether any is an error. */
export interface DoctorReport {
  ok: boolean;
  errors: number;
  warnings: number;
  checks: CheckResult[];
}

/**
 * Runs every check against the configuration `start` would load (same file, same environment). An
 * invalid configuration is the only finding then: the other checks need it. Network checks run at
 * once, each bounded by `timeoutMs`; nothing is written (a missing SQLite file is not created).
 */
export async function runDoctor(
  opts: { configFile?: string; timeoutMs?: number } = {},
): Promise<DoctorReport> {
  const timeoutMs = opts.timeoutMs ?? CHECK_TIMEOUT_MS;
  const r = resultsFor('config');
  let config: Config;
  try {
    config = loadConfig(opts.configFile ? { file: opts.configFile } : {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return report([
      r.error(
        err.problems.join('; '),
        `correct the key named in ${configFileLabel(opts.configFile)} or the environment (docs/configuration.md); the other checks need a valid configuration`,
      ),
    ]);
  }
  const mode = config.whatsappMode === 'cloud' ? 'WhatsApp Cloud API' : 'WhatsApp sandbox';
  const from = (source: string) => Object.values(config.sources).filter((s) => s === source).length;
  const file = configFileLabel(opts.configFile);
  const fileKeys = file === 'no config file' ? file : `${from('file')} key(s) from ${file}`;
  const checks: CheckResult[] = [r.ok(`valid: ${fileKeys}, ${from('env')} from the environment; ${mode}`)];
  const policy = checkPolicy(config);
  checks.push(
    ...(await Promise.all([
      checkDatabase(config, timeoutMs),
      checkQueue(config, timeoutMs),
      policy.result,
      checkKnowledgeBase(config),
      checkWhatsApp(config, timeoutMs),
      checkTemplates(config, policy.policy, timeoutMs),
      checkWebhook(config, timeoutMs),
      checkTelegram(config, timeoutMs),
      checkLlm(config, timeoutMs),
    ])),
  );
  return report(checks);
}

function report(checks: CheckResult[]): DoctorReport {
  const errors = checks.filter((c) => c.status === 'error').length;
  const warnings = checks.filter((c) => c.status === 'warning').length;
  return { ok: errors === 0, errors, warnings, checks };
}

/** Which file `loadConfig` reads, as it decides (the environment's values win over it). */
function configFileLabel(explicit: string | undefined): string {
  const named = explicit ?? process.env.PASSERELLE_CONFIG;
  if (named) return resolve(named);
  return existsSync('passerelle.config.json') ? resolve('passerelle.config.json') : 'no config file';
}

/** The report as aligned lines: status, check, finding; the fix on the next line. */
export function renderReport(rep: DoctorReport): string {
  const lines = rep.checks.flatMap((c) => [
    `${c.status.padEnd(8)} ${c.name.padEnd(15)} ${c.message}`,
    ...(c.fix ? [`${' '.repeat(25)}fix: ${c.fix}`] : []),
  ]);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    '',
    rep.errors + rep.warnings === 0
      ? 'All checks passed.'
      : `${plural(rep.errors, 'error')}, ${plural(rep.warnings, 'warning')}.`,
  );
  return lines.join('\n');
}

/**
 * `passerelle doctor [--json]`: checks the configuration, the database and its migrations, the queue,
 * the policy and knowledge base, the WhatsApp credentials and templates against the Graph API, the
 * webhook through `PUBLIC_URL` as Meta calls it, Telegram and the LLM server. Exit code 1 when any
 * check is an error (warnings do not count), 0 otherwise.
 */
export function registerDoctor(program: Command, io: CliIo = consoleIo): void {
  program
    .command('doctor')
    .description('Check the configuration, database, queue, credentials and webhook before going live')
    .option('--json', 'print one JSON object: {ok, errors, warnings, checks: [{name, status, message, fix}]}')
    .action(async (opts: { json?: boolean }) => {
      const globals = program.opts<{ config?: string }>();
      const rep = await runDoctor(globals.config ? { configFile: globals.config } : {});
      io.out(opts.json ? JSON.stringify(rep, null, 2) : renderReport(rep));
      if (!rep.ok) process.exitCode = 1;
    });
}
