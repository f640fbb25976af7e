import type { Command } from 'commander';
import {
  campaignProgress,
  campaignReport,
  cancelCampaign,
  CampaignError,
  createSunsetCampaign,
  listCampaigns,
  renderReport,
  type CampaignProgress,
} from '../identity/sunset.ts';
import { parseDuration, SunsetRequestSchema, toCampaignInput } from '../identity/sunset-request.ts';
import { consoleIo, openExistingStore, type CliIo } from './io.ts';

const DAY = 86_400_000;

function renderProgress(p: CampaignProgress): string {
  const c = p.campaign;
  const states = Object.entries(p.byState)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return [
    `Campaign ${c.id}: ${c.channel} closes ${new Date(c.sunsetAt).toISOString()} → ${c.settings.to.join(', ')} (${c.state})`,
    `  ${p.members} people: ${states || 'none'}; ${p.linked} linked, ${p.exported} exported, ${p.waiting} notified without acting`,
    `  notices: ${p.notices.total} (${p.notices.text} text, ${p.notices.template} template)`,
  ].join('\n');
}

/**
 * `passerelle sunset <channel> --date … --to …`: starts a sunset campaign (the running gateway sends
 * the notices at its next pass); `--list`, `--report <id>`, `--cancel <id>` follow it. Bad options
 * exit with 2 naming the option; a campaign already running for the channel, with 2 as well.
 */
export function registerSunset(program: Command, io: CliIo = consoleIo): void {
  program
    .command('sunset')
    .description('Move everyone off a closing channel: notices with link codes, reminders, redirect, report')
    .argument('[channel]', 'the channel that closes: whatsapp, telegram or webchat')
    .option('--date <date>', 'closing date: 2026-12-31 (midnight UTC) or an ISO date-time')
    .option('--to <channels>', 'channels to move to, comma-separated (e.g. telegram,webchat)')
    .option('--template <name:language>', 'approved template for notices outside the 24-hour window')
    .option(
      '--remind-every <duration>',
      'time between reminders to people who have not acted (e.g. 7d)',
      '7d',
    )
    .option('--max-reminders <n>', 'reminders at most per person', '2')
    .option('--active-within <duration>', 'enrol people seen on the channel within this time', '180d')
    .option('--list', 'list campaigns with their progress')
    .option('--report <id>', "print a finished campaign's final report")
    .option('--json', 'with --list or --report: print JSON')
    .option('--cancel <id>', 'cancel a running campaign')
    .action(async (channel: string | undefined, o: Record<string, string | boolean | undefined>) => {
      const fail = (msg: string) => {
        io.err(msg);
        process.exitCode = 2;
      };
      let request;
      if (!o.list && !o.report && !o.cancel) {
        if (!channel) return fail('Give the channel that closes (or --list, --report <id>, --cancel <id>).');
        const remind = parseDuration(String(o.remindEvery));
        const within = parseDuration(String(o.activeWithin));
        const max = Number(o.maxReminders);
        const [name, language] = typeof o.template === 'string' ? o.template.split(':') : [];
        if (typeof o.template === 'string' && (!name || !language))
          return fail(`--template: expected <name>:<language>, like channel_sunset:en; got "${o.template}"`);
        if (remind === undefined)
          return fail(`--remind-every: expected a duration like 7d or 12h, got "${o.remindEvery}"`);
        if (within === undefined)
          return fail(`--active-within: expected a duration like 180d, got "${o.activeWithin}"`);
        const parsed = SunsetRequestSchema.safeParse({
          channel,
          date: o.date ?? '',
          to:
            typeof o.to === 'string'
              ? o.to
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean)
              : [],
          ...(name && language ? { template: { name, language } } : {}),
          remindEveryDays: remind / DAY,
          maxReminders: Number.isInteger(max) ? max : -1,
          activeWithinDays: within / DAY,
        });
        if (!parsed.success)
          return fail(
            parsed.error.issues
              .map((i) => {
                const key = String(i.path[0] ?? '');
                const flag = {
                  date: '--date',
                  to: '--to',
                  channel: '<channel>',
                  maxReminders: '--max-reminders',
                }[key];
                return `${flag ?? key}: ${i.message}`;
              })
              .join('\n'),
          );
        request = parsed.data;
      }
      const store = await openExistingStore(program, io);
      if (!store) return;
      try {
        if (request) {
          const { campaign, enrolled } = await createSunsetCampaign(store.db, toCampaignInput(request));
          io.out(
            `Sunset campaign ${campaign.id} started: ${enrolled} people on ${campaign.channel} to notify before ${new Date(campaign.sunsetAt).toISOString()}.`,
          );
          io.out(
            `The running gateway sends the notices at its next pass (CAMPAIGN_INTERVAL_MS); follow it with "passerelle sunset --list".`,
          );
        } else if (o.list) {
          const all = await Promise.all(
            (await listCampaigns(store.db)).map((c) => campaignProgress(store.db, c.id)),
          );
          if (o.json) io.out(JSON.stringify(all, null, 2));
          else io.out(all.length ? all.map(renderProgress).join('\n') : 'No campaigns.');
        } else if (typeof o.report === 'string') {
          const report = await campaignReport(store.db, o.report);
          if (!report) {
            io.err(`Campaign ${o.report} has not finished yet; its progress:`);
            io.out(renderProgress(await campaignProgress(store.db, o.report)));
            process.exitCode = 1;
          } else io.out(o.json ? JSON.stringify(report, null, 2) : renderReport(report));
        } else if (typeof o.cancel === 'string') {
          const c = await cancelCampaign(store.db, o.cancel);
          io.out(`Campaign ${c.id} cancelled: no more notices; ${c.channel} no longer redirects.`);
        }
      } catch (err) {
        if (!(err instanceof CampaignError)) throw err;
        fail(err.message);
      } finally {
        await store.close();
      }
    });
}
