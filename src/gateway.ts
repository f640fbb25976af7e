import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { within } from './core/async.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { KbError, SAMPLE_KB } from './assistant/kb.ts';
import { KbAssistant } from './assistant/kb/assistant.ts';
import { decide, type Ranked } from './assistant/kb/decide.ts';
import { buildMatcher, matcherOptionsFor, type Matcher } from './assistant/kb/matcher.ts';
import { KbSource } from './assistant/kb/source.ts';
import { DeferredAssistant } from './assistant/deferred.ts';
import { rankerGrounding, type Grounding } from './assistant/llm/grounding.ts';
import { llmConfigFrom } from './assistant/llm/settings.ts';
import type { Assistant } from './assistant/port.ts';
import { TelegramChannel } from './channels/telegram/channel.ts';
import { WebchatChannel } from './channels/webchat/channel.ts';
import { buildWidget } from './channels/webchat/widget/build.ts';
import { telegramSettingsFrom } from './channels/telegram/settings.ts';
import { GraphClient } from './channels/whatsapp/graph-client.ts';
import { WhatsAppOutbound } from './channels/whatsapp/outbound.ts';
import { ConfigError, type Config } from './config.ts';
import { newId } from './core/ids.ts';
import { createLogger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { Dispatcher, limitsFromProfile } from './outbox/dispatcher.ts';
import { WindowResolver } from './outbox/window.ts';
import { loadPolicy, PolicyError, type Policy } from './policy/index.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import { IdentityGate } from './identity/gate.ts';
import { createExportLink } from './identity/export-links.ts';
import { SunsetRunner } from './identity/sunset-runner.ts';
import { exportDownloadRoutes } from './server/export-download.ts';
import { ConsoleEvents } from './console/server/events.ts';
import { mountConsole, type MountedConsole } from './console/server/mount.ts';
import { WEBCHAT_ACCOUNT } from './channels/webchat/protocol.ts';
import { stop as stopEsbuild } from 'esbuild';
import { deltaSink } from './channels/webchat/stream.ts';
import type { ChannelName } from './core/channel.ts';
import { LocalQueue } from './queue/local.ts';
import type { NatsQueue } from './queue/nats.ts';
import type { WorkQueue } from './queue/port.ts';
import { mountSandbox, type MountedSandbox } from './sandbox/mount.ts';
import { adminApiRoutes } from './server/admin-api.ts';
import { healthRoutes } from './server/health.ts';
import { homeRoute } from './server/home.ts';
import { telegramIngest, telegramWebhookRoutes, type TelegramIngest } from './server/telegram-webhook.ts';
import { webchatRoutes } from './server/webchat.ts';
import { whatsappWebhookRoutes } from './server/whatsapp-webhook.ts';
import { openStore, type Store } from './store/db.ts';
import { inboxDepth, releaseOwnedInbox } from './store/inbox.ts';
import { inboxIngest } from './store/inbox-ingest.ts';
import { intakeDepth } from './store/intake.ts';
import { IntakeDrain } from './queue/intake-drain.ts';
import { outboxDepth } from './store/outbox.ts';

export interface GatewayOptions {
  config: Config;
  logger?: Logger;
  /** Replaces the knowledge-base assistant (tests, embedding). */
  assistant?: Assistant;
  /** Current time for policy decisions (tests move it; default `Date.now`). */
  clock?: () => number;
}

/** The sandbox business's phone number (digits), unless `WHATSAPP_DISPLAY_NUMBER` says otherwise. */
const SANDBOX_NUMBER = '15550783881';

/** WhatsApp credentials in effect: the operator's, or generated ones shared with the sandbox. */
interface WhatsAppSettings {
  verifyToken: string;
  appSecret: string;
  accessToken: string;
  phoneNumberId: string;
  graphUrl: string;
  apiVersion: string;
}

/**
 * The composition root: store, work queue, pipeline, dispatcher, channels and HTTP server, with one
 * lifecycle. `start()` listens and starts the workers; `stop()` shuts down gracefully: stop accepting,
 * let in-flight requests, batches and sends finish (bounded), release the rest, close the store.
 */
export class Gateway {
  readonly app: FastifyInstance;
  readonly logger: Logger;
  readonly metrics = new Metrics();
  readonly store: Store;
  readonly queue: WorkQueue;
  /** WhatsApp webhooks taken in during a flood, on their way to the inbox. */
  readonly intake: IntakeDrain;
  readonly pipeline: Pipeline;
  readonly dispatcher: Dispatcher;
  /** The rules in force: the shipped defaults, overridden by `PASSERELLE_POLICY`. */
  readonly policy: Policy;
  readonly windows: WindowResolver;
  private readonly clock: (() => number) | undefined;
  readonly whatsapp: WhatsAppSettings;
  /** The Telegram channel, present only when `TELEGRAM_BOT_TOKEN` is set. */
  readonly telegram: TelegramChannel | undefined;
  private readonly telegramIngest: TelegramIngest | undefined;
  /** The web chat (`/webchat/ws`, `/widget.js`, `/chat`): always on. */
  readonly webchat: WebchatChannel;
  sandbox: MountedSandbox | undefined;
  /** The knowledge base and its matcher, reloaded on change (absent when an assistant was given). */
  kbSource: KbSource<Matcher> | undefined;
  private readonly owner = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  private baseUrl = '';
  /** Loopback URL of this process, for its own callers (the mounted sandbox, tests, the CLI). */
  localUrl = '';
  /** Live updates for open consoles. */
  readonly consoleEvents = new ConsoleEvents();
  /** The operator console (`/console`), once the routes are registered. */
  console!: MountedConsole;
  /** Sunset campaigns: notices, reminders, the report, and whether a channel has closed. */
  readonly sunset: SunsetRunner;
  /** The Telegram bot's username, for `t.me` links: configured, or learnt from `getMe` at start. */
  private telegramUsername: string | undefined;

  private constructor(
    readonly config: Config,
    opts: GatewayOptions,
    /** The NATS queue class, loaded only when `QUEUE_URL` names a NATS server (its client costs memory). */
    nats?: typeof NatsQueue,
  ) {
    this.logger = opts.logger ?? createLogger(config.LOG_LEVEL);
    this.store = openStore({ url: config.DATABASE_URL, synchronous: config.SQLITE_SYNCHRONOUS });
    this.whatsapp =
      config.whatsappMode === 'cloud'
        ? {
            verifyToken: config.WHATSAPP_VERIFY_TOKEN!,
            appSecret: config.WHATSAPP_APP_SECRET!,
            accessToken: config.WHATSAPP_ACCESS_TOKEN!,
            phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID!,
            graphUrl: config.WHATSAPP_GRAPH_URL,
            apiVersion: config.WHATSAPP_API_VERSION,
          }
        : {
            verifyToken: 'sandbox-verify-' + randomBytes(6).toString('hex'),
            appSecret: randomBytes(16).toString('hex'),
            accessToken: 'sandbox-token-' + randomBytes(12).toString('hex'),
            phoneNumberId: '106540352242922',
            graphUrl: '', // known once listening
            apiVersion: config.WHATSAPP_API_VERSION,
          };

    this.app = Fastify({
      loggerInstance: this.logger as FastifyBaseLogger,
      // URLs carry hub.verify_token: routes log what matters themselves.
      logController: new LogController({ disableRequestLogging: true }),
      forceCloseConnections: 'idle',
      // A slow or stuck client must not hold a request (or shutdown) open forever.
      requestTimeout: 30_000,
      connectionTimeout: 30_000,
    });
    this.queue =
      config.QUEUE_URL === 'local'
        ? new LocalQueue({
            db: this.store.db,
            logger: this.logger,
            concurrency: config.PIPELINE_CONCURRENCY,
          })
        : new nats!({
            url: config.QUEUE_URL,
            stream: config.QUEUE_STREAM,
            db: this.store.db,
            logger: this.logger,
            concurrency: config.PIPELINE_CONCURRENCY,
            leaseMs: config.PIPELINE_LEASE_MS,
            name: this.owner,
          });
    this.intake = new IntakeDrain({
      db: this.store.db,
      queue: this.queue,
      metrics: this.metrics,
      logger: this.logger,
    });
    inboxIngest(this.store.db).divertTo(this.intake);
    this.policy = Gateway.loadPolicy(config);
    this.clock = opts.clock;
    const telegram = telegramSettingsFrom(config);
    this.telegram = telegram ? new TelegramChannel(telegram, this.logger) : undefined;
    this.telegramIngest = telegram
      ? telegramIngest({
          db: this.store.db,
          queue: this.queue,
          metrics: this.metrics,
          logger: this.logger,
          botId: telegram.botId,
        })
      : undefined;
    this.webchat = new WebchatChannel(
      {
        secret: config.WEBCHAT_SECRET,
        databaseUrl: config.DATABASE_URL,
        origins: config.WEBCHAT_ORIGINS,
        publicUrl: config.PUBLIC_URL,
      },
      { db: this.store.db, queue: this.queue, metrics: this.metrics, logger: this.logger },
    );
    const assistant = opts.assistant ?? this.buildAssistant();
    this.dispatcher = new Dispatcher({
      store: this.store,
      channels: {
        whatsapp: new WhatsAppOutbound((account) => this.graphClient(account)),
        ...(this.telegram ? { telegram: this.telegram.outbound } : {}),
        webchat: this.webchat.outbound,
      },
      logger: this.logger,
      metrics: this.metrics,
      owner: this.owner,
      retry: { maxAttempts: config.OUTBOX_MAX_ATTEMPTS, unitMs: config.OUTBOX_RETRY_UNIT_MS },
      limits: {
        whatsapp: limitsFromProfile(this.policy.whatsapp),
        ...(this.telegram ? { telegram: limitsFromProfile(this.policy.telegram) } : {}),
      },
      onNeedsTemplate: () => this.windows.wake(),
      // On Postgres several processes may send from one number: its limits live in the database.
      sharedLimits: this.store.dialect === 'postgres',
      leaseMs: config.OUTBOX_LEASE_MS,
      unknownGraceMs: config.OUTBOX_UNKNOWN_GRACE_MS,
    });
    this.pipeline = new Pipeline({
      store: this.store,
      assistant,
      logger: this.logger,
      metrics: this.metrics,
      owner: this.owner,
      leaseMs: config.PIPELINE_LEASE_MS,
      onOutbox: () => this.dispatcher.wake(),
      // Telegram's "typing…" (sendChatAction) rides on the mark-as-read item, as WhatsApp's does.
      typingChannels: ['whatsapp', 'telegram', 'webchat'],
      onDeliveryFailed: () => this.windows.wake(),
      policy: this.policy,
      ...(opts.clock ? { clock: opts.clock } : {}),
      onActivity: (people) => this.consoleEvents.changed(people),
      // The web chat shows an LLM's answer as it is written.
      stream: (event) => (event.channel === 'webchat' ? deltaSink(this.webchat.hub, event) : undefined),
      identity: new IdentityGate({
        targets: () => this.linkTargets(),
        exportLink: createExportLink,
        closedBy: (channel, now) => this.sunset.closedCampaign(channel, now),
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
    });
    this.sunset = new SunsetRunner({
      db: this.store.db,
      policy: this.policy,
      logger: this.logger,
      targets: () => this.linkTargets(),
      accounts: () => this.accounts(),
      onOutbox: () => this.dispatcher.wake(),
      clock: opts.clock,
      intervalMs: config.CAMPAIGN_INTERVAL_MS,
    });
    this.windows = new WindowResolver({
      db: this.store.db,
      policy: this.policy,
      logger: this.logger,
      onOutbox: () => this.dispatcher.wake(),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    this.metrics.setDepthSource(async () => ({
      inbox: await inboxDepth(this.store.db),
      intake: await intakeDepth(this.store.db),
      outbox: await outboxDepth(this.store.db),
    }));
  }

  /** Where people can continue, for the deep links sent with link codes and sunset notices. */
  private linkTargets() {
    return {
      whatsappNumber: this.whatsappNumber(),
      telegramBot: this.telegramUsername,
      baseUrl: this.baseUrl,
    };
  }

  /** The business account each enabled channel sends from. */
  private accounts(): Partial<Record<ChannelName, string>> {
    return {
      whatsapp: this.whatsapp.phoneNumberId,
      ...(this.telegram ? { telegram: this.telegram.botId } : {}),
      webchat: WEBCHAT_ACCOUNT,
    };
  }

  /** The business's WhatsApp number for `wa.me` links: configured, or the sandbox's. */
  private whatsappNumber(): string | undefined {
    return (
      this.config.WHATSAPP_DISPLAY_NUMBER ??
      (this.config.whatsappMode === 'sandbox' ? SANDBOX_NUMBER : undefined)
    );
  }

  /** The policy file named by `PASSERELLE_POLICY` over the defaults; problems stop start-up. */
  private static loadPolicy(config: Config): Policy {
    try {
      return loadPolicy(config.PASSERELLE_POLICY, {
        whatsappMessagesPerSecond: config.WHATSAPP_MESSAGES_PER_SECOND,
        whatsappPairBurst: config.WHATSAPP_PAIR_BURST,
      });
    } catch (err) {
      if (err instanceof PolicyError)
        throw new ConfigError(err.problems.map((p) => `PASSERELLE_POLICY: ${p}`));
      throw err;
    }
  }

  /**
   * The offline knowledge-base assistant (a calibrated matcher over `PASSERELLE_KB`, reloaded when the
   * files change), and an LLM in front of it when `LLM_*` is configured. Both decline the same
   * out-of-scope messages.
   */
  private buildAssistant(): Assistant {
    try {
      this.kbSource = new KbSource(
        this.config.PASSERELLE_KB ?? SAMPLE_KB,
        (kb) => {
          const matcher = buildMatcher(kb, matcherOptionsFor(kb));
          for (const warning of matcher.warnings) this.logger.warn({ kb: kb.source }, warning);
          return matcher;
        },
        this.logger,
      );
    } catch (err) {
      if (err instanceof KbError) throw new ConfigError(err.problems.map((p) => `PASSERELLE_KB: ${p}`));
      throw err;
    }
    const source = this.kbSource;
    const current = () => ({ kb: source.current().kb, matcher: source.current().built });
    const offline = new KbAssistant(current);
    const llm = llmConfigFrom(this.config);
    if (!llm) return offline;
    this.logger.info(
      { provider: llm.provider, model: llm.model },
      'LLM answers enabled, grounded in the knowledge base',
    );
    const grounding: Grounding = {
      retrieve: (text, k) => {
        const { kb, matcher } = current();
        const scope = (r: Ranked) => decide(r, matcher.thresholds).kind === 'out_of_scope';
        return rankerGrounding(matcher, kb.entries, scope).retrieve(text, k);
      },
    };
    // The AI SDK is loaded only now: a gateway without a model does not carry it.
    const ready = import('./assistant/llm/index.ts').then(({ createLlmAssistant }) =>
      createLlmAssistant({
        config: llm,
        kb: source.current().kb,
        grounding,
        fallback: offline,
        db: this.store.db,
        logger: this.logger,
        tuning: { timeoutMs: this.config.LLM_TIMEOUT_MS, maxRetries: this.config.LLM_MAX_RETRIES },
      }),
    );
    this.assistantReady = ready;
    return new DeferredAssistant(ready);
  }

  /** Resolves once the assistant is built (the LLM stack loads asynchronously). */
  private assistantReady: Promise<unknown> = Promise.resolve();

  private readonly graphClients = new Map<string, GraphClient>();

  /** One Graph API client per sending number, created on first use (the Graph URL is known by then). */
  private graphClient(account: string): GraphClient {
    let c = this.graphClients.get(account);
    if (!c) {
      c = new GraphClient({
        graphUrl: this.whatsapp.graphUrl,
        apiVersion: this.whatsapp.apiVersion,
        accessToken: this.whatsapp.accessToken,
        phoneNumberId: account,
        timeoutMs: this.config.WHATSAPP_TIMEOUT_MS,
      });
      this.graphClients.set(account, c);
    }
    return c;
  }

  /** Builds a gateway: opens the store and runs migrations; call `start()` to serve. */
  static async create(opts: GatewayOptions): Promise<Gateway> {
    const nats = opts.config.QUEUE_URL === 'local' ? undefined : (await import('./queue/nats.ts')).NatsQueue;
    const gw = new Gateway(opts.config, opts, nats);
    try {
      await gw.assistantReady;
      await gw.store.migrate();
      await gw.registerRoutes();
    } catch (err) {
      await gw.store.close();
      throw err;
    }
    return gw;
  }

  private async registerRoutes(): Promise<void> {
    await this.app.register(healthRoutes, { metrics: this.metrics, ready: () => this.readiness() });
    await this.app.register(homeRoute, { sandbox: this.config.whatsappMode === 'sandbox' });
    await this.app.register(whatsappWebhookRoutes, {
      db: this.store.db,
      queue: this.queue,
      metrics: this.metrics,
      verifyToken: this.whatsapp.verifyToken,
      appSecret: this.whatsapp.appSecret,
    });
    await this.app.register(webchatRoutes, {
      channel: this.webchat,
      db: this.store.db,
      widget: await buildWidget(),
    });
    await this.app.register(exportDownloadRoutes, {
      db: this.store.db,
      ...(this.config.PUBLIC_URL ? { instance: this.config.PUBLIC_URL } : {}),
      ...(this.clock ? { clock: this.clock } : {}),
    });
    if (this.telegramIngest) {
      await this.app.register(telegramWebhookRoutes, {
        ingest: this.telegramIngest,
        metrics: this.metrics,
        secret: this.telegram?.settings.secret,
      });
    }
    const kb = this.kbSource;
    this.console = await mountConsole(this.app, {
      db: this.store.db,
      policy: this.policy,
      events: this.consoleEvents,
      secureCookies: (this.config.PUBLIC_URL ?? '').startsWith('https:'),
      kb: kb ? () => ({ kb: kb.current().kb, matcher: kb.current().built }) : undefined,
      pipelineSeconds: this.metrics.pipelineSeconds,
      // Waiting inbound events, and outbound items by state (`outbox_pending`, `outbox_held`…).
      depths: async () => ({
        inbox: await inboxDepth(this.store.db),
        // Webhook requests a flood left in the intake log, on their way to the inbox.
        intake: await intakeDepth(this.store.db),
        ...Object.fromEntries(
          Object.entries(await outboxDepth(this.store.db)).map(([k, v]) => [`outbox_${k}`, v]),
        ),
      }),
      onOutbox: () => this.dispatcher.wake(),
      clock: this.clock,
    });
    // Both front ends are built: esbuild's service process is not needed any more (~20 MB). It starts
    // again by itself if anything builds later.
    await stopEsbuild();
    await this.app.register(adminApiRoutes, {
      db: this.store.db,
      policy: this.policy,
      token: this.config.PASSERELLE_ADMIN_TOKEN,
      accounts: { whatsapp: this.whatsapp.phoneNumberId },
      onOutbox: () => this.dispatcher.wake(),
      publicUrl: this.config.PUBLIC_URL,
      campaigns: { onChange: () => this.sunset.refresh(), runPass: () => this.sunset.tick() },
      ...(this.clock ? { clock: this.clock } : {}),
    });
    if (this.config.whatsappMode === 'sandbox') {
      this.sandbox = await mountSandbox(this.app, {
        // A first simulated user, so the phone page is ready to chat on first open.
        users: [{ waId: '33612345678', name: 'Alex (demo)' }],
        appSecret: this.whatsapp.appSecret,
        verifyToken: this.whatsapp.verifyToken,
        accessToken: this.whatsapp.accessToken,
        phoneNumberId: this.whatsapp.phoneNumberId,
        displayPhoneNumber: this.whatsappNumber(),
        logger: this.logger,
      });
    }
  }

  /** Listens and starts the workers. Resolves with the base URL. */
  async start(): Promise<string> {
    try {
      // Before the first webhook: whether requests left in the intake log by an earlier run come first.
      await this.intake.start();
      const address = await this.app.listen({ port: this.config.PORT, host: this.config.HOST });
      const port = new URL(address).port;
      this.baseUrl = this.config.PUBLIC_URL ?? `http://localhost:${port}`;
      const local = `http://127.0.0.1:${port}`;
      this.localUrl = local;
      if (this.sandbox) {
        this.whatsapp.graphUrl = `${local}/sandbox/graph`;
        this.sandbox.connect(`${local}/webhooks/whatsapp`);
      }
      this.kbSource?.watch();
      await this.queue.start(this.pipeline.handle);
      this.dispatcher.start();
      this.windows.start();
      await this.sunset.start();
      if (this.telegram && this.telegramIngest) {
        await this.telegram.start(this.telegramIngest);
        this.telegramUsername = this.config.TELEGRAM_BOT_USERNAME ?? (await this.telegram.username());
      }
    } catch (err) {
      // The port taken, a worker that cannot start (the NATS server down…): stop what did start, and
      // say why.
      await this.stop().catch(() => {});
      throw err;
    }
    this.state = 'running';
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  private async readiness(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ok = this.state === 'running';
    checks.state = this.state;
    try {
      await this.store.ping();
      checks.store = 'ok';
    } catch (err) {
      ok = false;
      checks.store = (err as Error).message;
    }
    // Reported, not failing readiness: webhooks must still be received and stored meanwhile.
    for (const [account, s] of this.dispatcher.suspended)
      checks[`sending:${account}`] =
        `paused: credentials refused (${s.code}) since ${new Date(s.since).toISOString()}`;
    return { ok, checks };
  }

  /** Graceful shutdown; safe to call twice. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    // One budget for the whole shutdown, not one per stage.
    const deadline = Date.now() + this.config.SHUTDOWN_TIMEOUT_MS;
    this.kbSource?.close();
    await this.sandbox?.close();
    // Stop accepting; requests in flight finish, until the deadline.
    const closed = this.app.close();
    if (!(await within(closed, deadline))) this.app.server.closeAllConnections();
    await closed;
    await this.telegram?.stop();
    await this.intake.stop();
    await this.queue.stop(Math.max(0, deadline - Date.now()));
    // Batches still running keep their leases; anything not started is handed back at once.
    await releaseOwnedInbox(this.store.db, this.owner);
    await this.windows.stop();
    await this.sunset.stop();
    await this.dispatcher.stop(deadline);
    await this.store.close();
    this.state = 'stopped';
  }
}
