/**
 * Charts as inline SVG (no library: two chart shapes do not justify one). Each chart is an image with
 * a text alternative, and the numbers are also given as text or a table, so nothing is said only by a
 * bar's length or colour.
 */
import { h } from 'preact';

export interface Segment {
  key: string;
  label: string;
  value: number;
}

/** One horizontal bar split by share (campaign members by state), with a legend that gives the counts. */
export function StackedBar({ segments, label }: { segments: Segment[]; label: string }) {
  const total = segments.reduce((s, x) => s + x.value, 0);
  let x = 0;
  const rects = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = total ? (s.value / total) * 1000 : 0;
      const r = h(
        'rect',
        { x, y: 0, width: w, height: 32, class: `seg seg-${s.key}` },
        h('title', null, `${s.label}: ${s.value}`),
      );
      x += w;
      return r;
    });
  const summary = total
    ? `${label}: ${segments
        .filter((s) => s.value > 0)
        .map((s) => `${s.label} ${s.value}`)
        .join(', ')}`
    : `${label}: no members`;
  return h(
    'figure',
    { class: 'stacked' },
    h(
      'svg',
      { viewBox: '0 0 1000 32', preserveAspectRatio: 'none', role: 'img', 'aria-label': summary },
      total ? rects : h('rect', { x: 0, y: 0, width: 1000, height: 32, class: 'seg seg-empty' }),
    ),
    h(
      'figcaption',
      null,
      h(
        'ul',
        { class: 'legend' },
        segments.map((s) =>
          h(
            'li',
            { key: s.key },
            h('span', { class: `swatch seg-${s.key}`, 'aria-hidden': 'true' }),
            `${s.label}: `,
            h('strong', null, String(s.value)),
            total ? ` (${Math.round((s.value / total) * 100)} %)` : '',
          ),
        ),
      ),
    ),
  );
}

export interface VolumePoint {
  label: string;
  in: number;
  out: number;
}

/** Messages per hour, in and out side by side, with the scale and hours written on the axes. */
export function VolumeChart({ points, title }: { points: VolumePoint[]; title: string }) {
  const W = 1000;
  const H = 220;
  const left = 40;
  const bottom = 24;
  const top = 10;
  const max = Math.max(1, ...points.map((p) => Math.max(p.in, p.out)));
  const scale = niceMax(max);
  const slot = (W - left) / Math.max(1, points.length);
  const bar = Math.max(2, slot * 0.38);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / scale);
  const totalIn = points.reduce((s, p) => s + p.in, 0);
  const totalOut = points.reduce((s, p) => s + p.out, 0);
  const ticks = scale % 2 === 0 ? [0, scale / 2, scale] : [0, scale];
  const grid = ticks.map((v) => {
    return h(
      'g',
      { key: `g${v}` },
      h('line', { x1: left, x2: W, y1: y(v), y2: y(v), class: 'grid' }),
      h('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)),
    );
  });
  const bars = points.map((p, i) => {
    const x0 = left + i * slot + slot / 2 - bar;
    return h(
      'g',
      { key: `b${i}` },
      h(
        'rect',
        { x: x0, y: y(p.in), width: bar, height: y(0) - y(p.in), class: 'bar-in' },
        h('title', null, `${p.label}: ${p.in} in`),
      ),
      h(
        'rect',
        { x: x0 + bar, y: y(p.out), width: bar, height: y(0) - y(p.out), class: 'bar-out' },
        h('title', null, `${p.label}: ${p.out} out`),
      ),
      i % 3 === 0
        ? h('text', { x: x0 + bar, y: H - 6, class: 'axis', 'text-anchor': 'middle' }, p.label)
        : null,
    );
  });
  return h(
    'figure',
    { class: 'chart' },
    h(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': `${title}: ${totalIn} messages in, ${totalOut} out, at most ${max} in an hour`,
      },
      grid,
      bars,
    ),
    h(
      'figcaption',
      null,
      h(
        'ul',
        { class: 'legend' },
        h(
          'li',
          null,
          h('span', { class: 'swatch bar-in', 'aria-hidden': 'true' }),
          'In: ',
          h('strong', null, totalIn),
        ),
        h(
          'li',
          null,
          h('span', { class: 'swatch bar-out', 'aria-hidden': 'true' }),
          'Out: ',
          h('strong', null, totalOut),
        ),
      ),
    ),
    h(
      'details',
      { class: 'data' },
      h('summary', null, 'Show the numbers'),
      h(
        'table',
        null,
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Hour'),
            h('th', { scope: 'col' }, 'In'),
            h('th', { scope: 'col' }, 'Out'),
          ),
        ),
        h(
          'tbody',
          null,
          points.map((p, i) =>
            h(
              'tr',
              { key: i },
              h('th', { scope: 'row' }, p.label),
              h('td', null, p.in),
              h('td', null, p.out),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A round axis maximum at or above `v` (1, 2, 5 × 10^n). */
export function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A horizontal confidence bar with the value written next to it. */
export function ConfidenceBar({ value, label }: { value: number; label: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return h(
    'span',
    { class: 'confidence' },
    h(
      'span',
      {
        class: 'track',
        role: 'meter',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': pct,
        'aria-label': label,
      },
      h('span', {
        class: `fill ${pct >= 70 ? 'hi' : pct >= 40 ? 'mid' : 'lo'}`,
        style: { width: `${pct}%` },
      }),
    ),
    h('span', { class: 'value' }, `${pct} %`),
  );
}
