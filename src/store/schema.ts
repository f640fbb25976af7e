/**
 * The database schema as Kysely sees it. Times are Unix milliseconds (`bigint` columns); structured
 * values are JSON text, so the same repositories run on SQLite and Postgres.
 */

export interface PeopleTable {
  id: string;
  display_name: string | null;
  language: string | null;
  created_at: number;
  updated_at: number;
}

export interface ContactsTable {
  id: string;
  person_id: string;
  channel: string;
  /** The address we reply to: phone number when known, else the business-scoped user id. */
  address: string;
  wa_id: string | null;
  /** WhatsApp business-scoped user id (BSUID, spec §1.7). */
  user_id: string | null;
  username: string | null;
  country_code: string | null;
  display_name: string | null;
  created_at: number;
  last_seen_at: number;
}

export interface ConversationsTable {
  id: string;
  person_id: string;
  contact_id: string;
  channel: string;
  /** Business account (WhatsApp phone number id). */
  account: string;
  /** Last message from the person: the customer-service window clock (spec §3). */
  last_inbound_at: number | null;
  last_outbound_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  person_id: string;
  contact_id: string;
  channel: string;
  direction: 'in' | 'out';
  provider_message_id: string | null;
  content_type: string;
  /** JSON of `MessageContent`. */
  content: string;
  reply_to: string | null;
  /** in: received; out: queued → accepted → sent → delivered → read (or played) | failed | held | dead. */
  status: string;
  status_at: number;
  error_code: string | null;
  error_details: string | null;
  /** Provider timestamp (inbound) or creation time (outbound). */
  sent_at: number;
  created_at: number;
  /** JSON: assistant sources, coalescing, etc. */
  meta: string | null;
}

export interface MessageStatusesTable {
  id: string;
  channel: string;
  provider_message_id: string;
  status: string;
  /** Group participant the status is for; '' for one-to-one chats. */
  participant: string;
  timestamp: number;
  /** JSON of the provider's errors, pricing and conversation objects. */
  detail: string | null;
  received_at: number;
}

export interface InboxTable {
  id: string;
  channel: string;
  dedupe_key: string;
  kind: string;
  ordering_key: string;
  account: string;
  /** JSON of the parsed `InboundEvent`. */
  payload: string;
  state: 'pending' | 'processing' | 'done' | 'failed';
  attempts: number;
  lease_until: number | null;
  lease_owner: string | null;
  received_at: number;
  processed_at: number | null;
  last_error: string | null;
  /** Earliest time of the next attempt after a failure. */
  next_attempt_at: number;
}

export interface OutboxTable {
  id: string;
  idempotency_key: string;
  /** `message` sends a message; `mark_read` marks an inbound message read (with typing indicator). */
  kind: 'message' | 'mark_read';
  channel: string;
  account: string;
  recipient: string;
  message_id: string | null;
  /** JSON: `{content, replyTo}` for messages, `{providerMessageId, typing}` for mark_read. */
  payload: string;
  state: 'pending' | 'sending' | 'unknown' | 'sent' | 'held' | 'needs_template' | 'dead' | 'coalesced';
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  provider_message_id: string | null;
  coalesced_into: string | null;
  last_error_code: string | null;
  last_error: string | null;
  last_trace_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export interface ConsentsTable {
  id: string;
  person_id: string;
  channel: string;
  kind: 'opt_in' | 'opt_out';
  source: string;
  created_at: number;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  person_id: string | null;
  message_id: string | null;
  outbox_id: string | null;
  reason_code: string | null;
  /** JSON details: never secrets. */
  detail: string | null;
}

/** Token usage of one LLM call. Token counts are null when the provider did not report them. */
export interface LlmUsageTable {
  id: string;
  conversation_id: string;
  person_id: string;
  provider: string;
  model: string;
  input_tokens: number | null;
  output_tokens: number | null;
  latency_ms: number;
  outcome: string;
  created_at: number;
}

export interface Database {
  people: PeopleTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  message_statuses: MessageStatusesTable;
  inbox: InboxTable;
  outbox: OutboxTable;
  consents: ConsentsTable;
  audit_log: AuditLogTable;
  llm_usage: LlmUsageTable;
}
