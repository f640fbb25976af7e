import { sql } from 'kysely';
import { contentSummary, type MessageContent } from '../../core/content.ts';
import { stateOf, type HandoffState } from '../../handoff/handoff.ts';
import type { Db } from '../../store/db.ts';
import type { HandoffsTable } from '../../store/schema.ts';

/** What the console shows: one thread per person (all their channels), and one person's history. */

export interface Thread {
  personId: string;
  displayName: string | null;
  language: string | null;
  channels: string[];
  lastMessage: { text: string; at: number; direction: 'in' | 'out'; channel: string } | null;
  unread: number;
  status: HandoffState;
  holder: { id: string; displayName: string } | null;
  queuedAt: number | null;
}

export interface InboxFilter {
  status?: 'all' | 'bot' | 'queued' | 'human' | 'mine' | undefined;
  channel?: string | undefined;
  q?: string | undefined;
  /** For `mine`. */
  operatorId?: string | undefined;
  limit?: number;
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * `lower(<column>) like <pattern> escape '\'`: the pattern's `\%`, `\_` and `\\` are literal (SQLite
 * has no default escape character; Postgres's is the backslash, named here for both).
 */
const contains = (column: string, pattern: string) =>
  sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;

/** The inbox: people by their latest message (or handoff request), newest first, with filters. */
export async function inbox(db: Db, f: InboxFilter): Promise<Thread[]> {
  const limit = f.limit ?? 100;
  let q = db
    .selectFrom('messages')
    .select(['person_id', (eb) => eb.fn.max('created_at').as('last_at')])
    .groupBy('person_id');
  if (f.status === 'queued' || f.status === 'human' || f.status === 'mine') {
    const state = f.status === 'queued' ? 'queued' : 'assigned';
    q = q.where('person_id', 'in', (eb) => {
      let h = eb.selectFrom('handoffs').select('handoffs.person_id').where('handoffs.state', '=', state);
      if (f.status === 'mine') h = h.where('handoffs.operator_id', '=', f.operatorId ?? '');
      return h;
    });
  } else if (f.status === 'bot') {
    q = q.where('person_id', 'not in', (eb) => eb.selectFrom('handoffs').select('handoffs.person_id'));
  }
  if (f.channel)
    q = q.where('person_id', 'in', (eb) =>
      eb.selectFrom('contacts').select('contacts.person_id').where('contacts.channel', '=', f.channel!),
    );
  if (f.q?.trim()) {
    const pattern = like(f.q.trim().toLowerCase());
    q = q.where((eb) =>
      eb.or([
        eb(
          'person_id',
          'in',
          eb.selectFrom('people').select('people.id').where(contains('people.display_name', pattern)),
        ),
        eb(
          'person_id',
          'in',
          eb
            .selectFrom('contacts')
            .select('contacts.person_id')
            .where((c) =>
              c.or([contains('contacts.address', pattern), contains('contacts.display_name', pattern)]),
            ),
        ),
        contains('content', pattern),
      ]),
    );
  }
  const page = await q.orderBy('last_at', 'desc').limit(limit).execute();
  const ids = page.map((p) => p.person_id);
  if (ids.length === 0) return [];
  const [people, contacts, handoffs, reads, last] = await Promise.all([
    db.selectFrom('people').select(['id', 'display_name', 'language']).where('id', 'in', ids).execute(),
    db.selectFrom('contacts').select(['person_id', 'channel']).where('person_id', 'in', ids).execute(),
    db
      .selectFrom('handoffs')
      .leftJoin('operators', 'operators.id', 'handoffs.operator_id')
      .selectAll('handoffs')
      .select('operators.display_name as holder_name')
      .where('handoffs.person_id', 'in', ids)
      .execute(),
    db.selectFrom('console_reads').selectAll().where('person_id', 'in', ids).execute(),
    db
      .selectFrom('messages as m')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('messages')
            .select(['person_id', (x) => x.fn.max('created_at').as('last_at')])
            .where('person_id', 'in', ids)
            .groupBy('person_id')
            .as('t'),
        (join) => join.onRef('t.person_id', '=', 'm.person_id').onRef('t.last_at', '=', 'm.created_at'),
      )
      .select(['m.person_id', 'm.content', 'm.created_at', 'm.direction', 'm.channel'])
      .execute(),
  ]);
  const readAt = new Map(reads.map((r) => [r.person_id, Number(r.read_at)]));
  const unreadRows = await db
    .selectFrom('messages')
    .leftJoin('console_reads', 'console_reads.person_id', 'messages.person_id')
    .select(['messages.person_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('messages.person_id', 'in', ids)
    .where('messages.direction', '=', 'in')
    .where((eb) =>
      eb.or([
        eb('console_reads.read_at', 'is', null),
        eb('messages.created_at', '>', eb.ref('console_reads.read_at')),
      ]),
    )
    .groupBy('messages.person_id')
    .execute();
  const unread = new Map(unreadRows.map((r) => [r.person_id, Number(r.n)]));
  void readAt;
  const byId = new Map(people.map((p) => [p.id, p]));
  const hBy = new Map(handoffs.map((h) => [h.person_id, h]));
  const lastBy = new Map(last.map((m) => [m.person_id, m]));
  return ids.map((id): Thread => {
    const p = byId.get(id);
    const h = hBy.get(id);
    const m = lastBy.get(id);
    return {
      personId: id,
      displayName: p?.display_name ?? null,
      language: p?.language ?? null,
      channels: [...new Set(contacts.filter((c) => c.person_id === id).map((c) => c.channel))].sort(),
      lastMessage: m
        ? {
            text: contentSummary(JSON.parse(m.content) as MessageContent),
            at: Number(m.created_at),
            direction: m.direction,
            channel: m.channel,
          }
        : null,
      unread: unread.get(id) ?? 0,
      status: stateOf(h as HandoffsTable | undefined),
      holder: h?.operator_id ? { id: h.operator_id, displayName: h.holder_name ?? '' } : null,
      queuedAt: h ? Number(h.requested_at) : null,
    };
  });
}

export interface ConsoleMessage {
  id: string;
  channel: string;
  direction: 'in' | 'out';
  at: number;
  text: string;
  content: unknown;
  status: string;
  sources: string[];
  intent: string | null;
  confidence: number | null;
  decisions: { at: number; action: string; reason: string | null; explanation: string | null }[];
}

export interface ConversationView {
  person: { id: string; displayName: string | null; language: string | null };
  contacts: { channel: string; address: string; displayName: string | null }[];
  status: HandoffState;
  holder: { id: string; displayName: string } | null;
  messages: ConsoleMessage[];
}

/** One person's history across channels (the latest `limit` messages), with decisions and sources. */
export async function conversation(
  db: Db,
  personId: string,
  limit = 200,
): Promise<ConversationView | undefined> {
  const person = await db
    .selectFrom('people')
    .select(['id', 'display_name', 'language'])
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!person) return undefined;
  const [contacts, handoff, rows] = await Promise.all([
    db
      .selectFrom('contacts')
      .select(['channel', 'address', 'display_name'])
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('handoffs')
      .leftJoin('operators', 'operators.id', 'handoffs.operator_id')
      .selectAll('handoffs')
      .select('operators.display_name as holder_name')
      .where('handoffs.person_id', '=', personId)
      .executeTakeFirst(),
    db
      .selectFrom('messages')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
  ]);
  rows.reverse();
  const decisions = new Map<string, ConsoleMessage['decisions']>();
  const ids = rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const entries = await db
      .selectFrom('audit_log')
      .select(['message_id', 'at', 'action', 'reason_code', 'detail'])
      .where('message_id', 'in', chunk)
      .orderBy('at')
      .orderBy('id')
      .execute();
    for (const e of entries) {
      const detail = e.detail ? (JSON.parse(e.detail) as { explanation?: string }) : {};
      const list = decisions.get(e.message_id!) ?? [];
      list.push({
        at: Number(e.at),
        action: e.action,
        reason: e.reason_code,
        explanation: detail.explanation ?? null,
      });
      decisions.set(e.message_id!, list);
    }
  }
  return {
    person: { id: person.id, displayName: person.display_name, language: person.language },
    contacts: contacts.map((c) => ({ channel: c.channel, address: c.address, displayName: c.display_name })),
    status: stateOf(handoff as HandoffsTable | undefined),
    holder: handoff?.operator_id ? { id: handoff.operator_id, displayName: handoff.holder_name ?? '' } : null,
    messages: rows.map((r) => {
      const content = JSON.parse(r.content) as MessageContent;
      const meta = r.meta
        ? (JSON.parse(r.meta) as { sources?: string[]; intent?: string; confidence?: number })
        : {};
      return {
        id: r.id,
        channel: r.channel,
        direction: r.direction,
        at: Number(r.sent_at),
        text: contentSummary(content),
        content,
        status: r.status,
        sources: meta.sources ?? [],
        intent: meta.intent ?? null,
        confidence: meta.confidence ?? null,
        decisions: decisions.get(r.id) ?? [],
      };
    }),
  };
}

/** Marks everything received so far as read by the operators. */
export async function markRead(db: Db, personId: string, now = Date.now()): Promise<void> {
  await db
    .insertInto('console_reads')
    .values({ person_id: personId, read_at: now })
    .onConflict((oc) => oc.column('person_id').doUpdateSet({ read_at: now }))
    .execute();
}

/** Messages per hour over the last 24 hours, in and out. */
export async function volume(db: Db, now = Date.now()): Promise<{ hour: string; in: number; out: number }[]> {
  const H = 3_600_000;
  const start = Math.floor(now / H) * H - 23 * H;
  // Integer division on both dialects (bigint / integer): the hour number.
  const hourOf = sql<number>`created_at / ${sql.lit(H)}`;
  const rows = await db
    .selectFrom('messages')
    .select(['direction', hourOf.as('h'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', start)
    .groupBy(['direction', hourOf])
    .execute();
  const buckets = Array.from({ length: 24 }, (_, i) => ({
    hour: new Date(start + i * H).toISOString(),
    in: 0,
    out: 0,
  }));
  for (const r of rows) {
    const b = buckets[Number(r.h) - start / H];
    if (b) b[r.direction] += Number(r.n);
  }
  return buckets;
}
