/**
 * Live updates: one `EventSource('/console/api/events')` per page (`event: inbox`, `data:
 * {"personId":"…"}`), shared by every screen, with a 20-second poll as the fallback for a stream that a
 * proxy buffers or drops. Listeners get the person whose conversation changed, or null for "anything
 * may have changed" (a poll tick, a reconnection), and refetch what they show.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { API } from './api.ts';

export type LiveState = 'connecting' | 'live' | 'polling';
type Listener = (personId: string | null) => void;

export const POLL_MS = 20_000;
const RETRY_MS = 5_000;

const listeners = new Set<Listener>();
const stateListeners = new Set<(s: LiveState) => void>();
let source: EventSource | null = null;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let state: LiveState = 'connecting';

function emit(personId: string | null): void {
  for (const l of [...listeners]) l(personId);
}

function setState(s: LiveState): void {
  if (s === state) return;
  state = s;
  for (const l of [...stateListeners]) l(s);
}

function open(): void {
  if (typeof EventSource === 'undefined') return setState('polling');
  const es = new EventSource(`${API}/events`);
  source = es;
  es.onopen = () => {
    setState('live');
    // Whatever changed before the stream was (re)connected, and after the screens' first fetch, was
    // not pushed: fetch it again now.
    emit(null);
  };
  es.addEventListener('inbox', (ev) => {
    let personId: string | null = null;
    try {
      const data = JSON.parse((ev as MessageEvent<string>).data) as { personId?: unknown };
      if (typeof data.personId === 'string') personId = data.personId;
    } catch {
      /* a malformed event still means "something changed" */
    }
    emit(personId);
  });
  es.onerror = () => {
    setState('polling');
    // The browser retries by itself unless the stream is closed (an HTTP error, e.g. 401): retry later.
    if (es.readyState === EventSource.CLOSED && source === es) {
      source = null;
      retryTimer = setTimeout(open, RETRY_MS);
    }
  };
}

/**
 * Says locally that a person's conversation changed (after this operator's own action), so every
 * screen refetches without waiting for the server's event to come back.
 */
export function nudge(personId: string): void {
  emit(personId);
}

/** Starts the stream and the poll (after sign-in). Idempotent. */
export function startLive(): void {
  if (source || pollTimer) return;
  open();
  pollTimer = setInterval(() => emit(null), POLL_MS);
}

/** Stops everything (sign-out, lost session). */
export function stopLive(): void {
  source?.close();
  source = null;
  clearInterval(pollTimer);
  clearTimeout(retryTimer);
  pollTimer = undefined;
  setState('connecting');
}

/** Calls `fn` on live changes, debounced: a burst of events makes one refetch. */
export function useLive(fn: Listener, debounceMs = 250): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: Set<string | null> = new Set();
    const listener: Listener = (personId) => {
      pending.add(personId);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const ids = pending;
        pending = new Set();
        // One call: null when anything may have changed, else the one person (or null for several).
        latest.current(ids.size === 1 ? [...ids][0]! : null);
      }, debounceMs);
    };
    listeners.add(listener);
    return () => {
      clearTimeout(timer);
      listeners.delete(listener);
    };
  }, [debounceMs]);
}

/** Whether the page is on the live stream or falling back to polling. */
export function useLiveState(): LiveState {
  const [s, set] = useState(state);
  useEffect(() => {
    stateListeners.add(set);
    set(state);
    return () => void stateListeners.delete(set);
  }, []);
  return s;
}
