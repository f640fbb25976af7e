import type { SandboxClock } from './clock.ts';
import type { FaultInjector } from './faults.ts';
import type { SendLimits } from './limits.ts';
import type { MediaStore } from './media.ts';
import type { SandboxLogger, SandboxSettings } from './options.ts';
import type { PendingWork } from './pending.ts';
import type { SandboxState } from './state.ts';
import type { StatusScheduler } from './statuses.ts';
import type { SandboxTemplate } from './templates.ts';
import type { Business } from './webhook-bodies.ts';
import type { WebhookDispatcher } from './webhook-delivery.ts';

/**
 * Everything one sandbox instance is made of, handed to the request handlers and user actions.
 * Built once by `createSandbox`; the public `Sandbox` API is a thin layer over it.
 */
export interface SandboxContext {
  business: Business;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  /** Live settings; mutate through `Sandbox.configure` so limits reset when they change. */
  settings: SandboxSettings;
  templates: SandboxTemplate[];
  clock: SandboxClock;
  state: SandboxState;
  media: MediaStore;
  limits: SendLimits;
  faults: FaultInjector;
  pending: PendingWork;
  dispatcher: WebhookDispatcher;
  statuses: StatusScheduler;
  logger: SandboxLogger;
  /** Absolute base URL of the sandbox (`http://host:port[/prefix]`), for media URLs. */
  baseUrl(): string;
  /** Remembers the base URL seen on a request, unless one is configured or already known. */
  learnBaseUrl(url: string): void;
}

/** spec §3: the customer service window lasts 24 hours from the user's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

/** Whether the business may send free-form messages to the user right now. */
export function windowOpen(ctx: SandboxContext, userKey: string): boolean {
  const last = ctx.state.lastInbound(ctx.business.phoneNumberId, userKey);
  return last !== undefined && ctx.clock.now() - last < WINDOW_MS;
}
