/**
 * The signed-in frame: a skip link, the header with the navigation (the queued count on "Inbox"), the
 * operator's name and role with sign-out, and the screen the route asks for. On a route change the
 * focus moves to the new screen's heading, so keyboard and screen-reader users land on it.
 */
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { api } from './api.ts';
import { useLive, useLiveState } from './live.ts';
import { navigate, type Route } from './router.ts';
import { Campaigns } from './screens/campaigns.ts';
import { Conversation } from './screens/conversation.ts';
import { Inbox } from './screens/inbox.ts';
import { KnowledgeBase } from './screens/kb.ts';
import { Operators } from './screens/operators.ts';
import { Stats } from './screens/stats.ts';
import type { Operator, Thread } from './types.ts';
import { useLoad } from './use-load.ts';

interface NavItem {
  href: string;
  label: string;
  active: (r: Route) => boolean;
  adminOnly?: boolean;
}

const NAV: NavItem[] = [
  { href: '#/inbox', label: 'Inbox', active: (r) => r.name === 'inbox' || r.name === 'person' },
  { href: '#/kb', label: 'Knowledge base', active: (r) => r.name === 'kb' },
  { href: '#/campaigns', label: 'Campaigns', active: (r) => r.name === 'campaigns' },
  { href: '#/stats', label: 'Stats', active: (r) => r.name === 'stats' },
  { href: '#/operators', label: 'Operators', active: (r) => r.name === 'operators', adminOnly: true },
];

/** How many conversations wait for a human, kept live for the navigation badge. */
function useQueuedCount(): number | undefined {
  const queued = useLoad(
    (signal) =>
      api<{ threads: Thread[] }>('GET', '/inbox?status=queued', { signal }).then((r) => r.threads.length),
    [],
  );
  useLive(() => queued.reload());
  return queued.data;
}

export function Shell({ route, me, onSignOut }: { route: Route; me: Operator; onSignOut: () => void }) {
  const queued = useQueuedCount();
  const live = useLiveState();
  const first = useRef(true);
  const routeKey = JSON.stringify(route);

  useEffect(() => {
    if (route.name === 'setup' || route.name === 'signin') navigate('#/inbox');
  }, [route.name]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const el = document.querySelector<HTMLElement>('[data-route-focus], [data-screen-title]');
    el?.focus();
  }, [routeKey]);

  const skip = (e: Event) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };

  return h(
    'div',
    { class: 'shell' },
    h('a', { href: '#main', class: 'skip', onClick: skip }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h(
        'a',
        { class: 'brand', href: '#/inbox' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, 'P'),
        'Passerelle',
      ),
      h(
        'nav',
        { 'aria-label': 'Console' },
        h(
          'ul',
          null,
          NAV.filter((n) => !n.adminOnly || me.role === 'admin').map((n) =>
            h(
              'li',
              { key: n.href },
              h(
                'a',
                { href: n.href, 'aria-current': n.active(route) ? 'page' : undefined },
                n.label,
                n.href === '#/inbox' && queued
                  ? h(
                      'span',
                      { class: 'nav-count', title: `${queued} waiting for a human` },
                      queued,
                      h('span', { class: 'sr' }, ' waiting'),
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'me' },
        h(
          'span',
          {
            class: `live lv-${live}`,
            title: live === 'live' ? 'Live updates' : 'Live updates unavailable: refreshing every 20 seconds',
          },
          h('span', { 'aria-hidden': 'true' }, '● '),
          h(
            'span',
            { class: 'live-text' },
            live === 'live' ? 'Live' : live === 'polling' ? 'Refreshing every 20 s' : 'Connecting',
          ),
        ),
        h(
          'span',
          { class: 'operator' },
          h('span', { class: 'op-name' }, me.displayName || me.username),
          h('span', { class: 'role' }, me.role === 'admin' ? 'Administrator' : 'Agent'),
        ),
        h('button', { type: 'button', class: 'quiet', onClick: onSignOut }, 'Sign out'),
      ),
    ),
    h(
      'p',
      { class: 'sr', 'aria-live': 'polite' },
      queued ? `${queued} conversation${queued === 1 ? '' : 's'} waiting for a human` : '',
    ),
    h('main', { id: 'main', tabIndex: -1, class: `main r-${route.name}` }, screen(route, me)),
  );
}

function screen(route: Route, me: Operator) {
  switch (route.name) {
    case 'inbox':
    case 'person':
    case 'setup':
    case 'signin': {
      const id = route.name === 'person' ? route.id : undefined;
      return h(
        'div',
        { class: `split${id ? ' has-detail' : ''}` },
        h(Inbox, { me, ...(id ? { currentId: id } : {}) }),
        id
          ? h(Conversation, { key: id, id, me })
          : h(
              'section',
              { class: 'conversation placeholder', 'aria-label': 'Conversation' },
              h('p', { class: 'muted' }, 'Choose a conversation to read it, take it over and reply.'),
            ),
      );
    }
    case 'kb':
      return h(KnowledgeBase, { initialQuery: route.q });
    case 'campaigns':
      return h(Campaigns, null);
    case 'stats':
      return h(Stats, null);
    case 'operators':
      return h(Operators, { me });
    case 'notfound':
      return h(
        'div',
        null,
        h('h1', { tabIndex: -1, 'data-screen-title': '' }, 'Not found'),
        h('p', null, 'Nothing here. ', h('a', { href: '#/inbox' }, 'Go to the inbox'), '.'),
      );
  }
}
