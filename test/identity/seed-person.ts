import type { Db } from '../../src/store/db.ts';

/**
 * A person with a row in every table that can hold something about them: two contacts (WhatsApp and
 * Telegram), a conversation each, inbound and outbound messages with statuses, outbox items (a reply
 * and a pending mark-read), inbox events (a message, a status, a notification naming the number),
 * consents, LLM usage, audit entries, a link code, an export link, a campaign membership and lockout
 * counters. Ids are `<tag>-…`; phone numbers differ per tag.
 */
export interface SeededPerson {
  personId: string;
  whatsapp: { contactId: string; address: string; conversationId: string };
  telegram: { contactId: string; address: string; conversationId: string };
  messageIds: string[];
}

export const SEED_NOW = Date.parse('2026-05-01T10:00:00Z');
const ACCOUNT = '106540352242922';
const BOT = '777000';

export async function seedPerson(db: Db, tag: string, phone: string, tgUser: string): Promise<SeededPerson> {
  const t = SEED_NOW;
  const personId = `${tag}-person`;
  const wa = { contactId: `${tag}-c-wa`, address: phone, conversationId: `${tag}-cv-wa` };
  const tg = { contactId: `${tag}-c-tg`, address: tgUser, conversationId: `${tag}-cv-tg` };
  await db
    .insertInto('people')
    .values({ id: personId, display_name: `Name ${tag}`, language: 'fr', created_at: t, updated_at: t + 5 })
    .execute();
  const contact = (id: string, channel: string, address: string, extra: object) => ({
    id, person_id: personId, channel, address, wa_id: null, user_id: null, username: null,
    country_code: null, display_name: `Name ${tag}`, created_at: t, last_seen_at: t + 9, ...extra,
  }); // prettier-ignore
  await db
    .insertInto('contacts')
    .values([
      contact(wa.contactId, 'whatsapp', phone, { wa_id: phone, country_code: 'FR' }),
      contact(tg.contactId, 'telegram', tgUser, { user_id: tgUser, username: `u${tag}` }),
    ])
    .execute();
  const conversation = (id: string, contactId: string, channel: string, account: string) => ({
    id, person_id: personId, contact_id: contactId, channel, account, last_inbound_at: t + 1,
    last_outbound_at: t + 2, created_at: t, updated_at: t + 2,
  }); // prettier-ignore
  await db
    .insertInto('conversations')
    .values([
      conversation(wa.conversationId, wa.contactId, 'whatsapp', ACCOUNT),
      conversation(tg.conversationId, tg.contactId, 'telegram', BOT),
    ])
    .execute();
  const message = (
    id: string,
    c: { contactId: string; conversationId: string },
    channel: string,
    direction: 'in' | 'out',
    pmid: string | null,
    text: string,
    at: number,
  ) => ({
    id, conversation_id: c.conversationId, person_id: personId, contact_id: c.contactId, channel, direction,
    provider_message_id: pmid, content_type: 'text', content: JSON.stringify({ type: 'text', text }),
    reply_to: null, status: direction === 'in' ? 'received' : 'delivered', status_at: at + 1, error_code: null,
    error_details: null, sent_at: at, created_at: at, meta: direction === 'out' ? '{"intent":"answer"}' : null,
  }); // prettier-ignore
  const messageIds = [`${tag}-m1`, `${tag}-m2`, `${tag}-m3`, `${tag}-m4`];
  await db
    .insertInto('messages')
    .values([
      message(messageIds[0]!, wa, 'whatsapp', 'in', `wamid.${tag}.in`, `hello from ${tag}`, t + 1),
      message(messageIds[1]!, wa, 'whatsapp', 'out', `wamid.${tag}.out`, `answer to ${tag}`, t + 2),
      message(messageIds[2]!, tg, 'telegram', 'in', `${tgUser}:1`, `tg ${tag}`, t + 3),
      message(messageIds[3]!, tg, 'telegram', 'out', null, `tg answer ${tag}`, t + 4),
    ])
    .execute();
  const status = (id: string, s: string, at: number) => ({
    id, channel: 'whatsapp', provider_message_id: `wamid.${tag}.out`, status: s, participant: '',
    timestamp: at, detail: JSON.stringify({ recipient: { address: phone } }), received_at: at,
  }); // prettier-ignore
  await db
    .insertInto('message_statuses')
    .values([status(`${tag}-s1`, 'sent', t + 3), status(`${tag}-s2`, 'delivered', t + 4)])
    .execute();
  const outbox = (id: string, kind: 'message' | 'mark_read', messageId: string | null, state: string) => ({
    id, idempotency_key: `${tag}:${id}`, kind, channel: 'whatsapp', account: ACCOUNT, recipient: phone,
    message_id: messageId, payload: '{}', state: state as 'pending', attempts: 0, next_attempt_at: t,
    lease_until: null, lease_owner: null, provider_message_id: null, coalesced_into: null,
    last_error_code: null, last_error: null, last_trace_id: null, created_at: t, updated_at: t, sent_at: null,
  }); // prettier-ignore
  await db
    .insertInto('outbox')
    .values([
      outbox(`${tag}-o1`, 'message', messageIds[1]!, 'sent'),
      outbox(`${tag}-o2`, 'mark_read', null, 'pending'),
    ])
    .execute();
  const inbox = (id: string, kind: string, orderingKey: string, dedupe: string, payload: object) => ({
    id, channel: 'whatsapp', dedupe_key: dedupe, kind, ordering_key: orderingKey, account: ACCOUNT,
    payload: JSON.stringify(payload), state: 'done' as const, attempts: 1, lease_until: null,
    lease_owner: null, received_at: t, processed_at: t, last_error: null, next_attempt_at: 0,
  }); // prettier-ignore
  await db
    .insertInto('inbox')
    .values([
      inbox(`${tag}-i1`, 'message', `whatsapp:${ACCOUNT}:${phone}`, `msg:wamid.${tag}.in`, {
        kind: 'message',
        from: { channel: 'whatsapp', address: phone, waId: phone },
        providerMessageId: `wamid.${tag}.in`,
        content: { type: 'text', text: `hello from ${tag}` },
      }),
      inbox(`${tag}-i2`, 'status', `whatsapp:status:wamid.${tag}.out`, `st:wamid.${tag}.out:sent`, {
        kind: 'status',
        recipient: { address: phone },
      }),
      inbox(`${tag}-i3`, 'other', 'whatsapp:user_preferences', `h:${tag}`, {
        kind: 'other',
        field: 'user_preferences',
        value: { user_preferences: [{ wa_id: phone, value: 'stop' }] },
      }),
    ])
    .execute();
  // A flood's webhooks not yet drained: their new message, a status of the reply to them, and a
  // notification naming their number, in one request's row.
  await db
    .insertInto('intake')
    .values({
      id: `${tag}-in1`,
      events: JSON.stringify([
        {
          kind: 'message', channel: 'whatsapp', account: ACCOUNT, dedupeKey: `msg:wamid.${tag}.in2`,
          orderingKey: `whatsapp:${ACCOUNT}:${phone}`, timestamp: t, providerMessageId: `wamid.${tag}.in2`,
          from: { channel: 'whatsapp', address: phone, waId: phone }, content: { type: 'text', text: 'again' },
        },
        {
          kind: 'status', channel: 'whatsapp', account: ACCOUNT, dedupeKey: `st:wamid.${tag}.out:read`,
          orderingKey: `whatsapp:status:wamid.${tag}.out`, timestamp: t, providerMessageId: `wamid.${tag}.out`,
          status: 'read', recipient: { address: phone },
        },
        {
          kind: 'other', channel: 'whatsapp', account: ACCOUNT, dedupeKey: `h:${tag}.2`,
          orderingKey: 'whatsapp:user_preferences', timestamp: t, field: 'user_preferences',
          value: { user_preferences: [{ wa_id: phone, value: 'resume' }] },
        },
      ]),
      received_at: t,
    })
    .execute(); // prettier-ignore
  // The per-recipient send rate counter (Postgres deployments).
  await db
    .insertInto('rate_buckets')
    .values({ key: `pair:whatsapp:${ACCOUNT}:${phone}`, tokens: 3, updated_at: t })
    .execute();
  await db
    .insertInto('consents')
    .values({
      id: `${tag}-k1`,
      person_id: personId,
      channel: 'whatsapp',
      kind: 'opt_in',
      source: 'api',
      created_at: t,
    })
    .execute();
  await db
    .insertInto('llm_usage')
    .values({
      id: `${tag}-u1`,
      conversation_id: wa.conversationId,
      person_id: personId,
      provider: 'openai',
      model: 'm',
      input_tokens: 10,
      output_tokens: null,
      latency_ms: 120,
      outcome: 'answer',
      created_at: t + 2,
    })
    .execute();
  const entry = (id: string, action: string, p: string | null, m: string | null, o: string | null) => ({
    id, at: t + 2, actor: 'policy', action, person_id: p, message_id: m, outbox_id: o, reason_code: 'r',
    detail: JSON.stringify({ why: tag }),
  }); // prettier-ignore
  await db
    .insertInto('audit_log')
    .values([
      entry(`${tag}-a1`, 'consent.recorded', personId, null, null),
      entry(`${tag}-a2`, 'outbound.allow', null, messageIds[1]!, null),
      entry(`${tag}-a3`, 'outbox.dead', null, null, `${tag}-o2`),
    ])
    .execute();
  await db
    .insertInto('link_codes')
    .values({
      id: `${tag}-l1`,
      code_hash: `hash-${tag}`,
      person_id: personId,
      contact_id: wa.contactId,
      channel: 'whatsapp',
      purpose: 'link',
      created_at: t,
      expires_at: t + 600_000,
      used_at: null,
      used_by_contact_id: null,
    })
    .execute();
  await db
    .insertInto('export_links')
    .values({
      id: `${tag}-e1`,
      token_hash: `tok-${tag}`,
      person_id: personId,
      created_at: t,
      expires_at: t + 600_000,
      downloads: 0,
      last_download_at: null,
    })
    .execute();
  await db
    .insertInto('campaigns')
    .values({
      id: `${tag}-camp`,
      kind: 'sunset',
      channel: 'telegram',
      sunset_at: t + 86_400_000,
      settings: '{}',
      state: 'active',
      created_at: t,
      updated_at: t,
      finished_at: null,
      report: null,
    })
    .execute();
  await db
    .insertInto('campaign_members')
    .values({
      id: `${tag}-cm1`,
      campaign_id: `${tag}-camp`,
      person_id: personId,
      contact_id: tg.contactId,
      conversation_id: tg.conversationId,
      state: 'notified',
      notices: 1,
      last_notice_at: t,
      next_notice_at: t + 1000,
      linked_at: null,
      exported_at: null,
      created_at: t,
      updated_at: t,
    })
    .execute();
  await db
    .insertInto('link_attempts')
    .values({
      subject: `contact:${tg.contactId}`,
      failures: 2,
      window_start: t,
      locked_until: null,
      lockouts: 0,
    })
    .execute();
  await db
    .insertInto('handoffs')
    .values({
      person_id: personId,
      state: 'queued',
      operator_id: null,
      reason: 'person_asked',
      channel: 'telegram',
      requested_at: t,
      assigned_at: null,
      updated_at: t,
    })
    .execute();
  await db.insertInto('console_reads').values({ person_id: personId, read_at: t }).execute();
  return { personId, whatsapp: wa, telegram: tg, messageIds };
}

/** Every table's rows, sorted, as plain objects: for "nothing else changed" comparisons. */
export const ALL_TABLES = [
  'people',
  'contacts',
  'conversations',
  'messages',
  'message_statuses',
  'inbox',
  'outbox',
  'consents',
  'audit_log',
  'llm_usage',
  'link_codes',
  'link_attempts',
  'export_links',
  'campaigns',
  'campaign_members',
  'handoffs',
  'console_reads',
  'intake',
  'rate_buckets',
] as const;

export async function dumpAll(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of ALL_TABLES) {
    const rows = (await db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    out[table] = rows
      .map((r) => JSON.stringify(r, Object.keys(r).sort()))
      .sort()
      .map((s) => JSON.parse(s) as unknown);
  }
  return out;
}
