/**
 * Client-side routing on the URL hash (`#/inbox`, `#/people/<id>`, `#/kb`, …): the server serves one
 * page at `/console`, and a hash survives reloads, bookmarks and the back button without server routes.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'setup'; token: string }
  | { name: 'signin' }
  | { name: 'inbox' }
  | { name: 'person'; id: string }
  | { name: 'kb'; q: string }
  | { name: 'campaigns' }
  | { name: 'stats' }
  | { name: 'operators' }
  | { name: 'notfound'; path: string };

/** Parses a location into a route. Pure; `/console/setup?token=…` (no redirect) is read too. */
export function parseRoute(loc: { hash: string; pathname: string; search: string }): Route {
  const raw = loc.hash.replace(/^#/, '');
  const [path = '', qs = ''] = raw.split('?', 2);
  const params = new URLSearchParams(qs);
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  if (!raw) {
    const search = new URLSearchParams(loc.search);
    if (/\/setup\/?$/.test(loc.pathname) && search.has('token'))
      return { name: 'setup', token: search.get('token') ?? '' };
    return { name: 'inbox' };
  }
  switch (parts[0]) {
    case undefined:
    case 'inbox':
      return { name: 'inbox' };
    case 'setup':
      return { name: 'setup', token: params.get('token') ?? '' };
    case 'signin':
      return { name: 'signin' };
    case 'people':
      return parts[1] ? { name: 'person', id: parts[1] } : { name: 'inbox' };
    case 'kb':
      return { name: 'kb', q: params.get('q') ?? '' };
    case 'campaigns':
    case 'stats':
    case 'operators':
      return { name: parts[0] };
    default:
      return { name: 'notfound', path };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The hash for a person's conversation. */
export function personHref(id: string): string {
  return `#/people/${encodeURIComponent(id)}`;
}

/** Goes to a hash route (a history entry, like following a link). */
export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
