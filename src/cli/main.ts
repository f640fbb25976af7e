import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { registerDoctor } from './doctor.ts';
import { registerErase } from './erase.ts';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';
import { registerInit } from './init.ts';
import { registerKb } from './kb.ts';
import { registerOperator } from './operator.ts';
import { registerMigrate } from './migrate.ts';
import { registerPolicy } from './policy.ts';
import { registerSandbox } from './sandbox.ts';
import { registerStart } from './start.ts';
import { registerSunset } from './sunset.ts';

/** The `passerelle` command line. Each command has `--help`. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('passerelle')
    .description('Open-source AI messaging gateway (WhatsApp Cloud API, sandbox, policy, portability)')
    .version('0.1.0')
    .option('-c, --config <file>', 'JSON configuration file (keys are the environment variable names)')
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerInit(program);
  registerDoctor(program);
  registerMigrate(program);
  registerSandbox(program);
  registerKb(program);
  registerPolicy(program);
  registerExport(program);
  registerImport(program);
  registerErase(program);
  registerSunset(program);
  registerOperator(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
