import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import type { HandoffsTable } from '../store/schema.ts';
import { arg, Prepared } from '../store/sql.ts';

/**
 * The human handoff queue. A person who asks for a human is `queued` (the assistant keeps answering
 * meanwhile); an agent who takes the conversation holds it (`assigned`: the assistant pauses for
 * that person); releasing it deletes the row (the assistant is back). The history of every step is
 * in the audit log. Functions run in the caller's transaction.
 */

export type HandoffState = 'bot' | 'queued' | 'human';

const handoffQuery = new Prepared<{ personId: string }, HandoffsTable>((db) =>
  db.selectFrom('handoffs').selectAll().where('person_id', '=', arg('personId')),
);

/** The person's handoff, if they are queued for or held by an agent (read for every inbound message). */
export async function handoffOf(db: Db, personId: string): Promise<HandoffsTable | undefined> {
  return handoffQuery.first(db, { personId });
}

export function stateOf(h: HandoffsTable | undefined): HandoffState {
  return !h ? 'bot' : h.state === 'assigned' ? 'human' : 'queued';
}

/**
 * Puts the person in the queue, unless they are already in it or held by an agent. Returns whether
 * they were queued now.
 */
export async function queueHandoff(
  db: Db,
  q: { personId: string; channel: string; reason: string; messageId?: string },
  now = Date.now(),
): Promise<boolean> {
  if (await handoffOf(db, q.personId)) return false;
  await db
    .insertInto('handoffs')
    .values({
      person_id: q.personId,
      state: 'queued',
      operator_id: null,
      reason: q.reason,
      channel: q.channel,
      requested_at: now,
      assigned_at: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('person_id').doNothing())
    .execute();
  await audit(
    db,
    {
      action: 'handoff.queued',
      personId: q.personId,
      messageId: q.messageId ?? null,
      reasonCode: q.reason,
      detail: { channel: q.channel },
    },
    now,
  );
  return true;
}

export class HandoffConflict extends Error {
  constructor(readonly holder: string) {
    super('another agent holds this conversation');
    this.name = 'HandoffConflict';
  }
}

/** An agent takes the conversation (queued or not): the assistant pauses for this person. */
export async function takeHandoff(
  db: Db,
  t: { personId: string; operatorId: string; channel: string },
  now = Date.now(),
): Promise<{ changed: boolean }> {
  const h = await handoffOf(db, t.personId);
  if (h?.state === 'assigned') {
    if (h.operator_id === t.operatorId) return { changed: false };
    throw new HandoffConflict(h.operator_id ?? '');
  }
  if (h) {
    await db
      .updateTable('handoffs')
      .set({ state: 'assigned', operator_id: t.operatorId, assigned_at: now, updated_at: now })
      .where('person_id', '=', t.personId)
      .where('state', '=', 'queued')
      .execute();
  } else {
    await db
      .insertInto('handoffs')
      .values({
        person_id: t.personId,
        state: 'assigned',
        operator_id: t.operatorId,
        reason: 'operator',
        channel: t.channel,
        requested_at: now,
        assigned_at: now,
        updated_at: now,
      })
      .execute();
  }
  await audit(
    db,
    {
      actor: `operator:${t.operatorId}`,
      action: 'handoff.assigned',
      personId: t.personId,
      reasonCode: h ? h.reason : 'operator',
      detail: h ? { waitedMs: now - Number(h.requested_at) } : {},
    },
    now,
  );
  return { changed: true };
}

/** Gives the conversation back to the assistant. */
export async function releaseHandoff(
  db: Db,
  r: { personId: string; operatorId: string; force?: boolean },
  now = Date.now(),
): Promise<{ changed: boolean }> {
  const h = await handoffOf(db, r.personId);
  if (!h) return { changed: false };
  if (h.state === 'assigned' && h.operator_id !== r.operatorId && !r.force)
    throw new HandoffConflict(h.operator_id ?? '');
  // Only the row read above: if another agent took the conversation meanwhile, theirs stays.
  const gone = await db
    .deleteFrom('handoffs')
    .where('person_id', '=', r.personId)
    .where('state', '=', h.state)
    .where((eb) =>
      h.operator_id === null ? eb('operator_id', 'is', null) : eb('operator_id', '=', h.operator_id),
    )
    .executeTakeFirst();
  if (Number(gone.numDeletedRows) === 0) return releaseHandoff(db, r, now);
  await audit(
    db,
    { actor: `operator:${r.operatorId}`, action: 'handoff.released', personId: r.personId },
    now,
  );
  return { changed: true };
}
