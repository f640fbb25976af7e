import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { createOperator, disableOperator, OperatorError } from '../console/server/auth.ts';
import { consoleIo, withExistingStore, type CliIo } from './io.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks for a password on the terminal without echoing it. */
function askPassword(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
    let asked = false;
    out._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true;
        out.output.write(s);
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

/**
 * `passerelle operator add <username> --role admin|agent [--name …] [--password-stdin]`,
 * `passerelle operator list`, `passerelle operator disable <username>`: console accounts.
 */
export function registerOperator(program: Command, io: CliIo = consoleIo): void {
  const op = program.command('operator').description('Operator accounts of the console (/console)');
  op.command('add')
    .description('Create an operator account')
    .argument('<username>', '3 to 40 characters: a-z, 0-9, ".", "_", "-"')
    .option('--role <role>', 'admin or agent', 'agent')
    .option('--name <display name>', 'the name people see when this operator joins a conversation')
    .option('--password-stdin', 'read the password from standard input (otherwise it is asked)')
    .action(async (username: string, o: { role: string; name?: string; passwordStdin?: boolean }) => {
      if (o.role !== 'admin' && o.role !== 'agent') {
        io.err(`--role: expected admin or agent, got "${o.role}"`);
        process.exitCode = 2;
        return;
      }
      if (!o.passwordStdin && !process.stdin.isTTY) {
        io.err('No terminal to ask the password on: pass it with --password-stdin.');
        process.exitCode = 2;
        return;
      }
      const password = o.passwordStdin ? await readStdin() : await askPassword('Password: ');
      await withExistingStore(
        program,
        io,
        async (store) => {
          const created = await createOperator(store.db, {
            username,
            password,
            role: o.role as 'admin' | 'agent',
            displayName: o.name,
          });
          io.out(`Operator ${created.username} (${created.role}) created. Sign in at /console.`);
        },
        [OperatorError],
      );
    });
  op.command('list')
    .description('List operator accounts')
    .action(async () => {
      await withExistingStore(program, io, async (store) => {
        const ops = await store.db.selectFrom('operators').selectAll().orderBy('username').execute();
        if (ops.length === 0) io.out('No operators yet: passerelle operator add <username> --role admin');
        for (const o of ops)
          io.out(
            `${o.username}\t${o.role}\t${o.display_name}${o.disabled_at !== null ? '\t(disabled)' : ''}`,
          );
      });
    });
  op.command('disable')
    .description('Disable an account and end its sessions')
    .argument('<username>')
    .action(async (username: string) => {
      await withExistingStore(
        program,
        io,
        async (store) => {
          await disableOperator(store.db, username);
          io.out(`Operator ${username} disabled.`);
        },
        [OperatorError],
      );
    });
}
