import type { ChannelName } from '../../core/channel.ts';
import { newId } from '../../core/ids.ts';
import { HandoffConflict, handoffOf, releaseHandoff, takeHandoff } from '../../handoff/handoff.ts';
import { handoffNotice } from '../../handoff/phrases.ts';
import { initiate, type Initiated } from '../../outbox/initiate.ts';
import type { Policy } from '../../policy/index.ts';
import type { Db } from '../../store/db.ts';
import type { OperatorsTable } from '../../store/schema.ts';

/**
 * What an agent does to a conversation: take it over, reply, release it. Messages to the person (the
 * agent's replies, "X has joined", "the assistant is back") go through the policy and the outbox like
 * the assistant's, on the channel the person last wrote on (or the one the agent chose).
 */

export class ConsoleActionError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
    this.name = 'ConsoleActionError';
  }
}

interface Line {
  channel: ChannelName;
  account: string;
  address: string;
  language: string | null;
}

/** Where to write to the person: their conversation with the latest message from them. */
async function lineOf(db: Db, personId: string, channel?: string): Promise<Line> {
  let q = db
    .selectFrom('conversations as v')
    .innerJoin('contacts as k', 'k.id', 'v.contact_id')
    .innerJoin('people as p', 'p.id', 'v.person_id')
    .select(['v.channel', 'v.account', 'k.address', 'p.language'])
    .where('v.person_id', '=', personId)
    .where('v.account', 'not like', 'import:%');
  if (channel) q = q.where('v.channel', '=', channel);
  const row = await q.orderBy('v.last_inbound_at', 'desc').orderBy('v.updated_at', 'desc').executeTakeFirst();
  if (!row)
    throw new ConsoleActionError(
      channel
        ? `this person has no conversation on ${channel}`
        : 'this person has no conversation to reply in',
      404,
    );
  return {
    channel: row.channel as ChannelName,
    account: row.account,
    address: row.address,
    language: row.language,
  };
}

async function say(
  db: Db,
  policy: Policy,
  line: Line,
  text: string,
  m: { operator: OperatorsTable; intent: string; now: number },
): Promise<Initiated> {
  return initiate(
    db,
    policy,
    {
      channel: line.channel,
      account: line.account,
      to: line.address,
      content: { type: 'text', text },
      idempotencyKey: `console:${newId()}`,
      source: `operator:${m.operator.id}`,
      businessInitiated: false,
      intent: m.intent,
    },
    m.now,
  );
}

export interface ActionContext {
  db: Db;
  policy: Policy;
  now: number;
}

export async function takeOver(
  ctx: ActionContext,
  personId: string,
  operator: OperatorsTable,
): Promise<Initiated | undefined> {
  const line = await lineOf(ctx.db, personId);
  try {
    const { changed } = await ctx.db
      .transaction()
      .execute((trx) =>
        takeHandoff(trx, { personId, operatorId: operator.id, channel: line.channel }, ctx.now),
      );
    if (!changed) return undefined;
  } catch (err) {
    if (err instanceof HandoffConflict)
      throw new ConsoleActionError('another agent holds this conversation', 409);
    throw err;
  }
  return say(ctx.db, ctx.policy, line, handoffNotice('joined', line.language, operator.display_name), {
    operator,
    intent: 'handoff_joined',
    now: ctx.now,
  });
}

export async function release(
  ctx: ActionContext,
  personId: string,
  operator: OperatorsTable,
): Promise<Initiated | undefined> {
  const h = await handoffOf(ctx.db, personId);
  if (!h) return undefined;
  try {
    await releaseHandoff(
      ctx.db,
      { personId, operatorId: operator.id, force: operator.role === 'admin' },
      ctx.now,
    );
  } catch (err) {
    if (err instanceof HandoffConflict)
      throw new ConsoleActionError('another agent holds this conversation', 409);
    throw err;
  }
  // Someone only queued was never told an agent joined: nothing to announce.
  if (h.state !== 'assigned') return undefined;
  const line = await lineOf(ctx.db, personId);
  return say(ctx.db, ctx.policy, line, handoffNotice('released', line.language, operator.display_name), {
    operator,
    intent: 'handoff_released',
    now: ctx.now,
  });
}

export async function agentReply(
  ctx: ActionContext,
  personId: string,
  operator: OperatorsTable,
  text: string,
  channel?: string,
): Promise<Initiated> {
  const h = await handoffOf(ctx.db, personId);
  if (h?.state !== 'assigned' || h.operator_id !== operator.id)
    throw new ConsoleActionError('take the conversation over before replying', 409);
  const line = await lineOf(ctx.db, personId, channel);
  return say(ctx.db, ctx.policy, line, text, { operator, intent: 'agent_reply', now: ctx.now });
}
