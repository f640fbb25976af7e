import type { Db } from './db.ts';

/** One audit row about the message, its outbox items or its replies. */
export interface ExplainedDecision {
  at: number;
  time: string;
  actor: string;
  action: string;
  reasonCode: string | null;
  explanation: string | null;
  rule: string | null;
  data: unknown;
  messageId: string | null;
  outboxId: string | null;
}

/** What `policy explain` found for an id. */
export interface Explanation {
  id: string;
  messages: { id: string; direction: string; channel: string; status: string; inReplyTo: string | null }[];
  outbox: { id: string; messageId: string | null; state: string }[];
  decisions: ExplainedDecision[];
}

/**
 * Everything recorded about one message: `id` may be our message id, the provider's message id
 * (wamid) or an outbox id. An inbound message brings its replies along (their decisions are what an
 * operator asks about: "why was this not answered?"). `null` when the id is unknown.
 */
export async function explainMessage(db: Db, id: string): Promise<Explanation | null> {
  const direct = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'channel', 'status', 'meta'])
    .where((eb) =>
      eb.or([
        eb('id', '=', id),
        eb('provider_message_id', '=', id),
        eb('id', 'in', eb.selectFrom('outbox').select('message_id').where('id', '=', id)),
      ]),
    )
    .orderBy('id') // ids grow with time: creation order, the same on every dialect
    .execute();
  const inbound = direct.filter((m) => m.direction === 'in').map((m) => m.id);
  const replies = inbound.length
    ? await db
        .selectFrom('messages')
        .select(['id', 'direction', 'channel', 'status', 'meta'])
        .where((eb) => eb.or(inbound.map((i) => eb('meta', 'like', `%"inReplyTo":"${i}"%`))))
        .orderBy('id')
        .execute()
    : [];
  const messages = [...direct, ...replies];
  const messageIds = messages.map((m) => m.id);
  const outbox = await db
    .selectFrom('outbox')
    .select(['id', 'message_id', 'state'])
    .where((eb) =>
      eb.or([eb('id', '=', id), ...(messageIds.length ? [eb('message_id', 'in', messageIds)] : [])]),
    )
    .orderBy('id')
    .execute();
  const outboxIds = outbox.map((o) => o.id);
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) =>
      eb.or([eb('message_id', 'in', [id, ...messageIds]), eb('outbox_id', 'in', [id, ...outboxIds])]),
    )
    .orderBy('at')
    .orderBy('id')
    .execute();
  if (messages.length === 0 && outbox.length === 0 && rows.length === 0) return null;
  return {
    id,
    messages: messages.map((m) => ({
      id: m.id,
      direction: m.direction,
      channel: m.channel,
      status: m.status,
      inReplyTo: inReplyTo(m.meta),
    })),
    outbox: outbox.map((o) => ({ id: o.id, messageId: o.message_id, state: o.state })),
    decisions: rows.map((r) => {
      const detail = parseDetail(r.detail);
      return {
        at: Number(r.at),
        time: new Date(Number(r.at)).toISOString(),
        actor: r.actor,
        action: r.action,
        reasonCode: r.reason_code,
        explanation: typeof detail.explanation === 'string' ? detail.explanation : null,
        rule: typeof detail.rule === 'string' ? detail.rule : null,
        data: 'explanation' in detail ? (detail.data ?? null) : detail,
        messageId: r.message_id,
        outboxId: r.outbox_id,
      };
    }),
  };
}

function parseDetail(detail: string | null): Record<string, unknown> {
  if (!detail) return {};
  try {
    const v: unknown = JSON.parse(detail);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { value: detail };
  }
}

function inReplyTo(meta: string | null): string | null {
  const v = parseDetail(meta).inReplyTo;
  return typeof v === 'string' ? v : null;
}

/** The readable form: the messages, then each decision in time order with its explanation. */
