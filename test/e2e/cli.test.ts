import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, waitHttpOk } from '../helpers/process.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'passerelle-cli-'));

describe('passerelle CLI', () => {
  it('starts on embedded defaults with the sandbox wired in, serves /healthz, and stops on SIGTERM', async () => {
    const dir = tmp();
    const child = runCli(['start'], {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no banner:\n${child.output()}`)), 20_000);
        const check = setInterval(() => {
          const m = /running at (http:\/\/localhost:\d+)/.exec(child.output());
          if (m) {
            clearInterval(check);
            clearTimeout(t);
            resolve(m[1]!.replace('localhost', '127.0.0.1'));
          }
        }, 50);
      });
      await waitHttpOk(`${url}/healthz`);
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready' });
      expect(await (await fetch(`${url}/`)).text()).toContain('href="/sandbox"');
      const phone = await fetch(`${url}/sandbox`);
      expect(phone.status).toBe(200);
      expect(await phone.text()).toContain('<html');
      expect(child.output()).toContain('/sandbox');
    } finally {
      child.proc.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
  });

  it('refuses to start on a bad setting, naming the key and what is expected', async () => {
    const child = runCli(['start'], { PORT: 'eighty', DATABASE_URL: `sqlite:${join(tmp(), 'p.db')}` });
    expect(await child.exited).toBe(2);
    expect(child.output()).toContain('PORT: expected a TCP port number, got "eighty"');
  });

  it('lists its commands in --help', async () => {
    const child = runCli(['--help'], {});
    expect(await child.exited).toBe(0);
    for (const c of ['start', 'migrate', 'sandbox']) expect(child.output()).toContain(c);
  });

  it('migrates a new database and reports it up to date the second time', async () => {
    const env = { DATABASE_URL: `sqlite:${join(tmp(), 'm.db')}` };
    const first = runCli(['migrate'], env);
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Applied: 0001_core');
    const second = runCli(['migrate'], env);
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('up to date');
  });

  it('rejects a bad sandbox option with a clear message', async () => {
    const child = runCli(['sandbox', '--webhook', 'not a url'], {});
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain("option '-w, --webhook <url>' argument 'not a url' is invalid");
    expect(child.output()).toContain('expected a URL like http://127.0.0.1:3000/webhook');
    const noScheme = runCli(['sandbox', '--webhook', 'localhost:3000'], {});
    expect(await noScheme.exited).toBe(1);
    expect(noScheme.output()).toContain('expected an http:// or https:// URL');
    const mode = runCli(['sandbox', '--window-mode', 'foo'], {});
    expect(await mode.exited).toBe(1);
    expect(mode.output()).toContain('expected async or sync');
  });
});
