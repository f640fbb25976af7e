/** Small pieces every screen uses: badges, notes, fields. */
import { h, type ComponentChildren } from 'preact';
import { channelLabel, dateTime, relativeTime, statusLabel } from '../format.ts';
import type { Holder, ThreadStatus } from '../types.ts';

/** A channel as a small badge: the name is written out, the colour only helps. */
export function ChannelBadge({ channel }: { channel: string }) {
  return h('span', { class: `badge ch-${channel}` }, channelLabel(channel));
}

/** Assistant / Queued / Human · holder, as a pill with a shape per status (not only a colour). */
export function StatusPill(props: { status: ThreadStatus; holder: Holder | null; meId?: string }) {
  const icon = props.status === 'bot' ? '◆' : props.status === 'queued' ? '●' : '▲';
  return h(
    'span',
    { class: `pill st-${props.status}` },
    h('span', { 'aria-hidden': 'true' }, icon + ' '),
    statusLabel(props.status, props.holder, props.meId),
  );
}

/** A `<time>` with a relative label and the full date as a tooltip. */
export function When({ at, relative = true }: { at: number; relative?: boolean }) {
  return h(
    'time',
    { dateTime: new Date(at).toISOString(), title: dateTime(at) },
    relative ? relativeTime(at) : dateTime(at),
  );
}

/** An error from the server, announced to screen readers. Renders nothing when empty. */
export function ErrorNote({ text, id }: { text: string; id?: string }) {
  return h(
    'p',
    { class: 'error', role: 'alert', id, hidden: !text },
    text ? h('strong', null, 'Error: ') : null,
    text,
  );
}

/** A loading note with a live region (so "Loading…" then the result is announced once). */
export function Loading({ what }: { what: string }) {
  return h('p', { class: 'muted', role: 'status' }, `Loading ${what}…`);
}

/** A labelled form control: the label is a real `<label>` bound by id. */
export function Field(props: { id: string; label: string; hint?: string; children?: ComponentChildren }) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: props.id }, props.label),
    props.children,
    props.hint ? h('p', { class: 'hint', id: `${props.id}-hint` }, props.hint) : null,
  );
}

/** A screen's heading and optional tools, with the heading focusable for route changes. */
export function ScreenTitle({ title, children }: { title: string; children?: ComponentChildren }) {
  return h(
    'div',
    { class: 'screen-title' },
    h('h1', { tabIndex: -1, 'data-screen-title': '' }, title),
    children ? h('div', { class: 'tools' }, children) : null,
  );
}
