/**
 * The sandbox: a faithful local emulator of the WhatsApp Cloud API (spec §7), with simulated users,
 * a phone page and fault injection, so the gateway and every test run without a Meta account.
 *
 * Standalone (tests, `passerelle sandbox`):
 * ```ts
 * const sb = await startSandbox({ appSecret, verifyToken, accessToken, phoneNumberId, webhookUrl });
 * // gateway: WHATSAPP_GRAPH_URL = sb.graphUrl (`http://127.0.0.1:PORT/graph`)
 * sb.users.create({ waId: '33612345678', name: 'Chloé' });
 * sb.userSends('33612345678', 'Bonjour !');          // signed webhook to webhookUrl
 * await sb.idle();                                  // every pending webhook delivered (or given up)
 * sb.sentTo('33612345678');                         // what the business sent, with statuses
 * sb.tapButton('33612345678', wamid, 'yes-button'); // reply button, list row or template quick reply
 * sb.read('33612345678');                           // the user reads: `read` statuses
 * sb.clock.advance(24 * 3600_000);                  // close the 24-hour window
 * sb.faults.inject({ kind: 'send_error', code: 131000, times: 2 });
 * await sb.close();
 * ```
 * Mounted in the gateway: `await mountSandbox(app, options)` serves it under `/sandbox` (phone page
 * `/sandbox`, Graph `/sandbox/graph`, control API `/sandbox/api`), then `connect(webhookUrl)`. Or, for
 * full control: `app.register(sandboxPlugin, { prefix: '/sandbox', sandbox: createSandbox(options) })`.
 *
 * Control API (JSON, no auth, local only), under `<base>/api`: `GET /state`, `PATCH /settings`,
 * `GET|POST /users`, `GET /users/:user/conversation`, `POST /users/:user/messages|tap|react|read`,
 * `POST /clock/advance {ms}`, `GET|POST|DELETE /faults`, `DELETE /faults/:id`, `GET /webhooks`,
 * `POST /webhooks/verify`, `GET /media/:id`, `GET /events` (Server-Sent Events).
 */
import Fastify from 'fastify';
import type { SandboxOptions } from './options.ts';
import { sandboxPlugin } from './plugin.ts';
import type { Sandbox } from './sandbox.ts';
import { createSandbox } from './sandbox.ts';

export { SandboxClock } from './clock.ts';
export type { TimerHandle } from './clock.ts';
export { ERROR_CATALOG, GraphError, webhookError } from './errors.ts';
export type { GraphErrorBody, WebhookErrorObject } from './errors.ts';
export { faultSchema } from './faults.ts';
export type { ActiveFault, Fault } from './faults.ts';
export { mountSandbox } from './mount.ts';
export type { MountedSandbox } from './mount.ts';
export { DEFAULT_SETTINGS } from './options.ts';
export type {
  SandboxLogger,
  SandboxOptions,
  SandboxSettings,
  SettingsPatch,
  StatusDelays,
} from './options.ts';
export { sandboxPlugin } from './plugin.ts';
export type { SandboxPluginOptions } from './plugin.ts';
export { createSandbox } from './sandbox.ts';
export type { Sandbox } from './sandbox.ts';
export type {
  ConversationItem,
  InboundMessage,
  OutboundMessage,
  Pricing,
  SandboxEvent,
  SimUser,
  StatusRecord,
  UserInput,
} from './state.ts';
export type { SandboxTemplate } from './templates.ts';
export { SandboxUserError } from './user-actions.ts';
export type { UserContent } from './user-actions.ts';
export type { Business } from './webhook-bodies.ts';
export type { VerifyResult, WebhookAttempt } from './webhook-delivery.ts';

/** A sandbox with its own HTTP server. */
export interface RunningSandbox extends Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123`; the phone page is served there. */
  readonly url: string;
  /** Graph API base for the gateway's `WHATSAPP_GRAPH_URL`: `<url>/graph`. */
  readonly graphUrl: string;
  /** Stops the server and the sandbox. */
  close(): Promise<void>;
}

/**
 * Starts a sandbox on its own HTTP server (default `127.0.0.1`, an ephemeral port). Used by tests and
 * by `passerelle sandbox`.
 */
export async function startSandbox(
  opts: SandboxOptions & { port?: number; host?: string },
): Promise<RunningSandbox> {
  const { port = 0, host = '127.0.0.1', ...options } = opts;
  const sandbox = createSandbox(options);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(sandboxPlugin, { sandbox });
  const address = await app.listen({ port, host });
  const url = options.publicUrl?.replace(/\/+$/, '') ?? address.replace('://[::1]', '://localhost');
  sandbox.setPublicUrl(url);
  return Object.assign(sandbox, {
    url,
    graphUrl: `${url}/graph`,
    close: () => app.close(),
  });
}
