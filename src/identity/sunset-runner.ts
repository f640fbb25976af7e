import type { Logger } from 'pino';
import type { ChannelName } from '../core/channel.ts';
import type { Policy } from '../policy/index.ts';
import type { Db } from '../store/db.ts';
import type { LinkTargets } from './deep-links.ts';
import { pruneExportLinks } from './export-links.ts';
import { listCampaigns, tickCampaign, type Campaign, type TickResult } from './sunset.ts';

export interface SunsetRunnerOptions {
  db: Db;
  policy: Policy;
  logger: Logger;
  targets: () => LinkTargets;
  accounts: () => Partial<Record<ChannelName, string>>;
  /** Called when notices were queued. */
  onOutbox: () => void;
  clock?: (() => number) | undefined;
  /** Time between passes; default one minute. */
  intervalMs?: number;
}

/**
 * Runs the sunset campaigns in the gateway: a pass every `intervalMs` (and on demand) sends what is
 * due, tracks progress and finishes campaigns past their date; it also deletes expired export links.
 * It keeps the campaigns in memory so the pipeline can tell, without a query per message, whether a
 * channel has closed (`closedCampaign`). Campaigns created from another process (the CLI) are seen at
 * the next pass.
 */
export class SunsetRunner {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<unknown> | undefined;
  private campaigns: Campaign[] = [];

  constructor(private readonly opts: SunsetRunnerOptions) {}

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.tick().catch(() => {}), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Reloads the campaigns (after one was created or cancelled). */
  async refresh(): Promise<void> {
    this.campaigns = (await listCampaigns(this.opts.db)).filter((c) => c.state !== 'cancelled');
  }

  /** The campaign that closed `channel` (its date has passed), if any. */
  closedCampaign(channel: string, now = this.now()): Campaign | undefined {
    return this.campaigns.find((c) => c.channel === channel && c.sunsetAt <= now);
  }

  /** One pass over the active campaigns; passes never overlap. */
  tick(): Promise<TickResult[]> {
    const run = (this.running ?? Promise.resolve()).catch(() => {}).then(() => this.pass());
    this.running = run;
    return run;
  }

  private async pass(): Promise<TickResult[]> {
    const now = this.now();
    const results: TickResult[] = [];
    try {
      await this.refresh();
      for (const c of this.campaigns.filter((x) => x.state === 'active')) {
        const r = await tickCampaign(this.opts.db, c, {
          policy: this.opts.policy,
          targets: this.opts.targets(),
          accounts: this.opts.accounts(),
          now,
        });
        results.push(r);
        if (r.notices + r.reminders > 0) this.opts.onOutbox();
        if (r.notices + r.reminders + r.linked + r.exported + r.unreachable > 0 || r.finished)
          this.opts.logger.info({ campaignId: c.id, channel: c.channel, ...r }, 'sunset campaign pass');
      }
      if (results.some((r) => r.finished)) await this.refresh();
      await pruneExportLinks(this.opts.db, now);
    } catch (err) {
      this.opts.logger.error({ err }, 'sunset campaign pass failed; retried at the next pass');
      throw err;
    }
    return results;
  }
}
