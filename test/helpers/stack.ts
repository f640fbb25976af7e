import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Assistant } from '../../src/assistant/port.ts';
import { signBody } from '../../src/channels/whatsapp/signature.ts';
import { loadConfig } from '../../src/config.ts';
import { Gateway } from '../../src/gateway.ts';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/index.ts';

export const CREDS = {
  appSecret: 'e2e-app-secret-0123456789',
  verifyToken: 'e2e-verify-token',
  accessToken: 'e2e-access-token-abcdef',
  phoneNumberId: '106540352242922',
};

/**
 * A gateway's configuration for tests: loopback, an ephemeral port, silent logs, the test WhatsApp
 * credentials against the sandbox at `graphUrl`, fast retries; `extra` on top.
 */
export function testGatewayConfig(
  graphUrl: string,
  databaseUrl: string,
  extra: Record<string, unknown> = {},
) {
  return loadConfig({
    env: {},
    file: false,
    overrides: {
      PORT: 0,
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      WHATSAPP_VERIFY_TOKEN: CREDS.verifyToken,
      WHATSAPP_APP_SECRET: CREDS.appSecret,
      WHATSAPP_ACCESS_TOKEN: CREDS.accessToken,
      WHATSAPP_PHONE_NUMBER_ID: CREDS.phoneNumberId,
      WHATSAPP_GRAPH_URL: graphUrl,
      OUTBOX_RETRY_UNIT_MS: 10,
      ...extra,
    },
  });
}

export interface Stack {
  sandbox: RunningSandbox;
  gateway: Gateway;
  /** Gateway base URL on loopback. */
  url: string;
  dbFile: string;
  close(): Promise<void>;
}

/**
 * A gateway in Cloud API mode whose Graph API is a standalone sandbox, wired both ways over real
 * HTTP on loopback: the production path, with Meta replaced by the emulator.
 */
export async function startStack(
  opts: {
    sandbox?: Partial<SandboxOptions>;
    config?: Record<string, unknown>;
    assistant?: Assistant;
    logger?: Logger;
    /** The gateway's clock for policy decisions (default: real time). */
    clock?: () => number;
  } = {},
): Promise<Stack> {
  const sandbox = await startSandbox({
    ...CREDS,
    host: '127.0.0.1',
    port: 0,
    webhookRetry: { baseDelayMs: 20, maxAttempts: 6 },
    ...opts.sandbox,
  });
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-e2e-'));
  const dbFile = join(dir, 'gateway.db');
  // `PASSERELLE_TEST_DATABASE=postgres`: the gateway's store in a fresh Postgres schema (see db.ts).
  const pgDatabase =
    process.env.PASSERELLE_TEST_DATABASE === 'postgres'
      ? await (await import('./db.ts')).createTestDatabase('postgres')
      : undefined;
  const config = testGatewayConfig(sandbox.graphUrl, pgDatabase?.url ?? `sqlite:${dbFile}`, opts.config);
  const gateway = await Gateway.create({
    config,
    ...(opts.assistant ? { assistant: opts.assistant } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await gateway.start();
  const url = gateway.localUrl;
  sandbox.configure({ webhookUrl: `${url}/webhooks/whatsapp` });
  return {
    sandbox,
    gateway,
    url,
    dbFile,
    async close() {
      await sandbox.close();
      await gateway.stop();
      await pgDatabase?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Posts a webhook body signed with `secret` (or with the given header, or none when `null`). */
export async function postWebhook(
  url: string,
  body: string | Buffer,
  signature: string | null | { secret: string } = { secret: CREDS.appSecret },
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null)
    headers['x-hub-signature-256'] =
      typeof signature === 'string' ? signature : signBody(body, signature.secret);
  return fetch(`${url}/webhooks/whatsapp`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
}
