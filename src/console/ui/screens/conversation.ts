/**
 * One person's conversation across channels, in time order, with the handoff actions: take over,
 * release, reply (only while you hold it). Opening it marks it read; live events refetch it.
 */
import { h, type ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ChannelBadge, ErrorNote, Loading, StatusPill } from '../components/bits.ts';
import { MessageItem } from '../components/message.ts';
import { dayLabel, languageName } from '../format.ts';
import { nudge, useLive } from '../live.ts';
import type { Conversation as Conv, Operator } from '../types.ts';
import { useLoad } from '../use-load.ts';
import { ReplyBox } from './reply-box.ts';

/** Marks the person read; best effort (a failure only leaves the unread badge). */
function markRead(id: string): void {
  api('POST', `/people/${encodeURIComponent(id)}/read`)
    .then(() => nudge(id))
    .catch(() => undefined);
}

export function Conversation({ id, me }: { id: string; me: Operator }) {
  const path = `/people/${encodeURIComponent(id)}`;
  const conv = useLoad((signal) => api<Conv>('GET', path, { signal }), [path]);
  const [showDecisions, setShowDecisions] = useState(false);
  const [actionError, setActionError] = useState('');
  const [busy, setBusy] = useState(false);
  const inbound = conv.data?.messages.filter((m) => m.direction === 'in').length ?? -1;

  useLive((personId) => {
    if (personId === null || personId === id) conv.reload();
  });
  // Read when opened, and again when the person writes while it is open.
  useEffect(() => {
    if (inbound < 0) return;
    if (document.visibilityState === 'visible') markRead(id);
    // Messages that came while the tab was hidden are read when the operator comes back to it.
    const onShow = () => document.visibilityState === 'visible' && markRead(id);
    document.addEventListener('visibilitychange', onShow);
    return () => document.removeEventListener('visibilitychange', onShow);
  }, [id, inbound]);

  const c = conv.data;
  const mine = c?.status === 'human' && c.holder?.id === me.id;

  const act = async (what: 'take' | 'release') => {
    setBusy(true);
    setActionError('');
    try {
      await api('POST', `${path}/${what}`);
    } catch (err) {
      setActionError(describeError(err));
    } finally {
      setBusy(false);
      nudge(id);
    }
  };

  if (!c)
    return h(
      'section',
      { class: 'conversation', 'aria-labelledby': 'conv-title' },
      h('h2', { id: 'conv-title', tabIndex: -1, 'data-route-focus': '' }, 'Conversation'),
      conv.error ? h(ErrorNote, { text: conv.error }) : h(Loading, { what: 'the conversation' }),
      h('p', null, h('a', { href: '#/inbox' }, 'Back to the inbox')),
    );

  const heldByOther = c.status === 'human' && c.holder !== null && c.holder.id !== me.id;
  return h(
    'section',
    { class: 'conversation', 'aria-labelledby': 'conv-title' },
    h(
      'header',
      { class: 'conv-head' },
      h('a', { href: '#/inbox', class: 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), 'Inbox'),
      h(
        'div',
        { class: 'who' },
        h(
          'h2',
          { id: 'conv-title', tabIndex: -1, 'data-route-focus': '' },
          c.person.displayName || 'Unknown',
        ),
        h(
          'p',
          { class: 'muted' },
          c.person.language ? `${languageName(c.person.language)} · ` : '',
          c.contacts.map((ct, i) =>
            h(
              'span',
              { key: i, class: 'contact' },
              h(ChannelBadge, { channel: ct.channel }),
              ' ',
              ct.address,
              i < c.contacts.length - 1 ? ' ' : '',
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Handoff' },
        h('span', { role: 'status' }, h(StatusPill, { status: c.status, holder: c.holder, meId: me.id })),
        h(
          'button',
          {
            type: 'button',
            class: c.status === 'queued' ? 'primary' : '',
            disabled: busy || mine || heldByOther,
            onClick: () => act('take'),
          },
          'Take over',
        ),
        h(
          'button',
          {
            type: 'button',
            disabled: busy || c.status === 'bot' || (heldByOther && me.role !== 'admin'),
            onClick: () => act('release'),
          },
          'Release',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'quiet',
            'aria-pressed': showDecisions,
            onClick: () => setShowDecisions(!showDecisions),
          },
          'Show all decisions',
        ),
      ),
    ),
    h(ErrorNote, { text: actionError || (conv.error ? `Could not refresh: ${conv.error}` : '') }),
    h(MessageLog, { c, showDecisions }),
    h(ReplyBox, { c, path, mine, heldByOther, onSent: () => nudge(id) }),
  );
}

function MessageLog({ c, showDecisions }: { c: Conv; showDecisions: boolean }) {
  const ref = useRef<HTMLOListElement>(null);
  const count = c.messages.length;
  const sorted = [...c.messages].sort((a, b) => a.at - b.at);
  // Follow new messages when the operator is at the bottom; leave the scroll alone when they read back.
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [count, showDecisions]);
  // The list also shrinks when the reply box grows (an outcome note): stay at the bottom then too.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const items: ComponentChildren[] = [];
  let day = '';
  for (const m of sorted) {
    const d = dayLabel(m.at);
    if (d !== day) {
      day = d;
      items.push(h('li', { key: `d${d}`, class: 'day' }, h('span', null, d)));
    }
    items.push(h(MessageItem, { key: m.id, m, personName: c.person.displayName || 'Them', showDecisions }));
  }
  return h(
    'ol',
    {
      class: 'messages',
      ref,
      role: 'log',
      'aria-live': 'polite',
      'aria-label': `Messages with ${c.person.displayName || 'this person'}`,
      tabIndex: 0,
      onScroll: (e: Event) => {
        const el = e.currentTarget as HTMLElement;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      },
    },
    items.length ? items : h('li', { class: 'empty' }, 'No messages yet.'),
  );
}
