import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDoctor, type DoctorReport } from '../../src/cli/doctor.ts';
import { openStore } from '../../src/store/db.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { runCli } from '../helpers/cli.ts';
import { CREDS, startStack } from '../helpers/stack.ts';
import { graphError, startFakeApi } from './helpers.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'passerelle-doctor-'));

/** A config file holding `values`. */
function configFile(values: Record<string, unknown>): string {
  const file = join(tmp(), 'passerelle.config.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** A migrated SQLite database, as `passerelle migrate` leaves it. */
async function migratedDatabase(): Promise<string> {
  const url = `sqlite:${join(tmp(), 'p.db')}`;
  const store = openStore({ url });
  await store.migrate();
  await store.close();
  return url;
}

async function doctor(file: string) {
  const run = await runCli(registerDoctor, file, ['doctor', '--json']);
  return { ...run, report: JSON.parse(run.out) as DoctorReport };
}

const check = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

const CHECKS = [
  'config',
  'database',
  'queue',
  'policy',
  'knowledge base',
  'whatsapp',
  'templates',
  'webhook',
  'telegram',
  'llm',
];

const cloud = (graphUrl: string) => ({
  WHATSAPP_VERIFY_TOKEN: CREDS.verifyToken,
  WHATSAPP_APP_SECRET: CREDS.appSecret,
  WHATSAPP_ACCESS_TOKEN: CREDS.accessToken,
  WHATSAPP_PHONE_NUMBER_ID: CREDS.phoneNumberId,
  WHATSAPP_GRAPH_URL: graphUrl,
});

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...CREDS, host: '127.0.0.1', port: 0 });
});
afterAll(() => sandbox.close());

describe('passerelle doctor', () => {
  it('passes a good sandbox configuration on SQLite, listing every check, exit code 0', async () => {
    const file = configFile({ DATABASE_URL: await migratedDatabase() });
    const run = await runCli(registerDoctor, file, ['doctor']);
    expect(run.code).toBeUndefined();
    const lines = run.out.split('\n');
    for (const name of CHECKS)
      expect(
        lines.some((l) => new RegExp(`^ok +${name} `).test(l)),
        `${name} in:\n${run.out}`,
      ).toBe(true);
    expect(run.out).toContain('sandbox mode');
    expect(run.out).toContain('All checks passed.');
  });

  it('reports a missing database as an error with the fix, and does not create it', async () => {
    const dir = tmp();
    const file = configFile({ DATABASE_URL: `sqlite:${join(dir, 'nowhere.db')}` });
    const { code, report } = await doctor(file);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'database')).toEqual({
      name: 'database',
      status: 'error',
      message: `no database at ${join(dir, 'nowhere.db')} (DATABASE_URL)`,
      fix: 'run "passerelle migrate" to create it, or point DATABASE_URL at the existing database',
    });
    expect(existsSync(join(dir, 'nowhere.db'))).toBe(false);
    const text = await runCli(registerDoctor, file, ['doctor']);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^error +database +no database at .*\n {25}fix: run "passerelle migrate"/m);
    expect(text.out).toContain('1 error, 0 warnings.');
  });

  it('warns of pending migrations', async () => {
    const url = `sqlite:${join(tmp(), 'empty.db')}`;
    await openStore({ url }).close(); // an empty database file
    const { code, report } = await doctor(configFile({ DATABASE_URL: url }));
    expect(code).toBeUndefined();
    expect(check(report, 'database')).toMatchObject({
      status: 'warning',
      message: expect.stringMatching(/migration\(s\) pending: 0001_core/),
      fix: 'run "passerelle migrate" (start also applies them)',
    });
  });

  it('names the bad key of an invalid configuration, and runs nothing else', async () => {
    const { code, report } = await doctor(configFile({ PORT: 'eighty', WHATSAPP_APP_SECRET: 'x' }));
    expect(code).toBe(1);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'config', status: 'error' });
    expect(report.checks[0]!.message).toContain(
      'PORT (config file): expected a TCP port number, got "eighty"',
    );
  });

  it('reports a token the Graph API refuses as an error naming WHATSAPP_ACCESS_TOKEN', async () => {
    const file = configFile({
      DATABASE_URL: await migratedDatabase(),
      ...cloud(sandbox.graphUrl),
      WHATSAPP_ACCESS_TOKEN: 'not-the-sandbox-token',
    });
    const { code, report } = await doctor(file);
    expect(code).toBe(1);
    expect(check(report, 'whatsapp')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^WHATSAPP_ACCESS_TOKEN: the Graph API refused the token \(error 190/),
      fix: expect.stringContaining('system-user token'),
    });
    expect(JSON.stringify(report)).not.toContain('not-the-sandbox-token');
  });

  it('verifies good credentials against the sandbox phone number node, and names a wrong id', async () => {
    const file = configFile({ DATABASE_URL: await migratedDatabase(), ...cloud(sandbox.graphUrl) });
    const { report } = await doctor(file);
    expect(check(report, 'whatsapp')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('Passerelle Sandbox'),
    });
    const wrongId = await doctor(
      configFile({
        ...cloud(sandbox.graphUrl),
        WHATSAPP_PHONE_NUMBER_ID: '123',
        DATABASE_URL: 'sqlite::memory:',
      }),
    );
    expect(check(wrongId.report, 'whatsapp')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(
        /^WHATSAPP_PHONE_NUMBER_ID: the sandbox at .* emulates the phone number id/,
      ),
    });
  });

  it('checks the webhook through PUBLIC_URL as Meta does: /healthz, then the challenge echoed', async () => {
    const stack = await startStack();
    try {
      const values = {
        DATABASE_URL: `sqlite:${stack.dbFile}`,
        ...cloud(stack.sandbox.graphUrl),
        PUBLIC_URL: stack.url,
      };
      const good = await doctor(configFile(values));
      expect(good.code).toBeUndefined();
      expect(check(good.report, 'webhook')).toEqual({
        name: 'webhook',
        status: 'warning',
        message: `${stack.url}/webhooks/whatsapp echoes the challenge, but PUBLIC_URL is not https://`,
        fix: expect.stringContaining('TLS reverse proxy'),
      });
      expect(check(good.report, 'database')?.status).toBe('ok');

      const otherToken = await doctor(
        configFile({ ...values, WHATSAPP_VERIFY_TOKEN: 'another-verify-token' }),
      );
      expect(otherToken.code).toBe(1);
      expect(check(otherToken.report, 'webhook')).toMatchObject({
        status: 'error',
        message: `${stack.url}/webhooks/whatsapp refused WHATSAPP_VERIFY_TOKEN (HTTP 403): the running gateway has another verify token`,
      });
      expect(JSON.stringify(otherToken.report)).not.toContain('another-verify-token');
    } finally {
      await stack.close();
    }
  });

  it('reports a PUBLIC_URL nothing answers at as an error', async () => {
    const closed = await freePort();
    const { code, report } = await doctor(
      configFile({ DATABASE_URL: await migratedDatabase(), PUBLIC_URL: `http://127.0.0.1:${closed}` }),
    );
    expect(code).toBe(1);
    expect(check(report, 'webhook')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/healthz \(.*ECONNREFUSED/),
    });
  });

  it('compares the templates the policy names with those Meta lists for WHATSAPP_WABA_ID', async () => {
    const graph = await startFakeApi((_req, url) => {
      if (url.pathname === `/v25.0/${CREDS.phoneNumberId}`)
        return {
          body: {
            display_phone_number: '+1 555-078-3881',
            verified_name: 'Lumen Cycles',
            quality_rating: 'GREEN',
          },
        };
      if (url.pathname === '/v25.0/102290129340398/message_templates')
        return url.searchParams.get('after') === 'page2'
          ? {
              body: {
                data: [{ name: 'order_update', language: 'en_US', status: 'PAUSED', category: 'UTILITY' }],
              },
            }
          : {
              body: {
                data: [
                  { name: 'window_reopen', language: 'en', status: 'APPROVED', category: 'UTILITY' },
                  { name: 'channel_sunset', language: 'fr', status: 'APPROVED', category: 'UTILITY' },
                ],
                paging: { cursors: { after: 'page2' }, next: 'https://graph.example/next?access_token=x' },
              },
            };
      return { status: 400, body: graphError(100, 'Unsupported get request.', 'GraphMethodException') };
    });
    try {
      const dir = tmp();
      const policy = join(dir, 'policy.yaml');
      writeFileSync(
        policy,
        [
          'whatsapp:',
          '  window:',
          '    outside:',
          '      template: { name: window_reopen, language: en }',
          '  templates:',
          '    - { name: window_reopen, language: en, category: utility }',
          '    - { name: order_update, language: en_US, category: utility }',
          '    - { name: channel_sunset, language: en, category: utility }',
          '',
        ].join('\n'),
      );
      const values = {
        DATABASE_URL: await migratedDatabase(),
        ...cloud(graph.url),
        WHATSAPP_WABA_ID: '102290129340398',
        PASSERELLE_POLICY: policy,
      };
      const { code, report } = await doctor(configFile(values));
      expect(code).toBe(1);
      expect(check(report, 'whatsapp')).toMatchObject({
        status: 'ok',
        message: expect.stringContaining('Lumen Cycles, +1 555-078-3881, quality GREEN'),
      });
      expect(check(report, 'templates')).toMatchObject({
        status: 'error',
        message:
          'not APPROVED at Meta: order_update (en_US) is PAUSED; channel_sunset (en) exists only in fr',
      });
      // The next page is asked with the cursor, never with Meta's `next` URL (it holds a token).
      expect(graph.requests.map((r) => r.path)).toContain(
        '/v25.0/102290129340398/message_templates?fields=name,language,status,category&limit=100&after=page2',
      );
      expect(graph.requests.every((r) => r.authorization === `Bearer ${CREDS.accessToken}`)).toBe(true);

      const noWaba = await doctor(configFile({ ...values, WHATSAPP_WABA_ID: undefined }));
      expect(check(noWaba.report, 'templates')).toMatchObject({
        status: 'warning',
        fix: expect.stringContaining('WHATSAPP_WABA_ID'),
      });
    } finally {
      await graph.close();
    }
  });

  it('asks Telegram getMe and an OpenAI-compatible server for its models', async () => {
    const token = '123456789:AAHabcdefghijklmnopqrstuvwxyz0123456';
    const api = await startFakeApi((_req, url) => {
      if (url.pathname === `/bot${token}/getMe`)
        return { body: { ok: true, result: { id: 123456789, username: 'acme_bot' } } };
      if (url.pathname.endsWith('/getMe'))
        return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
      if (url.pathname === '/v1/models')
        return { body: { object: 'list', data: [{ id: 'llama3' }, { id: 'qwen3' }] } };
      return { status: 404, body: {} };
    });
    try {
      const values = {
        DATABASE_URL: await migratedDatabase(),
        TELEGRAM_BOT_TOKEN: token,
        TELEGRAM_API_URL: api.url,
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: `${api.url}/v1`,
        LLM_MODEL: 'llama3',
      };
      const good = await doctor(configFile(values));
      expect(good.code).toBeUndefined();
      expect(check(good.report, 'telegram')).toMatchObject({
        status: 'ok',
        message: '@acme_bot, long polling',
      });
      expect(check(good.report, 'llm')).toMatchObject({
        status: 'ok',
        message: `${api.url}/v1 answers and lists the model llama3`,
      });

      const otherToken = '123456789:AAHzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz';
      const bad = await doctor(
        configFile({ ...values, TELEGRAM_BOT_TOKEN: otherToken, LLM_MODEL: 'mistral' }),
      );
      expect(bad.code).toBe(1);
      expect(check(bad.report, 'telegram')).toMatchObject({
        status: 'error',
        message: 'TELEGRAM_BOT_TOKEN: Telegram refused the token (HTTP 401: Unauthorized)',
      });
      expect(check(bad.report, 'llm')).toMatchObject({
        status: 'warning',
        fix: expect.stringContaining('llama3, qwen3'),
      });
      expect(JSON.stringify(bad.report)).not.toContain(otherToken);
    } finally {
      await api.close();
    }
  });

  it('connects to the NATS server of QUEUE_URL, and says when nothing listens', async () => {
    const listening = await listen();
    try {
      const port = (listening.address() as { port: number }).port;
      const database = await migratedDatabase();
      const up = await doctor(
        configFile({ DATABASE_URL: database, QUEUE_URL: `nats://user:secret@127.0.0.1:${port}` }),
      );
      expect(check(up.report, 'queue')).toMatchObject({
        status: 'warning', // SQLite: several processes need Postgres
        message: expect.stringContaining(`nats://127.0.0.1:${port} accepts connections`),
      });
      expect(JSON.stringify(up.report)).not.toContain('secret');
      const closed = await freePort();
      const down = await doctor(
        configFile({ DATABASE_URL: database, QUEUE_URL: `nats://127.0.0.1:${closed}` }),
      );
      expect(down.code).toBe(1);
      expect(check(down.report, 'queue')).toMatchObject({
        status: 'error',
        message: `QUEUE_URL: cannot connect to nats://127.0.0.1:${closed} (ECONNREFUSED)`,
      });
    } finally {
      listening.close();
    }
  });

  it('prints one JSON object with --json', async () => {
    const file = configFile({ DATABASE_URL: await migratedDatabase() });
    const run = await runCli(registerDoctor, file, ['doctor', '--json']);
    const report = JSON.parse(run.out) as DoctorReport;
    expect(report).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    expect(report.checks.map((c) => c.name)).toEqual(CHECKS);
    for (const c of report.checks) expect(['ok', 'warning', 'error']).toContain(c.status);
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A port nothing listens on (just closed). */
async function freePort(): Promise<number> {
  const server = await listen();
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
