import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, ConfigSchema, loadConfig, type Config } from '../config.ts';
import { CHECK_TIMEOUT_MS } from './doctor-http.ts';
import { writeConfigFile } from './init-file.ts';
import { NoMoreInput, terminalPrompter, type Prompter } from './init-prompts.ts';
import {
  askCloudApi,
  askKnowledgeBase,
  askLlm,
  askServer,
  askTelegram,
  generateSecret,
  Interview,
  schemaProblem,
  type ConfigValues,
} from './init-questions.ts';
import { consoleIo, type CliIo } from './io.ts';

interface InitOptions {
  file?: string;
  yes?: boolean;
  sandbox?: boolean;
  force?: boolean;
  graphUrl?: string;
}

/**
 * `passerelle init [--file passerelle.config.json] [--yes] [--sandbox] [--force] [--graph-url URL]`:
 * writes a configuration file from a few questions (`prompts`, the terminal by default; tests script
 * it), each answer validated by the schema start-up uses, Cloud API credentials checked against the
 * Graph API. The file is mode 0600 and an existing one is replaced only when confirmed. `--yes` takes
 * every default without asking: a sandbox configuration with a generated admin token.
 */
export function registerInit(program: Command, io: CliIo = consoleIo, prompts?: Prompter): void {
  program
    .command('init')
    .description('Write a configuration file from a few questions (validated as start validates them)')
    .option('--file <file>', 'file to write (default: the --config file, else passerelle.config.json)')
    .option('--yes', 'ask nothing: take every default (the sandbox, a generated admin token)')
    .option('--sandbox', 'use the sandbox (the local WhatsApp emulator): no Cloud API questions')
    .option('--force', 'replace an existing file without asking')
    .option(
      '--graph-url <url>',
      'Graph API to check Cloud API credentials against (default: WHATSAPP_GRAPH_URL, else Meta)',
    )
    .action(async (o: InitOptions) => {
      const globals = program.opts<{ config?: string }>();
      const shown = o.file ?? globals.config ?? 'passerelle.config.json';
      const file = resolve(shown);
      const graphUrl = o.graphUrl ?? process.env.WHATSAPP_GRAPH_URL ?? defaults().WHATSAPP_GRAPH_URL;
      const badGraph = schemaProblem('WHATSAPP_GRAPH_URL', graphUrl);
      if (badGraph) {
        io.err(`--graph-url: ${badGraph}`);
        process.exitCode = 2;
        return;
      }
      const prompter = o.yes ? undefined : (prompts ?? terminalPrompter());
      try {
        let replace = false;
        if (existsSync(file) && !o.force) {
          if (!prompter) {
            io.err(`${file} exists: not replaced (pass --force to replace it).`);
            process.exitCode = 1;
            return;
          }
          replace = await new Interview(prompter, io).confirm(`${file} exists. Replace it?`, false);
          if (!replace) {
            io.err(`${file} exists: not replaced.`);
            process.exitCode = 1;
            return;
          }
        } else replace = o.force === true;
        const values = prompter
          ? await interview(new Interview(prompter, io), { sandbox: o.sandbox === true, graphUrl })
          : { PORT: 8080, DATABASE_URL: defaults().DATABASE_URL, PASSERELLE_ADMIN_TOKEN: generateSecret() };
        // The whole file as start-up will read it: the rules that span several keys too.
        const config = loadConfig({ env: {}, file: false, overrides: values });
        writeConfigFile(file, values, { replace });
        io.out(nextSteps(shown, file, config));
      } catch (err) {
        if (err instanceof NoMoreInput || err instanceof ConfigError) {
          io.err(err.message);
          process.exitCode = 1;
          return;
        }
        throw err;
      } finally {
        if (!prompts) prompter?.close();
      }
    });
}

function defaults() {
  return ConfigSchema.parse({});
}

/** Every question, in order; `sandbox` skips the WhatsApp choice. */
async function interview(iv: Interview, opts: { sandbox: boolean; graphUrl: string }): Promise<ConfigValues> {
  iv.io.out(
    'Passerelle set-up. Press Enter to take the value in brackets; "-" leaves an optional key unset.',
  );
  const values: ConfigValues = {};
  await askServer(iv, values);
  const mode = opts.sandbox
    ? 'sandbox'
    : await iv.choose(
        "WhatsApp: sandbox (a local emulator, no Meta account) or cloud (Meta's Cloud API)",
        ['sandbox', 'cloud'] as const,
        'sandbox',
      );
  if (mode === 'cloud') {
    if (opts.graphUrl !== defaults().WHATSAPP_GRAPH_URL) values.WHATSAPP_GRAPH_URL = opts.graphUrl;
    await askCloudApi(iv, values, {
      graphUrl: opts.graphUrl,
      apiVersion: defaults().WHATSAPP_API_VERSION,
      timeoutMs: CHECK_TIMEOUT_MS,
    });
  }
  await askTelegram(iv, values);
  await askLlm(iv, values);
  await askKnowledgeBase(iv, values);
  return values;
}

/** What to do after the file is written: migrate, start, register the webhook, the first operator. */
function nextSteps(shown: string, file: string, config: Config): string {
  const flag = `--config ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`;
  const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const lines = [
    `Wrote ${file} (mode 0600: it holds secrets; keep it out of version control).`,
    '',
    'Next steps:',
    `  1. Create the database:   passerelle migrate ${flag}`,
    `  2. Start the gateway:     passerelle start ${flag}`,
  ];
  if (config.whatsappMode === 'cloud') {
    const callback = config.PUBLIC_URL
      ? `${config.PUBLIC_URL}/webhooks/whatsapp`
      : 'https://<your host>/webhooks/whatsapp (set PUBLIC_URL)';
    lines.push(
      '  3. Register the webhook at Meta (App Dashboard > WhatsApp > Configuration):',
      `       Callback URL  ${callback}`,
      `       Verify token  ${config.WHATSAPP_VERIFY_TOKEN}`,
      '     then subscribe to the "messages" field.',
    );
    if (!config.PUBLIC_URL?.startsWith('https://'))
      lines.push('     Meta calls only https:// URLs with a valid certificate: see docs/deployment.md.');
  } else {
    lines.push(`  3. Chat with the assistant on the sandbox phone: ${base}/sandbox`);
  }
  lines.push(
    `  4. Create the first console admin: passerelle operator add <username> --role admin ${flag}`,
    `     (or open the one-time setup link that start prints, under ${base}/console/setup).`,
    `  5. Before going live: passerelle doctor ${flag}`,
  );
  return lines.join('\n');
}
