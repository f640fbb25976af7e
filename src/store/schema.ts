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

/** A one-time code that joins the contact redeeming it to the person who asked for it (stored hashed). */
export interface LinkCodesTable {
  id: string;
  /** SHA-256 (hex) of the normalised code: a copy of the database does not give usable codes. */
  code_hash: string;
  person_id: string;
  /** The contact that asked (redeeming it from this same contact is refused). */
  contact_id: string;
  channel: string;
  /** `link` (the person asked) or `sunset` (a campaign notice carried it). */
  purpose: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by_contact_id: string | null;
}

/** Failed redemptions per subject (a contact, or `global`), for lockout. */
export interface LinkAttemptsTable {
  subject: string;
  failures: number;
  window_start: number;
  locked_until: number | null;
  /** Lockouts so far: each one lasts twice as long as the previous. */
  lockouts: number;
}

/** A short-lived download link to a person's export (the token is stored hashed). */
export interface ExportLinksTable {
  id: string;
  token_hash: string;
  person_id: string;
  created_at: number;
  expires_at: number;
  downloads: number;
  last_download_at: number | null;
}

export interface CampaignsTable {
  id: string;
  /** `sunset`. */
  kind: string;
  /** The closing channel. */
  channel: string;
  sunset_at: number;
  /** JSON: target channels, template, reminder schedule, audience. */
  settings: string;
  state: 'active' | 'finished' | 'cancelled';
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** JSON of the final report, once finished. */
  report: string | null;
}

export interface CampaignMembersTable {
  id: string;
  campaign_id: string;
  person_id: string;
  contact_id: string;
  conversation_id: string;
  /** pending → notified → linked | exported; opted_out; failed. */
  state: string;
  notices: number;
  last_notice_at: number | null;
  next_notice_at: number | null;
  linked_at: number | null;
  exported_at: number | null;
  created_at: number;
  updated_at: number;
}

/** An operator of the console (`admin` or `agent`); the password is stored as a scrypt hash. */
export interface OperatorsTable {
  id: string;
  username: string;
  display_name: string;
  role: 'admin' | 'agent';
  /** `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`. */
  password_hash: string;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

/** A console session: `id` is the SHA-256 of the cookie's token. */
export interface OperatorSessionsTable {
  id: string;
  operator_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

/** Failed sign-ins per username, for lockout. */
export interface LoginAttemptsTable {
  subject: string;
  failures: number;
  window_start: number;
  locked_until: number | null;
}

/** A person waiting for a human (`queued`) or held by an agent (`assigned`): the assistant pauses then. */
export interface HandoffsTable {
  person_id: string;
  state: 'queued' | 'assigned';
  operator_id: string | null;
  /** `person_asked`, `person_tapped`, `assistant_detected`, `operator`. */
  reason: string;
  /** The channel the request came from. */
  channel: string;
  requested_at: number;
  assigned_at: number | null;
  updated_at: number;
}

/** When operators last read a person's conversation (unread counts). */
export interface ConsoleReadsTable {
  person_id: string;
  read_at: number;
}

/** A token bucket shared by the processes sending (see `outbox/shared-limit.ts`). */
export interface RateBucketsTable {
  key: string;
  tokens: number;
  updated_at: number;
}

/** Webhook requests taken in during a flood, not yet inbox items (`store/intake.ts`). */
export interface IntakeTable {
  /** `newId()`: grows with time, so the log is read in arrival order. */
  id: string;
  /** The request's parsed events, as JSON (an array of `InboundEvent`). */
  events: string;
  received_at: number;
  /** Why the inbox refused the row (it is then left out of the drain); null while it waits. */
  last_error: string | null;
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
  link_codes: LinkCodesTable;
  link_attempts: LinkAttemptsTable;
  export_links: ExportLinksTable;
  campaigns: CampaignsTable;
  campaign_members: CampaignMembersTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  login_attempts: LoginAttemptsTable;
  handoffs: HandoffsTable;
  console_reads: ConsoleReadsTable;
  rate_buckets: RateBucketsTable;
  intake: IntakeTable;
}
