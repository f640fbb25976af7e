import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/**
 * Where `passerelle init` asks its questions. The terminal in real use; tests pass a scripted one, so
 * the whole interview runs without a TTY.
 */
export interface Prompter {
  /** Shows `question` and resolves with the line typed. `secret`: the answer is not echoed. */
  ask(question: string, opts?: { secret?: boolean }): Promise<string>;
  close(): void;
}

/** Thrown by a prompter whose input ended before the question was answered. */
export class NoMoreInput extends Error {
  override readonly name = 'NoMoreInput';
}

/**
 * A prompter on a terminal or a pipe. Lines are queued as they arrive, so answers piped in
 * (`printf '8080\n…' | passerelle init`) are not lost between questions; on a terminal a secret's
 * echo is muted (readline has no option for it: it writes through a stream that drops the echo).
 */
export function terminalPrompter(
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Prompter {
  const tty = input.isTTY === true;
  let muted = false;
  const echo = new Writable({
    // Synchronous, so the mute applies exactly to what readline writes while it is on.
    write(chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  // Line editing needs the terminal's width.
  Object.defineProperty(echo, 'columns', { get: () => (output as { columns?: number }).columns });
  const rl = createInterface({ input, output: echo, terminal: tty });
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    async ask(question, opts = {}) {
      rl.setPrompt(question);
      rl.prompt();
      muted = opts.secret === true && tty;
      const line =
        lines.length > 0
          ? lines.shift()
          : closed
            ? undefined
            : await new Promise<string | undefined>((resolve) => waiting.push(resolve));
      if (muted) {
        muted = false;
        output.write('\n');
      } else if (!tty && line !== undefined) output.write('\n');
      if (line === undefined) throw new NoMoreInput(`No answer to "${question.trim()}": the input ended.`);
      return line;
    },
    close() {
      rl.close();
    },
  };
}
