import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { randomBytes } from 'node:crypto';
import { startSandbox } from '../sandbox/index.ts';

interface SandboxCliOptions {
  port: string;
  host: string;
  webhook?: string;
  appSecret?: string;
  verifyToken?: string;
  accessToken?: string;
  phoneNumberId: string;
  windowMode: 'async' | 'sync';
  duplicates: number;
  bsuid?: boolean;
  verify?: boolean;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function portNumber(v: string): string {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535');
  return v;
}

function windowMode(v: string): 'async' | 'sync' {
  if (v !== 'async' && v !== 'sync') throw new InvalidArgumentError('expected async or sync');
  return v;
}

function httpUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError('expected a URL like http://127.0.0.1:3000/webhook');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL, like http://127.0.0.1:3000/webhook');
  }
  return v;
}

/**
 * `passerelle sandbox`: runs the WhatsApp Cloud API emulator alone, pointed at any webhook URL, so it
 * can test any WhatsApp bot — not only Passerelle.
 */
export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('Run the local WhatsApp Cloud API emulator alone, sending webhooks to any bot')
    .option('-p, --port <port>', 'HTTP port', portNumber, '8090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-w, --webhook <url>', "your bot's webhook URL (e.g. http://127.0.0.1:3000/webhook)", httpUrl)
    .option(
      '--app-secret <secret>',
      'app secret used to sign webhooks (default: WHATSAPP_APP_SECRET or random)',
    )
    .option(
      '--verify-token <token>',
      'verify token for the GET handshake (default: WHATSAPP_VERIFY_TOKEN or random)',
    )
    .option(
      '--access-token <token>',
      'Bearer token the Graph API accepts (default: WHATSAPP_ACCESS_TOKEN or random)',
    )
    .option(
      '--phone-number-id <id>',
      'business phone number id',
      process.env.WHATSAPP_PHONE_NUMBER_ID ?? '106540352242922',
    )
    .option(
      '--window-mode <mode>',
      'free-form send outside the 24 h window: async (200 then failed status) or sync (400)',
      windowMode,
      'async',
    )
    .option('--duplicates <n>', 'extra copies of every webhook, to test de-duplication', nonNegativeInt, 0)
    .option(
      '--bsuid',
      'include business-scoped user ids and usernames in webhooks (WhatsApp usernames, 2026)',
    )
    .option('--verify', 'perform the GET verification handshake against --webhook at start')
    .action(async (o: SandboxCliOptions) => {
      const secrets = {
        appSecret: o.appSecret ?? process.env.WHATSAPP_APP_SECRET ?? randomBytes(16).toString('hex'),
        verifyToken:
          o.verifyToken ?? process.env.WHATSAPP_VERIFY_TOKEN ?? 'verify-' + randomBytes(6).toString('hex'),
        accessToken:
          o.accessToken ?? process.env.WHATSAPP_ACCESS_TOKEN ?? 'sandbox-' + randomBytes(12).toString('hex'),
      };
      const sb = await startSandbox({
        ...secrets,
        phoneNumberId: o.phoneNumberId,
        port: Number(o.port),
        host: o.host,
        ...(o.webhook ? { webhookUrl: o.webhook } : {}),
        windowMode: o.windowMode,
        duplicates: o.duplicates,
        bsuid: o.bsuid === true,
      });
      console.log(
        [
          '',
          `WhatsApp Cloud API sandbox at ${sb.url}`,
          `  phone page        ${sb.url}/`,
          `  Graph API base    ${sb.graphUrl}   (e.g. POST ${sb.graphUrl}/v25.0/${o.phoneNumberId}/messages)`,
          `  webhooks go to    ${o.webhook ?? '(none: set --webhook)'}`,
          '',
          'Configure your bot with:',
          `  WHATSAPP_GRAPH_URL=${sb.graphUrl}`,
          `  WHATSAPP_PHONE_NUMBER_ID=${o.phoneNumberId}`,
          `  WHATSAPP_ACCESS_TOKEN=${secrets.accessToken}`,
          `  WHATSAPP_APP_SECRET=${secrets.appSecret}`,
          `  WHATSAPP_VERIFY_TOKEN=${secrets.verifyToken}`,
          '',
        ].join('\n'),
      );
      if (o.verify && o.webhook) {
        const r = await sb.verifyWebhook();
        console.log(`Webhook verification: ${JSON.stringify(r)}`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => void sb.close().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
