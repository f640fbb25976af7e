import { Command, CommanderError } from 'commander';
import type { CliIo } from '../../src/cli/io.ts';

/** What a command printed and the exit code it set (undefined: success). */
export interface CliRun {
  out: string;
  err: string;
  code: string | number | undefined;
}

/**
 * Runs `passerelle --config <configFile> <args…>` through commander, with the commands `register`
 * adds, capturing what they print. A usage error becomes its exit code, as `main()` does.
 */
export async function runCli(
  register: (program: Command, io: CliIo) => void,
  configFile: string,
  args: string[],
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command()
    .option('-c, --config <file>')
    .exitOverride()
    .configureOutput({ writeOut: (t) => out.push(t.trimEnd()), writeErr: (t) => err.push(t.trimEnd()) });
  register(program, { out: (t) => out.push(t), err: (t) => err.push(t) });
  process.exitCode = undefined;
  let code: string | number | undefined;
  try {
    await program.parseAsync(['--config', configFile, ...args], { from: 'user' });
    code = process.exitCode;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  } finally {
    process.exitCode = undefined;
  }
  return { out: out.join('\n'), err: err.join('\n'), code };
}
