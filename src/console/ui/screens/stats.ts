/** Message volume per hour (last 24 h), answer latency and queue depths. */
import { h } from 'preact';
import { api } from '../api.ts';
import { ErrorNote, Loading, ScreenTitle } from '../components/bits.ts';
import { VolumeChart, type VolumePoint } from '../components/charts.ts';
import { duration, humanize } from '../format.ts';
import { useLive } from '../live.ts';
import type { Stats as StatsBody } from '../types.ts';
import { useLoad } from '../use-load.ts';

/** An hour as "14:00", whether the server sends Unix milliseconds, an ISO string or an hour number. */
export function hourLabel(hour: number | string): string {
  if (typeof hour === 'number' && hour >= 0 && hour < 24) return `${String(hour).padStart(2, '0')}:00`;
  const d = new Date(typeof hour === 'number' ? hour : Date.parse(hour));
  if (Number.isNaN(d.getTime())) return String(hour);
  return `${String(d.getHours()).padStart(2, '0')}:00`;
}

/** Queue depths as name → number, flattening one level of nesting ("outbox.pending"). */
export function queueDepths(queue: unknown, prefix = ''): [string, number][] {
  if (typeof queue === 'number') return [[prefix || 'queue', queue]];
  if (!queue || typeof queue !== 'object') return [];
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(queue)) {
    const name = prefix ? `${prefix} ${k}` : k;
    if (typeof v === 'number') out.push([name, v]);
    else if (v && typeof v === 'object' && !prefix) out.push(...queueDepths(v, name));
  }
  return out;
}

/** Latency quantiles come in seconds (the pipeline histogram's bucket bounds). */
function seconds(s: number | null): number | null {
  return s === null ? null : s * 1000;
}

export function Stats() {
  const stats = useLoad((signal) => api<StatsBody>('GET', '/stats', { signal }), []);
  useLive(() => stats.reload(), 2000);
  const s = stats.data;
  const points: VolumePoint[] = (s?.volume ?? []).map((v) => ({
    label: hourLabel(v.hour),
    in: v.in,
    out: v.out,
  }));
  const queues = s ? queueDepths(s.queue) : [];
  return h(
    'div',
    { class: 'stats' },
    h(ScreenTitle, { title: 'Stats' }),
    h(ErrorNote, { text: stats.error }),
    !s && !stats.error ? h(Loading, { what: 'stats' }) : null,
    s
      ? [
          h(
            'section',
            { key: 'v', class: 'panel', 'aria-labelledby': 'volume-title' },
            h('h2', { id: 'volume-title' }, 'Messages per hour, last 24 hours'),
            points.length
              ? h(VolumeChart, { points, title: 'Messages per hour' })
              : h('p', { class: 'empty' }, 'No messages in the last 24 hours.'),
          ),
          h(
            'div',
            { key: 'g', class: 'two' },
            h(
              'section',
              { class: 'panel', 'aria-labelledby': 'latency-title' },
              h('h2', { id: 'latency-title' }, 'Answer latency'),
              h(
                'dl',
                { class: 'figures' },
                h(
                  'div',
                  { class: 'figure' },
                  h('dt', null, 'Median (p50)'),
                  h('dd', null, duration(seconds(s.latency.p50))),
                ),
                h(
                  'div',
                  { class: 'figure' },
                  h('dt', null, '95th percentile (p95)'),
                  h('dd', null, duration(seconds(s.latency.p95))),
                ),
                h(
                  'div',
                  { class: 'figure' },
                  h('dt', null, 'Answers measured'),
                  h('dd', null, String(s.latency.count)),
                ),
              ),
              h(
                'p',
                { class: 'hint' },
                'From a message received to its answer queued; rounded up to the histogram’s buckets.',
              ),
            ),
            h(
              'section',
              { class: 'panel', 'aria-labelledby': 'queue-title' },
              h('h2', { id: 'queue-title' }, 'Queues'),
              queues.length
                ? h(
                    'dl',
                    { class: 'figures' },
                    queues.map(([k, v]) =>
                      h(
                        'div',
                        { key: k, class: 'figure' },
                        h('dt', null, humanize(k)),
                        h('dd', null, String(v)),
                      ),
                    ),
                  )
                : h('p', { class: 'muted' }, 'No queue information.'),
            ),
          ),
        ]
      : null,
  );
}
