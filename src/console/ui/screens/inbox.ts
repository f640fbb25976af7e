/**
 * The inbox: every person's thread, most recent first, with the queued ones (waiting for a human)
 * pinned on top, longest wait first. Refetched on each live event (debounced) and every 20 s.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api.ts';
import { ChannelBadge, ErrorNote, Loading, StatusPill, When } from '../components/bits.ts';
import { CHANNELS, channelLabel, languageName, waited } from '../format.ts';
import { useLive } from '../live.ts';
import { personHref } from '../router.ts';
import type { Operator, Thread } from '../types.ts';
import { useLoad } from '../use-load.ts';

const STATUSES: [string, string][] = [
  ['all', 'All'],
  ['queued', 'Queued'],
  ['mine', 'Mine'],
  ['human', 'With a human'],
  ['bot', 'With the assistant'],
];

/** The value of a text box, settled for `ms` (so typing does not fire one request per key). */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

export function Inbox({ me, currentId }: { me: Operator; currentId?: string }) {
  const [status, setStatus] = useState('all');
  const [channel, setChannel] = useState('');
  const [search, setSearch] = useState('');
  const q = useSettled(search.trim(), 300);
  const list = useLoad(
    (signal) =>
      api<{ threads: Thread[] }>('GET', `/inbox${query({ status, channel, q })}`, { signal }).then(
        (r) => r.threads,
      ),
    [status, channel, q],
  );
  useLive(() => list.reload());

  const threads = list.data ?? [];
  const queued = threads
    .filter((t) => t.status === 'queued')
    .sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0));
  const others = threads.filter((t) => t.status !== 'queued');
  const item = (t: Thread) => h(ThreadItem, { key: t.personId, t, me, current: t.personId === currentId });

  return h(
    'section',
    { class: 'inbox', 'aria-labelledby': 'inbox-title' },
    h(
      'div',
      { class: 'screen-title' },
      h('h1', { id: 'inbox-title', tabIndex: -1, 'data-route-focus': currentId ? undefined : '' }, 'Inbox'),
    ),
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Filter conversations',
        onSubmit: (e: Event) => e.preventDefault(),
      },
      h(
        'div',
        { class: 'field inline' },
        h('label', { for: 'inbox-status' }, 'Status'),
        h(
          'select',
          {
            id: 'inbox-status',
            value: status,
            onChange: (e: Event) => setStatus((e.currentTarget as HTMLSelectElement).value),
          },
          STATUSES.map(([v, label]) => h('option', { key: v, value: v }, label)),
        ),
      ),
      h(
        'div',
        { class: 'field inline' },
        h('label', { for: 'inbox-channel' }, 'Channel'),
        h(
          'select',
          {
            id: 'inbox-channel',
            value: channel,
            onChange: (e: Event) => setChannel((e.currentTarget as HTMLSelectElement).value),
          },
          h('option', { value: '' }, 'All channels'),
          CHANNELS.map((c) => h('option', { key: c, value: c }, channelLabel(c))),
        ),
      ),
      h(
        'div',
        { class: 'field inline grow' },
        h('label', { for: 'inbox-search' }, 'Search'),
        h('input', {
          id: 'inbox-search',
          type: 'search',
          placeholder: 'Name, number, message…',
          value: search,
          onInput: (e: Event) => setSearch((e.currentTarget as HTMLInputElement).value),
        }),
      ),
    ),
    h(ErrorNote, { text: list.error }),
    list.data === undefined && !list.error ? h(Loading, { what: 'conversations' }) : null,
    h(
      'p',
      { class: 'sr', role: 'status' },
      list.data ? `${threads.length} conversations, ${queued.length} waiting for a human` : '',
    ),
    queued.length
      ? h(
          'div',
          { class: 'group queued-group' },
          h(
            'h2',
            { id: 'queued-title' },
            'Waiting for a human ',
            h('span', { class: 'count' }, queued.length),
          ),
          h('ul', { class: 'threads', 'aria-labelledby': 'queued-title' }, queued.map(item)),
        )
      : null,
    others.length
      ? h(
          'div',
          { class: 'group' },
          queued.length ? h('h2', { id: 'others-title' }, 'Other conversations') : null,
          h(
            'ul',
            {
              class: 'threads',
              'aria-label': queued.length ? undefined : 'Conversations',
              'aria-labelledby': queued.length ? 'others-title' : undefined,
            },
            others.map(item),
          ),
        )
      : null,
    list.data && threads.length === 0
      ? h(
          'p',
          { class: 'empty' },
          search || status !== 'all' || channel ? 'No conversation matches.' : 'No conversations yet.',
        )
      : null,
  );
}

function ThreadItem({ t, me, current }: { t: Thread; me: Operator; current: boolean }) {
  const last = t.lastMessage;
  return h(
    'li',
    {
      class: `thread st-${t.status}${t.unread ? ' has-unread' : ''}${current ? ' current' : ''}`,
      'data-person': t.personId,
    },
    h(
      'a',
      { href: personHref(t.personId), 'aria-current': current ? 'page' : undefined },
      h(
        'span',
        { class: 'row1' },
        h('span', { class: 'name' }, t.displayName || 'Unknown'),
        t.language
          ? h('span', { class: 'lang', title: languageName(t.language) }, t.language.toUpperCase())
          : null,
        h('span', { class: 'spacer' }),
        last ? h(When, { at: last.at }) : null,
      ),
      h(
        'span',
        { class: 'row2' },
        h(
          'span',
          { class: 'last' },
          last ? (last.direction === 'out' ? h('span', { class: 'muted' }, 'Sent: ') : null) : null,
          last?.text ?? (last ? '(media)' : 'No messages'),
        ),
        t.unread
          ? h(
              'span',
              { class: 'unread' },
              String(t.unread),
              h('span', { class: 'sr' }, t.unread === 1 ? ' unread message' : ' unread messages'),
            )
          : null,
      ),
      h(
        'span',
        { class: 'row3' },
        h(StatusPill, { status: t.status, holder: t.holder, meId: me.id }),
        t.status === 'queued' && t.queuedAt
          ? h('span', { class: 'waiting' }, `waiting ${waited(t.queuedAt)}`)
          : null,
        h('span', { class: 'spacer' }),
        h(
          'span',
          { class: 'channels' },
          t.channels.map((c) => h(ChannelBadge, { key: c, channel: c })),
        ),
      ),
    ),
  );
}
