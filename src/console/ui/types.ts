/**
 * The console API's shapes, as docs/console.md ("HTTP API used by the console") states them. The
 * browser trusts the server it was served by, so these are plain types, not schemas; fields the
 * contract leaves open (`queue`, `decision`) are typed loosely and rendered defensively.
 */

export type Role = 'admin' | 'agent';

export interface Operator {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

export interface Session {
  operator: Operator;
  csrfToken: string;
}

export type ThreadStatus = 'bot' | 'queued' | 'human';

export interface Holder {
  id: string;
  displayName: string;
}

export interface Thread {
  personId: string;
  displayName: string | null;
  language: string | null;
  channels: string[];
  lastMessage: { text: string | null; at: number; direction: 'in' | 'out'; channel: string } | null;
  unread: number;
  status: ThreadStatus;
  holder: Holder | null;
  queuedAt: number | null;
}

/** One policy decision recorded for a message (spec: docs/policy.md). */
export interface Decision {
  at?: number;
  action: string;
  reason: string | null;
  explanation?: string | null;
}

export interface Message {
  id: string;
  channel: string;
  direction: 'in' | 'out';
  at: number;
  text: string | null;
  content?: unknown;
  /** Delivery state of an outbound message: queued, accepted, sent, delivered, read, failed, held, refused… */
  status: string | null;
  sources: string[];
  intent: string | null;
  confidence: number | null;
  decisions: Decision[];
}

export interface Contact {
  channel: string;
  address: string;
  displayName: string | null;
}

export interface Conversation {
  person: { id: string; displayName: string | null; language: string | null };
  contacts: Contact[];
  status: ThreadStatus;
  holder: Holder | null;
  messages: Message[];
}

export interface KbEntry {
  id: string;
  questions: string[];
  answer: string;
  language?: string | null;
  tags?: string[];
}

export interface KbCandidate {
  id: string;
  confidence: number;
  answer?: string;
}

export interface KbTry {
  language: string | null;
  /** The matcher's decision: a word (`answer`, `choose`, `out_of_scope`) or an object with a `kind`. */
  decision: unknown;
  /** The thresholds the decision used and where they came from (the KB's out-of-scope setting). */
  thresholds?: { scope: number; answer: number; source: string };
  candidates: KbCandidate[];
}

export interface CampaignProgress {
  campaign: {
    id: string;
    channel: string;
    sunsetAt: number;
    state: string;
    createdAt: number;
    finishedAt: number | null;
  };
  members: number;
  byState: Record<string, number>;
  linked: number;
  exported: number;
  acted: number;
  waiting: number;
  notices: { total: number; text: number; template: number; byStatus: Record<string, number> };
}

export interface Stats {
  volume: { hour: number | string; in: number; out: number }[];
  /** Seconds (upper bounds of the pipeline histogram's buckets), null before any answer. */
  latency: { p50: number | null; p95: number | null; count: number };
  /** Queue depths; the contract does not fix the shape, so any JSON is shown as name → number. */
  queue: unknown;
}
