/**
 * Fixed identities shared by the load generator, the baselines, the sandbox and Passerelle in a bench
 * run. They are bench-only values: nothing here reaches Meta.
 */
export const BENCH_SECRETS = {
  appSecret: 'bench-app-secret-0123456789abcdef',
  verifyToken: 'bench-verify-token',
  accessToken: 'bench-access-token-0123456789',
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  displayPhoneNumber: '15550783881',
} as const;

/** Graph API version every client under test uses. */
export const GRAPH_VERSION = 'v25.0';

/** Path every system under test serves its WhatsApp webhook on. */
export const WEBHOOK_PATH = '/webhooks/whatsapp';

/**
 * Milliseconds on the machine's monotonic clock (`CLOCK_MONOTONIC` on Linux), which is the same in
 * every process: the sandbox child stamps reply times with it and the load generator compares them
 * with its own send times.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
