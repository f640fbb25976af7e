import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Prompter } from '../../src/cli/init-prompts.ts';

/** A prompter that answers from a script, in order, and records every question asked. */
export interface ScriptedPrompter extends Prompter {
  asked: string[];
}

export function scripted(answers: string[]): ScriptedPrompter {
  const queue = [...answers];
  const asked: string[] = [];
  return {
    asked,
    async ask(question) {
      asked.push(question);
      const next = queue.shift();
      if (next === undefined) throw new Error(`no scripted answer left for: ${question}`);
      return next;
    },
    close() {},
  };
}

/** What a fake API answers to one request. */
export interface FakeAnswer {
  status?: number;
  body: unknown;
}

/** A tiny HTTP server standing in for Meta's Graph API, Telegram's Bot API or an LLM server. */
export async function startFakeApi(
  answer: (req: IncomingMessage, url: URL) => FakeAnswer,
): Promise<{ url: string; requests: { path: string; authorization?: string }[]; close(): Promise<void> }> {
  const requests: { path: string; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({
      path: url.pathname + url.search,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const a = answer(req, url);
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Meta's error envelope (spec §2.4). */
export function graphError(code: number, message: string, type = 'OAuthException') {
  return { error: { message, type, code, fbtrace_id: 'AbCdEf123' } };
}
