import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { setMessageState } from '../store/messages.ts';
import { heldFor, settleHeld, type Line } from '../store/outbox.ts';

/**
 * Messages held by the policy (written while the customer-service window was closed) wait for the
 * person: their next message reopens the window and puts them back in line, oldest first, ahead of the
 * reply to that message. An opt-out drops them instead. Both inside the caller's transaction.
 */

/** Puts a recipient's held messages back in line; returns how many. */
export async function releaseHeld(trx: Db, line: Line, personId: string, now = Date.now()): Promise<number> {
  const held = await heldFor(trx, line);
  if (held.length === 0) return 0;
  await settleHeld(
    trx,
    held.map((h) => h.id),
    'pending',
    'window_reopened',
    now,
  );
  for (const h of held) {
    if (h.message_id) await setMessageState(trx, h.message_id, 'queued', {}, now);
    await audit(
      trx,
      {
        actor: 'policy',
        action: 'policy.release',
        personId,
        messageId: h.message_id,
        outboxId: h.id,
        reasonCode: 'window_reopened',
        detail: {
          explanation:
            'The person wrote again, which reopens the customer-service window: the held message goes out now.',
        },
      },
      now,
    );
  }
  return held.length;
}

/** Drops a recipient's held messages for good (the person opted out); returns how many. */
export async function dropHeld(trx: Db, line: Line, personId: string, now = Date.now()): Promise<number> {
  const held = await heldFor(trx, line);
  if (held.length === 0) return 0;
  await settleHeld(
    trx,
    held.map((h) => h.id),
    'dead',
    'opted_out',
    now,
  );
  for (const h of held) {
    if (h.message_id) await setMessageState(trx, h.message_id, 'refused', { errorCode: 'opted_out' }, now);
    await audit(
      trx,
      {
        actor: 'policy',
        action: 'policy.refuse',
        personId,
        messageId: h.message_id,
        outboxId: h.id,
        reasonCode: 'opted_out',
        detail: {
          explanation: 'The person opted out: a message held for them will not be sent.',
        },
      },
      now,
    );
  }
  return held.length;
}
