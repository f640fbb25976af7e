/** Sunset campaigns: where each stands (members by state as a stacked bar, notices sent). */
import { h } from 'preact';
import { api } from '../api.ts';
import { ChannelBadge, ErrorNote, Loading, ScreenTitle } from '../components/bits.ts';
import { StackedBar, type Segment } from '../components/charts.ts';
import { dateTime, humanize } from '../format.ts';
import { useLive } from '../live.ts';
import type { CampaignProgress } from '../types.ts';
import { useLoad } from '../use-load.ts';

/** Member states in the order a campaign moves them (src/store/schema.ts `campaign_members.state`). */
const STATE_ORDER = ['linked', 'exported', 'notified', 'pending', 'unreachable', 'opted_out', 'failed'];

const STATE_LABELS: Record<string, string> = {
  linked: 'Linked',
  exported: 'Exported',
  notified: 'Notified, waiting',
  pending: 'Not notified yet',
  unreachable: 'Unreachable',
  opted_out: 'Opted out',
  failed: 'Failed',
};

/** The members by state as chart segments, known states first, in campaign order. */
export function segmentsOf(byState: Record<string, number>): Segment[] {
  const keys = [
    ...STATE_ORDER.filter((k) => k in byState),
    ...Object.keys(byState).filter((k) => !STATE_ORDER.includes(k)),
  ];
  return keys.map((k) => ({ key: k, label: STATE_LABELS[k] ?? humanize(k), value: byState[k] ?? 0 }));
}

export function Campaigns() {
  const list = useLoad(
    (signal) =>
      api<{ campaigns: CampaignProgress[] }>('GET', '/campaigns', { signal }).then((r) => r.campaigns),
    [],
  );
  useLive(() => list.reload(), 2000);
  return h(
    'div',
    { class: 'campaigns' },
    h(ScreenTitle, { title: 'Campaigns' }),
    h(
      'p',
      { class: 'lead' },
      'Sunset campaigns move people off a closing channel: each member is notified, then links another channel or exports their history.',
    ),
    h(ErrorNote, { text: list.error }),
    list.data === undefined && !list.error ? h(Loading, { what: 'campaigns' }) : null,
    list.data && list.data.length === 0
      ? h(
          'p',
          { class: 'empty' },
          'No campaign yet. Start one with ',
          h('code', null, 'passerelle sunset'),
          ' or ',
          h('code', null, 'POST /api/campaigns/sunset'),
          '.',
        )
      : null,
    (list.data ?? []).map((p) => h(CampaignCard, { key: p.campaign.id, p })),
  );
}

function CampaignCard({ p }: { p: CampaignProgress }) {
  const c = p.campaign;
  const titleId = `campaign-${c.id}`;
  return h(
    'section',
    { class: 'panel campaign', 'aria-labelledby': titleId },
    h(
      'h2',
      { id: titleId },
      h(ChannelBadge, { channel: c.channel }),
      ' closes ',
      h('time', { dateTime: new Date(c.sunsetAt).toISOString() }, dateTime(c.sunsetAt)),
      h('span', { class: `state cs-${c.state}` }, humanize(c.state)),
    ),
    h('p', { class: 'muted' }, h('code', null, c.id), ` · started ${dateTime(c.createdAt)}`),
    h(
      'dl',
      { class: 'figures' },
      figure('Members', p.members),
      figure('Acted (linked or exported)', p.acted),
      figure('Waiting', p.waiting),
      figure('Notices sent', p.notices.total),
    ),
    h(StackedBar, { segments: segmentsOf(p.byState), label: 'Members by state' }),
    p.notices.total
      ? h(
          'p',
          { class: 'muted' },
          `Notices: ${p.notices.text} text, ${p.notices.template} template; `,
          Object.entries(p.notices.byStatus)
            .map(([s, n]) => `${n} ${s}`)
            .join(', '),
          '.',
        )
      : null,
  );
}

function figure(label: string, value: number | string) {
  return h('div', { class: 'figure', key: label }, h('dt', null, label), h('dd', null, String(value)));
}
