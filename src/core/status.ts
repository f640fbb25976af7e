/**
 * The delivery state of a message we sent, folded from provider status events. Pure.
 *
 * Webhook order may not match real order, so the state is a function of the *set* of events, not of
 * their arrival: the furthest successful step wins (spec §1.5), read implies delivered (no `delivered`
 * is sent when both happen together), and `failed` wins unless the message demonstrably reached the
 * phone (a delivery receipt contradicts a failure).
 */
export type OutboundState =
  | 'queued'
  | 'accepted'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'played'
  | 'failed'
  | 'held'
  | 'needs_template'
  | 'dead'
  /** The policy stopped it before it was queued (opted out, invalid template…): see the audit log. */
  | 'refused'
  | 'coalesced';

const RANK: Record<string, number> = { queued: 0, accepted: 1, sent: 2, delivered: 3, read: 4, played: 5 };

export interface StatusFact {
  status: string;
  timestamp: number;
  errorCode?: string | number;
  errorDetails?: string;
}

export interface FoldedStatus {
  status: OutboundState;
  at: number;
  errorCode?: string;
  errorDetails?: string;
  deliveredAt?: number;
  readAt?: number;
}

/** Folds provider status facts onto a base state (`accepted` once the API returned an id). */
export function foldStatuses(base: { status: OutboundState; at: number }, facts: StatusFact[]): FoldedStatus {
  let best: FoldedStatus = { status: base.status, at: base.at };
  let failed: StatusFact | undefined;
  let deliveredAt: number | undefined;
  let readAt: number | undefined;
  for (const f of facts) {
    if (f.status === 'failed') {
      if (!failed || f.timestamp > failed.timestamp) failed = f;
      continue;
    }
    const r = RANK[f.status];
    if (r === undefined) continue; // deleted, warning: informational
    if (f.status === 'delivered') deliveredAt = min(deliveredAt, f.timestamp);
    if (f.status === 'read' || f.status === 'played') {
      readAt = min(readAt, f.timestamp);
      deliveredAt = min(deliveredAt, f.timestamp); // spec §1.5: read implies delivered
    }
    const cur = RANK[best.status];
    if (cur === undefined || r > cur || (r === cur && f.timestamp < best.at)) {
      best = { status: f.status as OutboundState, at: f.timestamp };
    }
  }
  if (failed && (RANK[best.status] ?? 0) < RANK.delivered!) {
    best = {
      status: 'failed',
      at: failed.timestamp,
      ...(failed.errorCode !== undefined ? { errorCode: String(failed.errorCode) } : {}),
      ...(failed.errorDetails !== undefined ? { errorDetails: failed.errorDetails } : {}),
    };
  }
  if (deliveredAt !== undefined) best.deliveredAt = deliveredAt;
  if (readAt !== undefined) best.readAt = readAt;
  return best;
}

function min(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}
