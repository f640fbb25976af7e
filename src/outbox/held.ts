import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { setMessageState } from '../store/messages.ts';
import { heldFor, settleHeld, type Line } from '../store/outbox.ts';

/**
 * Messages held by the policy (written while the customer-service window was closed) wait for the
 * person: their next message reopens the window and puts them back in line, oldest first, ahead of the
 * reply to that message. An opt-out drops them instead. Both inside the caller's transaction.
 */

const OUTCOMES = {
  release: {
    state: 'pending',
    message: 'queued',
    action: 'policy.release',
    reason: 'window_reopened',
    explanation:
      'The person wrote again, which reopens the customer-service window: the held message goes out now.',
  },
  drop: {
    state: 'dead',
    message: 'refused',
    action: 'policy.refuse',
    reason: 'opted_out',
    explanation: 'The person opted out: a message held for them will not be sent.',
  },
} as const;

/** Puts a recipient's held messages back in line; returns how many. */
export function releaseHeld(trx: Db, line: Line, personId: string, now = Date.now()): Promise<number> {
  return settleLine(trx, line, personId, 'release', now);
}

/** Drops a recipient's held messages for good (the person opted out); returns how many. */
export function dropHeld(trx: Db, line: Line, personId: string, now = Date.now()): Promise<number> {
  return settleLine(trx, line, personId, 'drop', now);
}

async function settleLine(
  trx: Db,
  line: Line,
  personId: string,
  outcome: keyof typeof OUTCOMES,
  now: number,
): Promise<number> {
  const held = await heldFor(trx, line);
  if (held.length === 0) return 0;
  const o = OUTCOMES[outcome];
  await settleHeld(
    trx,
    held.map((h) => h.id),
    o.state,
    o.reason,
    now,
  );
  for (const h of held) {
    if (h.message_id) {
      const extra = o.state === 'dead' ? { errorCode: o.reason } : {};
      await setMessageState(trx, h.message_id, o.message, extra, now);
    }
    await audit(
      trx,
      {
        actor: 'policy',
        action: o.action,
        personId,
        messageId: h.message_id,
        outboxId: h.id,
        reasonCode: o.reason,
        detail: { explanation: o.explanation },
      },
      now,
    );
  }
  return held.length;
}
