import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several gateways can live in one test
 * process). Queue depths are gauges read on scrape through `setDepthSource`.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Webhook events by outcome: accepted (new), duplicate, rejected (bad signature or body). */
  readonly inbound = new Counter({
    name: 'passerelle_inbound_events_total',
    help: 'Inbound webhook events by channel, kind and outcome',
    labelNames: ['channel', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookRequests = new Counter({
    name: 'passerelle_webhook_requests_total',
    help: 'Webhook HTTP requests by channel and response status code',
    labelNames: ['channel', 'code'] as const,
    registers: [this.registry],
  });

  readonly intakeRequests = new Counter({
    name: 'passerelle_intake_requests_total',
    help: 'Webhook requests acknowledged through the intake log (a flood), by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });

  readonly outbound = new Counter({
    name: 'passerelle_outbound_messages_total',
    help: 'Outbound sends by channel, kind and outcome (sent, retry, dead, needs_template, coalesced)',
    labelNames: ['channel', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly statuses = new Counter({
    name: 'passerelle_status_events_total',
    help: 'Delivery status notifications applied, by channel and status',
    labelNames: ['channel', 'status'] as const,
    registers: [this.registry],
  });

  readonly ackSeconds = new Histogram({
    name: 'passerelle_webhook_ack_seconds',
    help: 'Time from webhook request to acknowledgement (inbox committed)',
    labelNames: ['channel'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly pipelineSeconds = new Histogram({
    name: 'passerelle_pipeline_seconds',
    help: 'Time to process an inbound message batch into outbox replies',
    labelNames: ['channel'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly sendSeconds = new Histogram({
    name: 'passerelle_send_seconds',
    help: 'Provider API call latency for sends, by channel and kind',
    labelNames: ['channel', 'kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private depthSource:
    (() => Promise<{ inbox: number; intake: number; outbox: Record<string, number> }>) | undefined;

  readonly queueDepth = new Gauge({
    name: 'passerelle_queue_depth',
    help: 'Items waiting, by queue (inbox, intake, outbox) and state',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.depthSource) return;
      const d = await this.depthSource();
      this.queueDepth.reset();
      this.queueDepth.set({ queue: 'inbox', state: 'waiting' }, d.inbox);
      // Webhook requests stored in a flood, not yet inbox items (each may hold several events).
      this.queueDepth.set({ queue: 'intake', state: 'waiting' }, d.intake);
      for (const [state, n] of Object.entries(d.outbox)) this.queueDepth.set({ queue: 'outbox', state }, n);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'passerelle_' });
  }

  setDepthSource(fn: () => Promise<{ inbox: number; intake: number; outbox: Record<string, number> }>): void {
    this.depthSource = fn;
  }
}
