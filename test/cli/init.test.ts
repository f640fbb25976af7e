import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInit } from '../../src/cli/init.ts';
import { NoMoreInput, terminalPrompter } from '../../src/cli/init-prompts.ts';
import { loadConfig } from '../../src/config.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { runCli } from '../helpers/cli.ts';
import { CREDS } from '../helpers/stack.ts';
import { graphError, scripted, startFakeApi, type ScriptedPrompter } from './helpers.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'passerelle-init-'));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const modeOf = (file: string) => statSync(file).mode & 0o777;

/** `passerelle --config <file> init <args…>` with scripted answers. */
function init(file: string, prompter: ScriptedPrompter | undefined, ...args: string[]) {
  return runCli((program, io) => registerInit(program, io, prompter), file, ['init', ...args]);
}

/** Answers that take every default up to the WhatsApp question, then `whatsapp`, then no extras. */
const SERVER_DEFAULTS = ['', '', '', ''];
const NO_EXTRAS = ['', '', ''];

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...CREDS, host: '127.0.0.1', port: 0 });
});
afterAll(() => sandbox.close());

describe('passerelle init', () => {
  it('writes a sandbox configuration without a question with --yes --sandbox, mode 0600', async () => {
    const file = join(tmp(), 'passerelle.config.json');
    const run = await init(file, undefined, '--yes', '--sandbox');
    expect(run.code).toBeUndefined();
    expect(modeOf(file)).toBe(0o600);
    const written = readJson(file);
    expect(written).toMatchObject({ PORT: 8080, DATABASE_URL: 'sqlite:./data/passerelle.db' });
    expect(String(written.PASSERELLE_ADMIN_TOKEN)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const config = loadConfig({ env: {}, file });
    expect(config.whatsappMode).toBe('sandbox');
    expect(run.out).toContain(`Wrote ${file}`);
    expect(run.out).toContain(`passerelle migrate --config ${file}`);
    expect(run.out).toContain(`passerelle start --config ${file}`);
    expect(run.out).toContain('passerelle operator add <username> --role admin');
    expect(run.out).toContain('http://localhost:8080/sandbox');
  });

  it('asks every question and writes the answers, keys named as the environment names', async () => {
    const file = join(tmp(), 'p.json');
    const prompter = scripted([
      'http://localhost:3000/',
      '3000',
      './var/p.db',
      'an-admin-token-of-32-characters!',
      'sandbox',
      '',
      'openai',
      'gpt-4o-mini',
      'sk-test-key',
      '',
    ]);
    const run = await init(file, prompter);
    expect(run.code).toBeUndefined();
    expect(prompter.asked.map((q) => /\(([A-Z_]+)\)/.exec(q)?.[1] ?? q)).toEqual([
      'PUBLIC_URL',
      'PORT',
      'DATABASE_URL',
      'PASSERELLE_ADMIN_TOKEN',
      expect.stringContaining('WhatsApp: sandbox'),
      'TELEGRAM_BOT_TOKEN',
      'LLM_PROVIDER',
      'LLM_MODEL',
      'LLM_API_KEY',
      'PASSERELLE_KB',
    ]);
    expect(readJson(file)).toEqual({
      PUBLIC_URL: 'http://localhost:3000',
      PORT: 3000,
      DATABASE_URL: 'sqlite:./var/p.db',
      PASSERELLE_ADMIN_TOKEN: 'an-admin-token-of-32-characters!',
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'gpt-4o-mini',
      LLM_API_KEY: 'sk-test-key',
    });
    expect(run.out).toContain('http://localhost:3000/sandbox');
  });

  it('asks a bad answer again with the key’s error message, as start-up words it', async () => {
    const file = join(tmp(), 'p.json');
    const prompter = scripted([
      'ftp://example.com',
      '',
      'eighty',
      '99999',
      '8081',
      'mysql://db/p',
      'postgres://passerelle@db.internal:5432/passerelle',
      'short',
      '-',
      'maybe',
      's',
      'not-a-token',
      '',
      'gpt',
      '',
      join(tmp(), 'missing-kb'),
      '',
    ]);
    const run = await init(file, prompter);
    expect(run.code).toBeUndefined();
    expect(run.err.split('\n')).toEqual([
      'PUBLIC_URL: expected a URL starting with http:// or https://, got "ftp://example.com"',
      'PORT: expected a TCP port number, got "eighty"',
      'PORT: expected a port between 0 and 65535, got "99999"',
      'DATABASE_URL: expected sqlite:<path> or postgres://…, got "mysql://db/p"',
      // A secret is never repeated.
      'PASSERELLE_ADMIN_TOKEN: expected a token of at least 16 characters',
      'expected sandbox or cloud, got "maybe"',
      expect.stringMatching(/^TELEGRAM_BOT_TOKEN: expected a bot token from @BotFather/),
      expect.stringMatching(/^LLM_PROVIDER: /),
      expect.stringMatching(/^PASSERELLE_KB: .*missing-kb: no such file or folder$/),
    ]);
    expect(run.err).not.toContain('short');
    expect(readJson(file)).toEqual({
      PORT: 8081,
      DATABASE_URL: 'postgres://passerelle@db.internal:5432/passerelle',
    });
  });

  it('checks Cloud API credentials against the Graph API, asking a refused token and a wrong number id again', async () => {
    const file = join(tmp(), 'cloud.json');
    const prompter = scripted([
      'https://gateway.example.com',
      ...SERVER_DEFAULTS.slice(1),
      'cloud',
      CREDS.verifyToken,
      CREDS.appSecret,
      'a-wrong-token',
      '999999',
      CREDS.accessToken,
      CREDS.phoneNumberId,
      // Verified: the display number comes from the phone number node, not asked.
      '102290129340398',
      ...NO_EXTRAS,
    ]);
    const run = await init(file, prompter, '--graph-url', sandbox.graphUrl);
    expect(run.code).toBeUndefined();
    expect(run.err).toContain('WHATSAPP_ACCESS_TOKEN: the Graph API refused the token (error 190 (HTTP 401)');
    expect(run.err).toContain(
      `WHATSAPP_PHONE_NUMBER_ID: the sandbox at ${sandbox.graphUrl} emulates the phone number id ${CREDS.phoneNumberId}`,
    );
    expect(run.err).not.toContain(CREDS.accessToken);
    expect(run.out).toContain('Verified: Passerelle Sandbox, +1 555-078-3881, quality GREEN.');
    const written = readJson(file);
    expect(written).toMatchObject({
      WHATSAPP_GRAPH_URL: sandbox.graphUrl,
      WHATSAPP_VERIFY_TOKEN: CREDS.verifyToken,
      WHATSAPP_APP_SECRET: CREDS.appSecret,
      WHATSAPP_ACCESS_TOKEN: CREDS.accessToken,
      WHATSAPP_PHONE_NUMBER_ID: CREDS.phoneNumberId,
      WHATSAPP_DISPLAY_NUMBER: '+15550783881',
      WHATSAPP_WABA_ID: '102290129340398',
    });
    expect(loadConfig({ env: {}, file }).whatsappMode).toBe('cloud');
    expect(modeOf(file)).toBe(0o600);
    expect(run.out).toContain('Callback URL  https://gateway.example.com/webhooks/whatsapp');
    expect(run.out).toContain(`Verify token  ${CREDS.verifyToken}`);
    expect(run.out).toContain('subscribe to the "messages" field');
  });

  it('prints the verified name and number and fills the display number when Meta knows the number', async () => {
    const graph = await startFakeApi((req, url) =>
      url.pathname === `/v25.0/${CREDS.phoneNumberId}` && req.headers.authorization === 'Bearer good-token'
        ? {
            body: {
              display_phone_number: '+1 555-078-3881',
              verified_name: 'Lumen Cycles',
              quality_rating: 'GREEN',
              id: CREDS.phoneNumberId,
            },
          }
        : { status: 401, body: graphError(190, 'Invalid OAuth access token') },
    );
    try {
      const file = join(tmp(), 'cloud.json');
      const prompter = scripted([
        ...SERVER_DEFAULTS,
        'c',
        '',
        'app-secret',
        'good-token',
        CREDS.phoneNumberId,
        '',
        ...NO_EXTRAS,
      ]);
      const run = await init(file, prompter, '--graph-url', graph.url);
      expect(run.code).toBeUndefined();
      expect(run.out).toContain('Verified: Lumen Cycles, +1 555-078-3881, quality GREEN.');
      expect(graph.requests[0]?.path).toBe(
        `/v25.0/${CREDS.phoneNumberId}?fields=display_phone_number,verified_name,quality_rating`,
      );
      const written = readJson(file);
      expect(written.WHATSAPP_DISPLAY_NUMBER).toBe('+15550783881');
      expect(String(written.WHATSAPP_VERIFY_TOKEN)).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(prompter.asked.some((q) => q.includes('WHATSAPP_DISPLAY_NUMBER'))).toBe(false);
      expect(run.out).toContain('Callback URL  https://<your host>/webhooks/whatsapp (set PUBLIC_URL)');
    } finally {
      await graph.close();
    }
  });

  it('refuses to replace an existing file unless confirmed, and writes the new one with mode 0600', async () => {
    const file = join(tmp(), 'passerelle.config.json');
    writeFileSync(file, '{"PORT": 1234}\n');
    chmodSync(file, 0o644);

    const declined = await init(file, scripted(['']));
    expect(declined.code).toBe(1);
    expect(declined.err).toContain('exists: not replaced');
    expect(readFileSync(file, 'utf8')).toBe('{"PORT": 1234}\n');

    const unattended = await init(file, undefined, '--yes');
    expect(unattended.code).toBe(1);
    expect(unattended.err).toContain('pass --force to replace it');
    expect(readFileSync(file, 'utf8')).toBe('{"PORT": 1234}\n');

    const confirmed = await init(file, scripted(['yes', ...SERVER_DEFAULTS, '', ...NO_EXTRAS]));
    expect(confirmed.code).toBeUndefined();
    expect(readJson(file).PORT).toBe(8080);
    expect(modeOf(file)).toBe(0o600);
  });

  it('writes where --file says, creating the folder', async () => {
    const dir = tmp();
    const target = join(dir, 'etc', 'passerelle.json');
    const run = await init(join(dir, 'unused.json'), undefined, '--yes', '--file', target);
    expect(run.code).toBeUndefined();
    expect(existsSync(join(dir, 'unused.json'))).toBe(false);
    expect(modeOf(target)).toBe(0o600);
  });
});

describe('the terminal prompter', () => {
  function terminal(isTTY: boolean) {
    const input = Object.assign(new PassThrough(), { isTTY });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c: Buffer) => (shown += c.toString()));
    return { input, prompter: terminalPrompter(input, output), shown: () => shown };
  }

  it('does not echo a secret typed on a terminal, and echoes the rest', async () => {
    const t = terminal(true);
    const secret = t.prompter.ask('Access token: ', { secret: true });
    t.input.write('s3cr3t-value\r');
    expect(await secret).toBe('s3cr3t-value');
    const port = t.prompter.ask('Port: ');
    t.input.write('8080\r');
    expect(await port).toBe('8080');
    t.prompter.close();
    expect(t.shown()).toContain('Access token: ');
    expect(t.shown()).not.toContain('s3cr3t');
    expect(t.shown()).toContain('8080');
  });

  it('keeps answers piped in before their questions, and says when the input ends', async () => {
    const t = terminal(false);
    t.input.write('first\nsecond\n');
    t.input.end();
    expect(await t.prompter.ask('One: ')).toBe('first');
    expect(await t.prompter.ask('Two: ')).toBe('second');
    await expect(t.prompter.ask('Three: ')).rejects.toBeInstanceOf(NoMoreInput);
    t.prompter.close();
  });
});
