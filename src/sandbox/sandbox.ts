import { SandboxClock } from './clock.ts';
import type { SandboxContext } from './context.ts';
import type { ActiveFault, Fault } from './faults.ts';
import { FaultInjector } from './faults.ts';
import { bsuidFor } from './ids.ts';
import { SendLimits } from './limits.ts';
import type { StoredMedia } from './media.ts';
import { MediaStore } from './media.ts';
import type { SandboxOptions, SandboxSettings, SettingsPatch } from './options.ts';
import { applySettings, resolveSettings, SILENT_LOGGER } from './options.ts';
import { PendingWork } from './pending.ts';
import type {
  ConversationItem,
  InboundMessage,
  OutboundMessage,
  SandboxEvent,
  SimUser,
  UserInput,
} from './state.ts';
import { SandboxState } from './state.ts';
import { StatusScheduler } from './statuses.ts';
import type { UserContent } from './user-actions.ts';
import { SandboxUserError, userSends } from './user-actions.ts';
import type { Business } from './webhook-bodies.ts';
import type { VerifyResult, WebhookAttempt } from './webhook-delivery.ts';
import { WebhookDispatcher } from './webhook-delivery.ts';

/** The programmatic face of one sandbox: what tests, the CLI and the control routes use. */
export interface Sandbox {
  readonly business: Business;
  readonly clock: SandboxClock;
  /** Current settings (read-only view; change them with `configure`). */
  readonly settings: Readonly<SandboxSettings>;
  /** Changes settings while running; limits start afresh when throughput or pair rate change. */
  configure(patch: SettingsPatch): Readonly<SandboxSettings>;
  readonly users: {
    create(input: UserInput): SimUser;
    get(ref: string): SimUser | undefined;
    list(): SimUser[];
  };
  /** The user sends something; a string is a text message. Returns the message (its `id` is the wamid). */
  userSends(user: string, content: UserContent | string): InboundMessage;
  /** The user taps a reply button or template quick-reply (or a list row) of `messageId`, by id or title. */
  tapButton(user: string, messageId: string, choice: string): InboundMessage;
  /** The user picks a row of the list message `messageId`, by id or title. */
  chooseListRow(user: string, messageId: string, row: string): InboundMessage;
  /** The user reacts to a business message; `null` removes the reaction. */
  react(user: string, messageId: string, emoji: string | null): InboundMessage;
  /** The user reads the chat (up to `upToId`): `read` statuses for what was sent or delivered. */
  read(user: string, upToId?: string): OutboundMessage[];
  /** Messages the business sent to the user, oldest first, with their status history. */
  sentTo(user: string): OutboundMessage[];
  /** The whole chat with the user, both directions, oldest first. */
  conversation(user: string): ConversationItem[];
  /** Every webhook POST attempt so far (oldest first, capped at 2000). */
  readonly webhookLog: readonly WebhookAttempt[];
  readonly faults: {
    inject(fault: Fault): ActiveFault;
    list(): ActiveFault[];
    clear(id?: number): void;
  };
  /** Stores a file as if uploaded; its id can be sent as `image.id` and so on. */
  uploadMedia(bytes: Buffer, mimeType: string, filename?: string): StoredMedia;
  /** Resolves when no status or webhook delivery (retries included) is pending on the sandbox clock. */
  idle(): Promise<void>;
  /** GET handshake against the webhook URL (spec §1.1); `verifyToken` overrides the configured one. */
  verifyWebhook(opts?: { verifyToken?: string }): Promise<VerifyResult>;
  /** Live changes (for the phone page's event stream); returns the unsubscribe function. */
  subscribe(listener: (event: SandboxEvent) => void): () => void;
  /** Absolute base URL used in media URLs of inbound webhooks (set by `startSandbox`, or learnt). */
  setPublicUrl(url: string): void;
  /** Cancels timers and pending deliveries. */
  close(): Promise<void>;
}

const contexts = new WeakMap<Sandbox, SandboxContext>();

/** The internals behind a sandbox, for its routes. */
export function contextOf(sandbox: Sandbox): SandboxContext {
  const ctx = contexts.get(sandbox);
  if (!ctx) throw new Error('not a sandbox created by createSandbox()');
  return ctx;
}

/** Creates a sandbox without any HTTP server: mount it with `sandboxPlugin`, or use `startSandbox`. */
export function createSandbox(opts: SandboxOptions): Sandbox {
  const ctx = buildContext(opts);
  const { state } = ctx;
  const sandbox: Sandbox = {
    business: ctx.business,
    clock: ctx.clock,
    get settings() {
      return ctx.settings;
    },
    configure(patch) {
      applySettings(ctx.settings, patch);
      if ('throughputPerSecond' in patch || 'pairRate' in patch || 'marketingCap' in patch)
        ctx.limits.reset();
      return ctx.settings;
    },
    users: {
      create: (input) => createUser(ctx, input),
      get: (ref) => state.findUser(ref),
      list: () => [...state.users.values()],
    },
    userSends: (user, content) =>
      userSends(ctx, user, typeof content === 'string' ? { type: 'text', text: content } : content),
    tapButton: (user, messageId, choice) => userSends(ctx, user, { type: 'tap', messageId, choice }),
    chooseListRow: (user, messageId, row) => userSends(ctx, user, { type: 'tap', messageId, choice: row }),
    react: (user, messageId, emoji) => userSends(ctx, user, { type: 'reaction', messageId, emoji }),
    read: (user, upToId) => ctx.statuses.userRead(requireUser(ctx, user), upToId),
    sentTo: (user) =>
      state
        .conversation(requireUser(ctx, user).key)
        .filter((i): i is OutboundMessage => i.direction === 'out'),
    conversation: (user) => state.conversation(requireUser(ctx, user).key),
    get webhookLog() {
      return ctx.dispatcher.log;
    },
    faults: {
      inject: (fault) => ctx.faults.inject(fault),
      list: () => ctx.faults.list(),
      clear: (id) => ctx.faults.clear(id),
    },
    uploadMedia: (bytes, mimeType, filename) => ctx.media.put(bytes, mimeType, filename),
    idle: () => ctx.pending.idle(),
    verifyWebhook: (o) => ctx.dispatcher.verify(o),
    subscribe: (listener) => state.subscribe(listener),
    setPublicUrl: (url) => {
      publicUrl.value = url.replace(/\/+$/, '');
    },
    close: async () => {
      ctx.statuses.close();
      ctx.dispatcher.close();
      ctx.clock.close();
    },
  };
  const publicUrl = { value: opts.publicUrl?.replace(/\/+$/, '') };
  ctx.baseUrl = () => publicUrl.value ?? 'http://127.0.0.1';
  ctx.learnBaseUrl = (url) => {
    publicUrl.value ??= url.replace(/\/+$/, '');
  };
  contexts.set(sandbox, ctx);
  for (const u of opts.users ?? []) createUser(ctx, u);
  return sandbox;
}

function buildContext(opts: SandboxOptions): SandboxContext {
  const settings = resolveSettings(opts);
  const clock = opts.clock ?? new SandboxClock();
  const business: Business = {
    wabaId: opts.wabaId ?? '102290129340398',
    phoneNumberId: opts.phoneNumberId,
    displayPhoneNumber: (opts.displayPhoneNumber ?? '15550783881').replace(/\D/g, ''),
  };
  const getSettings = (): SandboxSettings => settings;
  const logger = opts.logger ?? SILENT_LOGGER;
  const state = new SandboxState();
  const faults = new FaultInjector();
  const pending = new PendingWork();
  const dispatcher = new WebhookDispatcher({
    business,
    clock,
    settings: getSettings,
    appSecret: opts.appSecret,
    verifyToken: opts.verifyToken,
    faults,
    pending,
    logger,
  });
  return {
    business,
    accessToken: opts.accessToken,
    appSecret: opts.appSecret,
    verifyToken: opts.verifyToken,
    settings,
    templates: opts.templates ?? [],
    clock,
    state,
    media: new MediaStore(clock, opts.appSecret),
    limits: new SendLimits(clock, getSettings),
    faults,
    pending,
    dispatcher,
    statuses: new StatusScheduler({ clock, settings: getSettings, state, dispatcher, faults, pending }),
    logger,
    baseUrl: () => 'http://127.0.0.1',
    learnBaseUrl: () => {},
  };
}

/** Validates and adds a simulated user (digits-only wa_id; a BSUID derived when `userId: true`). */
export function createUser(ctx: SandboxContext, input: UserInput): SimUser {
  const waId = (input.waId ?? '').replace(/[\s\-().]/g, '').replace(/^\+/, '');
  if (waId && !/^\d{5,15}$/.test(waId)) throw new SandboxUserError(`"${input.waId}" is not a phone number.`);
  const name = (input.name ?? '').trim();
  if (!name) throw new SandboxUserError('A simulated user needs a profile name.');
  const userId =
    input.userId === true ? bsuidFor(ctx.business.wabaId, waId || input.username || name) : input.userId;
  if (!waId && !userId) throw new SandboxUserError('A user without a phone number needs a BSUID (userId).');
  if (userId !== undefined && !/^user\.\S+$/.test(userId))
    throw new SandboxUserError('A BSUID starts with "user.".');
  return ctx.state.addUser({
    key: waId || userId!,
    waId,
    name,
    ...(userId ? { userId } : {}),
    ...(input.username ? { username: input.username } : {}),
    ...(input.countryCode ? { countryCode: input.countryCode } : {}),
  });
}

function requireUser(ctx: SandboxContext, ref: string): SimUser {
  const user = ctx.state.findUser(ref);
  if (!user) throw new SandboxUserError(`No simulated user "${ref}".`, 404);
  return user;
}
