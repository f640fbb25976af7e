/** Pure formatting for the console: labels, times, delivery ticks. No DOM, so unit tests can read it. */
import type { Holder, ThreadStatus } from './types.ts';

const CHANNEL_LABELS: Record<string, string> = {
  whatsapp: 'WhatsApp',
  telegram: 'Telegram',
  webchat: 'Web chat',
};

export const CHANNELS = Object.keys(CHANNEL_LABELS);

export function channelLabel(channel: string): string {
  return CHANNEL_LABELS[channel] ?? channel;
}

/** "Assistant", "Queued", "Human · Alice" — the status said in words, not only in colour. */
export function statusLabel(status: ThreadStatus, holder: Holder | null, meId?: string): string {
  if (status === 'bot') return 'Assistant';
  if (status === 'queued') return 'Queued';
  if (!holder) return 'Human';
  return `Human · ${holder.id === meId ? 'you' : holder.displayName}`;
}

/** A language tag as a name in the operator's language ("fr" → "French"), or the tag itself. */
export function languageName(tag: string | null | undefined): string {
  if (!tag) return '';
  try {
    return new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "just now", "5 min ago", "3 h ago", then the date. */
export function relativeTime(at: number, now = Date.now()): string {
  const d = Math.max(0, now - at);
  if (d < MINUTE) return 'just now';
  if (d < HOUR) return `${Math.floor(d / MINUTE)} min ago`;
  if (d < 24 * HOUR) return `${Math.floor(d / HOUR)} h ago`;
  return new Date(at).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** A waiting time: "2 min", "1 h 05". */
export function waited(since: number, now = Date.now()): string {
  const m = Math.max(0, Math.floor((now - since) / MINUTE));
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}

export function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function dateTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function dayLabel(at: number): string {
  return new Date(at).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
}

export interface Tick {
  /** What is drawn: ✓, ✓✓, or a short word for the states that need attention. */
  symbol: string;
  /** Said to screen readers and shown as a tooltip. */
  label: string;
  tone: 'pending' | 'sent' | 'delivered' | 'read' | 'problem';
  /** Shown next to the symbol: the states that need attention say so in words. */
  word?: string;
}

/** The delivery tick of an outbound message's status (src/core/status.ts `OutboundState`). */
export function tick(status: string | null | undefined): Tick {
  switch (status) {
    case 'sent':
      return { symbol: '✓', label: 'Sent', tone: 'sent' };
    case 'delivered':
      return { symbol: '✓✓', label: 'Delivered', tone: 'delivered' };
    case 'read':
    case 'played':
      return { symbol: '✓✓', label: status === 'played' ? 'Played' : 'Read', tone: 'read' };
    case 'failed':
    case 'dead':
      return { symbol: '!', label: 'Failed', tone: 'problem', word: 'failed' };
    case 'held':
      return { symbol: '⏸', label: 'Held by the policy', tone: 'problem', word: 'held' };
    case 'needs_template':
      return { symbol: '⏸', label: 'Needs a template', tone: 'problem', word: 'needs template' };
    case 'refused':
      return { symbol: '⊘', label: 'Refused by the policy', tone: 'problem', word: 'refused' };
    case 'coalesced':
      return { symbol: '✓', label: 'Sent with the next message', tone: 'sent' };
    case 'queued':
    case 'accepted':
    case null:
    case undefined:
      return { symbol: '◷', label: 'Sending', tone: 'pending' };
    default:
      return { symbol: '•', label: status, tone: 'pending', word: status };
  }
}

/** The knowledge-base matcher's decision in words, whatever its shape (string or `{ kind, … }`). */
export function decisionText(decision: unknown): string {
  if (typeof decision === 'string') return humanize(decision);
  if (decision && typeof decision === 'object') {
    const d = decision as { kind?: unknown; action?: unknown; id?: unknown };
    const kind = typeof d.kind === 'string' ? d.kind : typeof d.action === 'string' ? d.action : '';
    if (kind) return humanize(kind) + (typeof d.id === 'string' ? `: ${d.id}` : '');
  }
  return 'No decision';
}

/** `out_of_scope` → "Out of scope". */
export function humanize(word: string): string {
  const s = word.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 0.8312 → "83 %". */
export function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}

/** Milliseconds as "850 ms" or "1.2 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
