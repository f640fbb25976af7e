import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/channels/whatsapp/inbound.ts';
import { newId } from '../../src/core/ids.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { freePort, runCli, waitHttpOk, type Child } from '../helpers/process.ts';
import { CREDS, waitFor } from '../helpers/stack.ts';

/**
 * The gateway in a child process, killed with SIGKILL at awkward moments and restarted on the same
 * database: every inbound message must be answered exactly once.
 */
let sandbox: RunningSandbox;
let port: number;
let dbFile: string;
let gateway: Child | undefined;

function env(): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${dbFile}`,
    LOG_LEVEL: 'warn',
    WHATSAPP_VERIFY_TOKEN: CREDS.verifyToken,
    WHATSAPP_APP_SECRET: CREDS.appSecret,
    WHATSAPP_ACCESS_TOKEN: CREDS.accessToken,
    WHATSAPP_PHONE_NUMBER_ID: CREDS.phoneNumberId,
    WHATSAPP_GRAPH_URL: sandbox.graphUrl,
    OUTBOX_RETRY_UNIT_MS: '20',
    OUTBOX_LEASE_MS: '1000',
    WHATSAPP_TIMEOUT_MS: '800',
    // Longer than the sandbox's webhook retry gaps while the gateway restarts (100 ms doubling): a
    // send in doubt is proven by its `sent` status before the grace ends, as with Meta's retries.
    OUTBOX_UNKNOWN_GRACE_MS: '10000',
    PIPELINE_LEASE_MS: '1000',
  };
}

async function startGateway(): Promise<void> {
  gateway = runCli(['start'], env());
  await waitHttpOk(`http://127.0.0.1:${port}/readyz`, 60_000);
}

async function killGateway(): Promise<void> {
  gateway?.proc.kill('SIGKILL');
  await gateway?.exited;
  gateway = undefined;
}

function outboxRows(): { state: string; provider_message_id: string | null; recipient: string }[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("select state, provider_message_id, recipient from outbox where kind = 'message'")
      .all() as never;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({
    ...CREDS,
    host: '127.0.0.1',
    port: 0,
    webhookRetry: { baseDelayMs: 100, maxAttempts: 12 },
  });
  port = await freePort();
  dbFile = join(mkdtempSync(join(tmpdir(), 'passerelle-crash-')), 'gateway.db');
  sandbox.configure({ webhookUrl: `http://127.0.0.1:${port}/webhooks/whatsapp` });
  await startGateway();
});

beforeEach(async () => {
  // A test that failed half-way may have left the gateway down.
  if (!gateway) await startGateway();
});

afterAll(async () => {
  await killGateway();
  await sandbox.close();
});

describe('crash safety', () => {
  it('sends the reply exactly once when killed while the send is in flight (the API accepted it)', async () => {
    const user = '33700000001';
    sandbox.users.create({ waId: user, name: 'Ana' });
    sandbox.faults.inject({ kind: 'send_hang', ms: 1500, times: 1 });
    sandbox.userSends(user, 'When are you open?');
    // The fault is used up when the send request reaches the API: it is now hanging there.
    await waitFor(() => sandbox.faults.list().length === 0, 20_000, 'send reached the API');
    await killGateway();
    // The API processes the hung request after the gateway died: the message goes out, and the
    // `sent` status (carrying our idempotency key) waits in the sandbox's webhook retries.
    await waitFor(() => sandbox.sentTo(user).length === 1, 20_000, 'API accepted');
    await startGateway();
    await waitFor(
      () => outboxRows().find((r) => r.recipient === user)?.state === 'sent',
      30_000,
      'reconciled',
    );
    await new Promise((r) => setTimeout(r, 2500)); // reconciled: nothing more goes out
    expect(sandbox.sentTo(user)).toHaveLength(1);
    expect(outboxRows().find((r) => r.recipient === user)?.provider_message_id).toBe(
      sandbox.sentTo(user)[0]!.id,
    );
  });

  it('sends the reply exactly once when killed after the inbox commit, before the reply went out', async () => {
    const user = '33700000002';
    sandbox.users.create({ waId: user, name: 'Ben' });
    const fault = sandbox.faults.inject({ kind: 'send_error', code: 131000, times: 'always' });
    sandbox.userSends(user, 'Do you deliver?');
    await waitFor(() => outboxRows().some((r) => r.recipient === user), 20_000, 'reply queued');
    await killGateway();
    sandbox.faults.clear(fault.id);
    await startGateway();
    await waitFor(() => sandbox.sentTo(user).length >= 1, 30_000, 'reply after restart');
    await new Promise((r) => setTimeout(r, 1000));
    expect(sandbox.sentTo(user)).toHaveLength(1);
  });

  it.each([0, 5, 15, 40])(
    'answers exactly once when killed %i ms after the webhook was acknowledged',
    async (delayMs) => {
      const user = `3370000010${delayMs % 10}${String(delayMs).length}`;
      sandbox.users.create({ waId: user, name: 'Cy' });
      const before = sandbox.webhookLog.length;
      const msg = sandbox.userSends(user, 'Is there a warranty?');
      await waitFor(
        () => sandbox.webhookLog.slice(before).some((a) => a.status === 200 && a.body.includes(msg.id)),
        20_000,
        'webhook acknowledged',
      );
      await new Promise((r) => setTimeout(r, delayMs));
      await killGateway();
      await startGateway();
      await waitFor(() => sandbox.sentTo(user).length >= 1, 30_000, 'reply after restart');
      // Settled (sent, or reconciled from its status) before judging: a resend would come before.
      await waitFor(
        () => outboxRows().find((r) => r.recipient === user)?.state === 'sent',
        30_000,
        'settled',
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(sandbox.sentTo(user)).toHaveLength(1);
    },
  );

  it('answers exactly once a webhook that a killed process left in the intake log, delivered again too', async () => {
    // In a flood, a webhook is acknowledged once it is in the intake log; the process then died
    // before draining it. Meta does not deliver it again (it was acknowledged)…
    const user = '33700000201';
    sandbox.users.create({ waId: user, name: 'Dee' });
    await killGateway();
    sandbox.faults.inject({ kind: 'webhook_drop', times: 1 });
    const before = sandbox.webhookLog.length;
    const msg = sandbox.userSends(user, 'Is there a warranty?');
    const dropped = sandbox.webhookLog.slice(before).find((a) => a.body.includes(msg.id))!;
    expect(dropped.outcome).toBe('dropped');
    const parsed = parseWebhook(JSON.parse(dropped.body));
    if (!parsed.ok) throw new Error(parsed.message);
    const db = new Database(dbFile);
    try {
      db.prepare('insert into intake (id, events, received_at) values (?, ?, ?)').run(
        newId(),
        JSON.stringify(parsed.events),
        Date.now(),
      );
    } finally {
      db.close();
    }
    await startGateway();
    await waitFor(() => sandbox.sentTo(user).length >= 1, 30_000, 'reply after restart');
    // …except when it does anyway: the copy is a duplicate of what the log held.
    const again = await fetch(`http://127.0.0.1:${port}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': dropped.signature },
      body: dropped.body,
    });
    expect(again.status).toBe(200);
    await waitFor(() => outboxRows().find((r) => r.recipient === user)?.state === 'sent', 30_000, 'settled');
    await new Promise((r) => setTimeout(r, 1000));
    expect(sandbox.sentTo(user)).toHaveLength(1);
  });
});
