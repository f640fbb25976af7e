import { z } from 'zod';
import type { ChannelName } from '../core/channel.ts';
import type { MessageContent } from '../core/content.ts';
import { newId } from '../core/ids.ts';
import { initiate } from '../outbox/initiate.ts';
import { consentState, type Policy } from '../policy/index.ts';
import { audit } from '../store/audit.ts';
import { consentsOf } from '../store/consents.ts';
import type { Db } from '../store/db.ts';
import type { CampaignMembersTable, CampaignsTable } from '../store/schema.ts';
import { formatCode, issueLinkCode } from './codes.ts';
import { deepLinks, type LinkTargets } from './deep-links.ts';
import { identityLanguage } from './phrases.ts';
import { sunsetDate, sunsetText } from './sunset-phrases.ts';

/**
 * Sunset campaigns: moving everyone off a channel that is closing. For every person active on it, a
 * notice with their personal link code and deep links to the channels that stay: inside the 24-hour
 * window as free text, outside it through the operator's approved template (which, being
 * business-initiated, needs the person's opt-in: the policy decides). Progress is tracked per person
 * (notified, linked, exported, opted out, unreachable); people who have not acted are reminded on a
 * schedule until the date; after it the campaign is finished with a report, and whoever writes on
 * the closed channel is answered with the way to continue (`IdentityGate`).
 *
 * Every step is idempotent: a notice's outbox key is `sunset:<campaign>:<person>:<n>`, so a tick
 * interrupted by a crash and run again sends nothing twice.
 */

const DAY = 24 * 60 * 60_000;
const CHANNELS = ['whatsapp', 'telegram', 'webchat'] as const;

const TemplateRef = z.strictObject({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) });

export const SunsetSettingsSchema = z.strictObject({
  /** Where people should go. */
  to: z.array(z.enum(CHANNELS)).min(1, 'expected at least one channel to move to'),
  /**
   * The approved template for notices outside the window, with three body parameters: the date, the
   * person's code, and a link. `byLanguage` picks another one by the person's language.
   */
  template: TemplateRef.extend({ byLanguage: z.record(z.string(), TemplateRef).optional() }).optional(),
  remindEveryMs: z
    .number()
    .int()
    .min(60_000)
    .default(7 * DAY),
  maxReminders: z.number().int().min(0).max(20).default(2),
  /** People whose contact on the channel was seen within this long are enrolled. */
  activeWithinMs: z
    .number()
    .int()
    .positive()
    .default(180 * DAY),
});
export type SunsetSettings = z.infer<typeof SunsetSettingsSchema>;

export class CampaignError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'conflict' | 'not_found',
  ) {
    super(message);
    this.name = 'CampaignError';
  }
}

export interface Campaign {
  id: string;
  channel: ChannelName;
  sunsetAt: number;
  settings: SunsetSettings;
  state: CampaignsTable['state'];
  createdAt: number;
  finishedAt: number | null;
}

function toCampaign(r: CampaignsTable): Campaign {
  return {
    id: r.id,
    channel: r.channel as ChannelName,
    sunsetAt: Number(r.sunset_at),
    settings: SunsetSettingsSchema.parse(JSON.parse(r.settings)),
    state: r.state,
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

export async function getCampaign(db: Db, id: string): Promise<Campaign> {
  const r = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new CampaignError(`no campaign ${id}`, 'not_found');
  return toCampaign(r);
}

export async function listCampaigns(db: Db): Promise<Campaign[]> {
  const rows = await db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').execute();
  return rows.map(toCampaign);
}

/**
 * Creates a sunset campaign for `channel` and enrols the people active on it. One campaign per
 * channel at a time; the date must be in the future and the channels to move to must differ from it.
 */
export async function createSunsetCampaign(
  db: Db,
  c: { channel: ChannelName; sunsetAt: number; settings: z.input<typeof SunsetSettingsSchema> },
  now = Date.now(),
): Promise<{ campaign: Campaign; enrolled: number }> {
  const parsed = SunsetSettingsSchema.safeParse(c.settings);
  if (!parsed.success)
    throw new CampaignError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; '),
      'invalid',
    );
  const settings = parsed.data;
  if (settings.to.includes(c.channel))
    throw new CampaignError(`to: cannot move people to ${c.channel}, the channel that is closing`, 'invalid');
  if (!Number.isFinite(c.sunsetAt) || c.sunsetAt <= now)
    throw new CampaignError(
      `date: expected a date in the future, got ${new Date(c.sunsetAt).toISOString()}`,
      'invalid',
    );
  return db.transaction().execute(async (trx) => {
    const running = await trx
      .selectFrom('campaigns')
      .select('id')
      .where('channel', '=', c.channel)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (running)
      throw new CampaignError(
        `a sunset campaign for ${c.channel} is already running (${running.id})`,
        'conflict',
      );
    const row: CampaignsTable = {
      id: newId(),
      kind: 'sunset',
      channel: c.channel,
      sunset_at: c.sunsetAt,
      settings: JSON.stringify(settings),
      state: 'active',
      created_at: now,
      updated_at: now,
      finished_at: null,
      report: null,
    };
    await trx.insertInto('campaigns').values(row).execute();
    const campaign = toCampaign(row);
    const enrolled = await enrol(trx, campaign, now);
    await audit(
      trx,
      {
        actor: 'operator',
        action: 'campaign.created',
        reasonCode: 'sunset',
        detail: { campaignId: row.id, channel: c.channel, sunsetAt: c.sunsetAt, to: settings.to, enrolled },
      },
      now,
    );
    return { campaign, enrolled };
  });
}

/**
 * Enrols the people with a conversation on the channel, seen within `activeWithinMs`, who are not
 * members yet (at creation, and at each tick before the date: newcomers are told too).
 */
async function enrol(db: Db, c: Campaign, now: number): Promise<number> {
  const candidates = await db
    .selectFrom('contacts')
    .innerJoin('conversations', 'conversations.contact_id', 'contacts.id')
    .select(['contacts.person_id', 'contacts.id as contact_id', 'conversations.id as conversation_id'])
    .where('contacts.channel', '=', c.channel)
    .where('contacts.last_seen_at', '>=', now - c.settings.activeWithinMs)
    .where('conversations.account', 'not like', 'import:%')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('campaign_members')
            .select('campaign_members.id')
            .where('campaign_members.campaign_id', '=', c.id)
            .whereRef('campaign_members.person_id', '=', 'contacts.person_id'),
        ),
      ),
    )
    .orderBy('contacts.person_id')
    .orderBy('conversations.updated_at', 'desc')
    .execute();
  const seen = new Set<string>();
  const rows: CampaignMembersTable[] = [];
  for (const r of candidates) {
    if (seen.has(r.person_id)) continue; // one membership per person: their latest conversation
    seen.add(r.person_id);
    rows.push({
      id: newId(),
      campaign_id: c.id,
      person_id: r.person_id,
      contact_id: r.contact_id,
      conversation_id: r.conversation_id,
      state: 'pending',
      notices: 0,
      last_notice_at: null,
      next_notice_at: now,
      linked_at: null,
      exported_at: null,
      created_at: now,
      updated_at: now,
    });
  }
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('campaign_members')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows.length;
}

/** What a tick did. */
export interface TickResult {
  enrolled: number;
  notices: number;
  reminders: number;
  unreachable: number;
  linked: number;
  exported: number;
  optedOut: number;
  finished: boolean;
}

export interface TickContext {
  policy: Policy;
  /** Where people can continue (deep links), filtered to the campaign's `to`. */
  targets: LinkTargets;
  /** The business account a notice is sent from, per channel. */
  accounts: Partial<Record<ChannelName, string>>;
  now: number;
  /** Notices per tick at most (the rest wait for the next tick). */
  batch?: number;
}

/**
 * One pass of a campaign: enrol newcomers, record who linked, exported or opted out, send the notices
 * and reminders that are due, and after the date finish with the report. Returns what it did; the
 * caller wakes the dispatcher when notices were queued.
 */
export async function tickCampaign(db: Db, c: Campaign, ctx: TickContext): Promise<TickResult> {
  const { now } = ctx;
  const result: TickResult = {
    enrolled: 0,
    notices: 0,
    reminders: 0,
    unreachable: 0,
    linked: 0,
    exported: 0,
    optedOut: 0,
    finished: false,
  };
  if (c.state !== 'active') return result;
  Object.assign(result, await track(db, c, now));
  if (now >= c.sunsetAt) {
    await finishCampaign(db, c, now);
    result.finished = true;
    return result;
  }
  result.enrolled = await enrol(db, c, now);
  const due = await dueMembers(db, c, now, ctx.batch ?? 500);
  for (const m of due) {
    const outcome = await notify(db, c, m, ctx);
    if (outcome === 'sent') result[m.notices === 0 ? 'notices' : 'reminders']++;
    else if (outcome === 'unreachable') result.unreachable++;
    else if (outcome === 'opted_out') result.optedOut++;
  }
  return result;
}

/** Members who linked (a contact on a channel to move to), exported (downloaded their history) or opted out. */
async function track(db: Db, c: Campaign, now: number): Promise<Pick<TickResult, 'linked' | 'exported'>> {
  const open = ['pending', 'notified', 'unreachable', 'exported'];
  const linked = await db
    .updateTable('campaign_members')
    .set({ state: 'linked', linked_at: now, updated_at: now })
    .where('campaign_id', '=', c.id)
    .where('state', 'in', open)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('contacts')
          .select('contacts.id')
          .whereRef('contacts.person_id', '=', 'campaign_members.person_id')
          .where('contacts.channel', 'in', c.settings.to),
      ),
    )
    .executeTakeFirst();
  const exported = await db
    .updateTable('campaign_members')
    .set({ exported_at: now, updated_at: now })
    .where('campaign_id', '=', c.id)
    .where('exported_at', 'is', null)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('export_links')
          .select('export_links.id')
          .whereRef('export_links.person_id', '=', 'campaign_members.person_id')
          .where('export_links.created_at', '>=', c.createdAt)
          .where('export_links.downloads', '>', 0),
      ),
    )
    .executeTakeFirst();
  await db
    .updateTable('campaign_members')
    .set({ state: 'exported', updated_at: now })
    .where('campaign_id', '=', c.id)
    .where('state', 'in', ['pending', 'notified', 'unreachable'])
    .where('exported_at', 'is not', null)
    .execute();
  return { linked: Number(linked.numUpdatedRows), exported: Number(exported.numUpdatedRows) };
}

interface DueMember extends CampaignMembersTable {
  address: string;
  account: string;
  last_inbound_at: number | null;
  language: string | null;
}

/**
 * Due now: never notified (`pending`); notified without acting and the reminder's time has come;
 * `unreachable` (no window, no template or no opt-in) who have written since (the window is open).
 */
async function dueMembers(db: Db, c: Campaign, now: number, limit: number): Promise<DueMember[]> {
  const rows = await db
    .selectFrom('campaign_members as m')
    .innerJoin('conversations as v', 'v.id', 'm.conversation_id')
    .innerJoin('contacts as k', 'k.id', 'm.contact_id')
    .innerJoin('people as p', 'p.id', 'm.person_id')
    .selectAll('m')
    .select(['k.address', 'v.account', 'v.last_inbound_at', 'p.language'])
    .where('m.campaign_id', '=', c.id)
    .where((eb) =>
      eb.or([
        eb('m.state', '=', 'pending'),
        eb.and([
          eb('m.state', '=', 'notified'),
          eb('m.next_notice_at', '<=', now),
          eb('m.notices', '<=', c.settings.maxReminders),
        ]),
        eb.and([eb('m.state', '=', 'unreachable'), eb('v.last_inbound_at', '>', eb.ref('m.updated_at'))]),
      ]),
    )
    .orderBy('m.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    notices: Number(r.notices),
    last_inbound_at: r.last_inbound_at === null ? null : Number(r.last_inbound_at),
  }));
}

/** Sends one member their notice (or reminder), as the window, the template and the policy allow. */
async function notify(
  db: Db,
  c: Campaign,
  m: DueMember,
  ctx: TickContext,
): Promise<'sent' | 'unreachable' | 'opted_out'> {
  const { now } = ctx;
  const profile = ctx.policy[c.channel];
  const consents = consentState(await consentsOf(db, m.person_id, c.channel));
  const update = (patch: Partial<CampaignMembersTable>) =>
    db
      .updateTable('campaign_members')
      .set({ ...patch, updated_at: now })
      .where('id', '=', m.id)
      .execute();
  if (consents.optedOut) {
    await update({ state: 'opted_out', next_notice_at: null });
    return 'opted_out';
  }
  const windowMs = profile.window ? profile.window.hours * 3_600_000 : Infinity;
  const inside = m.last_inbound_at !== null && now - m.last_inbound_at < windowMs;
  const language = identityLanguage(m.language);
  const template = c.settings.template?.byLanguage?.[language] ?? c.settings.template;
  const account = ctx.accounts[c.channel] ?? m.account;
  if (!inside && (!template || (profile.requireOptInForBusinessInitiated && !consents.optedIn))) {
    // Someone notified before keeps that state: only their reminders stop.
    await update(m.notices > 0 ? { next_notice_at: null } : { state: 'unreachable', next_notice_at: null });
    return 'unreachable';
  }
  const issued = await issueLinkCode(
    db,
    {
      personId: m.person_id,
      contactId: m.contact_id,
      channel: c.channel,
      purpose: 'sunset',
      ttlMs: Math.max(c.sunsetAt + 30 * DAY - now, DAY),
    },
    now,
  );
  const targets: LinkTargets = {
    whatsappNumber: c.settings.to.includes('whatsapp') ? ctx.targets.whatsappNumber : undefined,
    telegramBot: c.settings.to.includes('telegram') ? ctx.targets.telegramBot : undefined,
    baseUrl: c.settings.to.includes('webchat') ? ctx.targets.baseUrl : undefined,
  };
  const links = deepLinks(issued.code, targets, c.channel);
  const code = formatCode(issued.code);
  const content: MessageContent = inside
    ? {
        type: 'text',
        text: sunsetText(language, m.notices === 0 ? 'first' : 'reminder', {
          channel: c.channel,
          sunsetAt: c.sunsetAt,
          code,
          links,
        }),
      }
    : {
        type: 'template',
        name: template!.name,
        language: template!.language,
        body: [
          { type: 'text', text: sunsetDate(language, c.sunsetAt) },
          { type: 'text', text: code },
          { type: 'text', text: links[0]?.url ?? code },
        ],
      };
  const r = await initiate(
    db,
    ctx.policy,
    {
      channel: c.channel,
      account,
      to: m.address,
      content,
      idempotencyKey: `sunset:${c.id}:${m.person_id}:${m.notices + 1}`,
      source: `campaign:${c.id}`,
      businessInitiated: !inside,
      intent: m.notices === 0 ? 'sunset_notice' : 'sunset_reminder',
    },
    now,
  );
  if (r.decision.action === 'refuse') {
    const optedOut = r.decision.reason === 'opted_out';
    await update({
      state: optedOut ? 'opted_out' : m.notices > 0 ? 'notified' : 'unreachable',
      next_notice_at: null,
    });
    return optedOut ? 'opted_out' : 'unreachable';
  }
  const notices = m.notices + 1;
  await update({
    state: 'notified',
    notices,
    last_notice_at: now,
    next_notice_at: notices <= c.settings.maxReminders ? now + c.settings.remindEveryMs : null,
  });
  return 'sent';
}

/** Where a campaign stands: members by state, notices sent and what became of them. */
export interface CampaignProgress {
  campaign: Campaign;
  members: number;
  byState: Record<string, number>;
  linked: number;
  exported: number;
  /** Linked or exported: the people who acted. */
  acted: number;
  /** Notified, not acted yet. */
  waiting: number;
  notices: { total: number; text: number; template: number; byStatus: Record<string, number> };
}

export async function campaignProgress(db: Db, id: string): Promise<CampaignProgress> {
  const campaign = await getCampaign(db, id);
  const states = await db
    .selectFrom('campaign_members')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', id)
    .groupBy('state')
    .execute();
  const byState: Record<string, number> = {};
  for (const s of states) byState[s.state] = Number(s.n);
  const acted = await db
    .selectFrom('campaign_members')
    .select([
      (eb) => eb.fn.count<number>('linked_at').as('linked'),
      (eb) => eb.fn.count<number>('exported_at').as('exported'),
      (eb) => eb.fn.countAll<number>().as('members'),
    ])
    .where('campaign_id', '=', id)
    .executeTakeFirstOrThrow();
  const sent = await db
    .selectFrom('messages')
    .select(['content_type', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('direction', '=', 'out')
    .where('meta', 'like', `%"source":"campaign:${id}"%`)
    .groupBy(['content_type', 'status'])
    .execute();
  const notices = { total: 0, text: 0, template: 0, byStatus: {} as Record<string, number> };
  for (const s of sent) {
    const n = Number(s.n);
    notices.total += n;
    if (s.content_type === 'template') notices.template += n;
    else notices.text += n;
    notices.byStatus[s.status] = (notices.byStatus[s.status] ?? 0) + n;
  }
  return {
    campaign,
    members: Number(acted.members),
    byState,
    linked: Number(acted.linked),
    exported: Number(acted.exported),
    acted: (byState.linked ?? 0) + (byState.exported ?? 0),
    waiting: byState.notified ?? 0,
    notices,
  };
}

/** The final report: the progress at the date, stored with the campaign. */
export interface CampaignReport extends Omit<CampaignProgress, 'campaign'> {
  campaignId: string;
  channel: string;
  sunsetAt: string;
  finishedAt: string;
  to: string[];
}

async function finishCampaign(db: Db, c: Campaign, now: number): Promise<CampaignReport> {
  const p = await campaignProgress(db, c.id);
  const { campaign: _c, ...rest } = p;
  const report: CampaignReport = {
    campaignId: c.id,
    channel: c.channel,
    sunsetAt: new Date(c.sunsetAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    to: c.settings.to,
    ...rest,
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('campaigns')
      .set({ state: 'finished', finished_at: now, updated_at: now, report: JSON.stringify(report) })
      .where('id', '=', c.id)
      .where('state', '=', 'active')
      .execute();
    await trx
      .updateTable('campaign_members')
      .set({ next_notice_at: null, updated_at: now })
      .where('campaign_id', '=', c.id)
      .execute();
    await audit(
      trx,
      {
        actor: 'system',
        action: 'campaign.finished',
        reasonCode: 'sunset',
        detail: { campaignId: c.id, members: report.members, acted: report.acted },
      },
      now,
    );
  });
  return report;
}

export async function campaignReport(db: Db, id: string): Promise<CampaignReport | undefined> {
  const r = await db.selectFrom('campaigns').select('report').where('id', '=', id).executeTakeFirst();
  if (!r) throw new CampaignError(`no campaign ${id}`, 'not_found');
  return r.report ? (JSON.parse(r.report) as CampaignReport) : undefined;
}

export function renderReport(r: CampaignReport): string {
  const lines = [
    `# Sunset of ${r.channel}: final report`,
    '',
    `Campaign ${r.campaignId}, closing date ${r.sunsetAt}, finished ${r.finishedAt}; people moved to ${r.to.join(', ')}.`,
    '',
    `| | people |`,
    `| --- | ---: |`,
    `| Enrolled | ${r.members} |`,
    `| Linked another channel | ${r.linked} |`,
    `| Downloaded their history | ${r.exported} |`,
    `| Notified, no action | ${r.waiting} |`,
    `| Opted out | ${r.byState.opted_out ?? 0} |`,
    `| Could not be reached (no window, no template or no opt-in) | ${r.byState.unreachable ?? 0} |`,
    `| Not notified | ${r.byState.pending ?? 0} |`,
    '',
    `Notices sent: ${r.notices.total} (${r.notices.text} as text in the window, ${r.notices.template} as templates); by status: ${
      Object.entries(r.notices.byStatus)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'none'
    }.`,
  ];
  return lines.join('\n');
}

/** Stops a campaign: no more notices; the closed channel no longer redirects. */
export async function cancelCampaign(db: Db, id: string, now = Date.now()): Promise<Campaign> {
  const c = await getCampaign(db, id);
  if (c.state !== 'active') throw new CampaignError(`campaign ${id} is ${c.state}, not active`, 'conflict');
  await db
    .updateTable('campaigns')
    .set({ state: 'cancelled', updated_at: now, finished_at: now })
    .where('id', '=', id)
    .execute();
  await audit(db, { actor: 'operator', action: 'campaign.cancelled', detail: { campaignId: id } }, now);
  return { ...c, state: 'cancelled', finishedAt: now };
}

/** The campaign that closed `channel` by `now` (active or finished, not cancelled), if any. */
export async function closedChannelCampaign(
  db: Db,
  channel: string,
  now: number,
): Promise<Campaign | undefined> {
  const r = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('channel', '=', channel)
    .where('state', 'in', ['active', 'finished'])
    .where('sunset_at', '<=', now)
    .orderBy('sunset_at', 'desc')
    .executeTakeFirst();
  return r ? toCampaign(r) : undefined;
}
