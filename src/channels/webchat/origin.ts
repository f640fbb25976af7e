/**
 * Which pages may open the web chat socket. Browsers always send `Origin` on a WebSocket handshake and
 * scripts cannot forge it, so checking it stops other sites from embedding the widget (and talking to
 * the gateway in their visitors' names). Allowed: the gateway's own origin (same host as the request,
 * or `PUBLIC_URL`), and the origins listed in `WEBCHAT_ORIGINS`. A request without `Origin` is not
 * from a browser page (curl, a server, the tests): allowed, since it could claim any origin anyway.
 */
export interface OriginPolicy {
  allowed: ReadonlySet<string>;
}

/** `WEBCHAT_ORIGINS` (comma-separated) plus `PUBLIC_URL`'s origin, normalised. */
export function originPolicy(list: string, publicUrl?: string): OriginPolicy {
  const allowed = new Set<string>();
  for (const o of list.split(',')) {
    const t = o.trim();
    if (t) allowed.add(normaliseOrigin(t) ?? t);
  }
  if (publicUrl) {
    const p = normaliseOrigin(publicUrl);
    if (p) allowed.add(p);
  }
  return { allowed };
}

function normaliseOrigin(s: string): string | undefined {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a handshake with this `Origin` (and `Host`) header may proceed. */
export function originAllowed(
  policy: OriginPolicy,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  const o = normaliseOrigin(origin);
  if (!o) return false; // "null" (sandboxed frames, file://) and anything unparsable
  if (host && new URL(o).host === host.toLowerCase()) return true;
  return policy.allowed.has(o);
}
