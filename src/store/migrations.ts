import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { LINE_OUTBOX_SQL, LIVE_INBOX_SQL, LIVE_OUTBOX_SQL } from './live.ts';

/**
 * Schema migrations, in code so they ship with the package. Only portable column types and Kysely's
 * schema builder: the same migrations run on SQLite and Postgres.
 */
const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('people')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text')
        .addColumn('language', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('contacts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('wa_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('country_code', 'text')
        .addColumn('display_name', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('contacts_channel_address', ['channel', 'address'])
        .execute();
      await db.schema.createIndex('contacts_person').on('contacts').column('person_id').execute();
      await db.schema.createIndex('contacts_wa_id').on('contacts').columns(['channel', 'wa_id']).execute();
      await db.schema
        .createIndex('contacts_user_id')
        .on('contacts')
        .columns(['channel', 'user_id'])
        .execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('last_inbound_at', 'bigint')
        .addColumn('last_outbound_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('conversations_contact_account', ['contact_id', 'account'])
        .execute();
      await db.schema.createIndex('conversations_person').on('conversations').column('person_id').execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text')
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('reply_to', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_at', 'bigint', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_details', 'text')
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('meta', 'text')
        .addUniqueConstraint('messages_provider_id', ['channel', 'provider_message_id'])
        .execute();
      await db.schema
        .createIndex('messages_conversation')
        .on('messages')
        .columns(['conversation_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('messages_person')
        .on('messages')
        .columns(['person_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('message_statuses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('participant', 'text', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('message_statuses_event', [
          'channel',
          'provider_message_id',
          'status',
          'participant',
        ])
        .execute();

      await db.schema
        .createTable('inbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ordering_key', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_until', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('processed_at', 'bigint')
        .addColumn('last_error', 'text')
        .addUniqueConstraint('inbox_dedupe', ['channel', 'dedupe_key'])
        .execute();
      await db.schema.createIndex('inbox_state').on('inbox').columns(['state', 'id']).execute();

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('provider_message_id', 'text')
        .addColumn('coalesced_into', 'text')
        .addColumn('last_error_code', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_trace_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
      await db.schema.createIndex('outbox_message').on('outbox').column('message_id').execute();

      await db.schema
        .createTable('consents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('consents_person')
        .on('consents')
        .columns(['person_id', 'channel', 'created_at'])
        .execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text')
        .addColumn('message_id', 'text')
        .addColumn('outbox_id', 'text')
        .addColumn('reason_code', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_message').on('audit_log').column('message_id').execute();
      await db.schema.createIndex('audit_person').on('audit_log').column('person_id').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        'audit_log',
        'consents',
        'outbox',
        'inbox',
        'message_statuses',
        'messages',
        'conversations',
        'contacts',
        'people',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  '0002_inbox_backoff': {
    // A failed inbound event waits before its next attempt instead of being retried in a tight loop.
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('inbox')
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('inbox_ordering')
        .on('inbox')
        .columns(['ordering_key', 'state', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('inbox_ordering').execute();
      await db.schema.alterTable('inbox').dropColumn('next_attempt_at').execute();
    },
  },
  '0003_llm_usage': {
    // Token usage of LLM answers, per conversation (no foreign keys: erasure deletes rows by person).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('llm_usage')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('input_tokens', 'integer')
        .addColumn('output_tokens', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('llm_usage_conversation')
        .on('llm_usage')
        .columns(['conversation_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('llm_usage_person')
        .on('llm_usage')
        .columns(['person_id', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('llm_usage').ifExists().execute();
    },
  },
  '0004_live_indexes': {
    // Indexes on the work tables cover only unfinished rows: the rows every pass looks for. They stay
    // a few pages however long the history grows, and a row leaves them when it is done instead of
    // moving inside a full index at every state change (fewer pages written per commit). Queries name
    // the same condition, literally (`LIVE_INBOX`, `LIVE_OUTBOX`, `LINE_OUTBOX`), so SQLite uses them.
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('inbox_state').execute();
      await db.schema.dropIndex('inbox_ordering').execute();
      await db.schema
        .createIndex('inbox_live')
        .on('inbox')
        .columns(['ordering_key', 'id'])
        .where(sql.raw<boolean>(LIVE_INBOX_SQL))
        .execute();
      // The sweep's `order by id` (without it, SQLite walks the primary key over the whole history).
      await db.schema
        .createIndex('inbox_live_id')
        .on('inbox')
        .column('id')
        .where(sql.raw<boolean>(LIVE_INBOX_SQL))
        .execute();
      await db.schema.dropIndex('outbox_due').execute();
      await db.schema
        .createIndex('outbox_live')
        .on('outbox')
        .columns(['state', 'next_attempt_at', 'id'])
        .where(sql.raw<boolean>(LIVE_OUTBOX_SQL))
        .execute();
      // The head of line per recipient (`headsOfLine`, every dispatcher pass).
      await db.schema
        .createIndex('outbox_line')
        .on('outbox')
        .columns(['recipient', 'id'])
        .where(sql.raw<boolean>(LINE_OUTBOX_SQL))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('outbox_line').execute();
      await db.schema.dropIndex('outbox_live').execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
      await db.schema.dropIndex('inbox_live_id').execute();
      await db.schema.dropIndex('inbox_live').execute();
      await db.schema.createIndex('inbox_state').on('inbox').columns(['state', 'id']).execute();
      await db.schema
        .createIndex('inbox_ordering')
        .on('inbox')
        .columns(['ordering_key', 'state', 'id'])
        .execute();
    },
  },
  '0005_identity': {
    // Portability: link codes joining contacts into one person (with brute-force lockout), short-lived
    // download links for a person's export, and sunset campaigns with their members. No foreign keys to
    // people: merging and erasing move or delete rows by person explicitly.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('link_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('used_by_contact_id', 'text')
        .execute();
      await db.schema.createIndex('link_codes_person').on('link_codes').column('person_id').execute();

      await db.schema
        .createTable('link_attempts')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint')
        .addColumn('lockouts', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('export_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('downloads', 'integer', (c) => c.notNull())
        .addColumn('last_download_at', 'bigint')
        .execute();
      await db.schema.createIndex('export_links_person').on('export_links').column('person_id').execute();

      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('sunset_at', 'bigint', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('report', 'text')
        .execute();

      await db.schema
        .createTable('campaign_members')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('campaign_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('notices', 'integer', (c) => c.notNull())
        .addColumn('last_notice_at', 'bigint')
        .addColumn('next_notice_at', 'bigint')
        .addColumn('linked_at', 'bigint')
        .addColumn('exported_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('campaign_members_person', ['campaign_id', 'person_id'])
        .execute();
      await db.schema
        .createIndex('campaign_members_due')
        .on('campaign_members')
        .columns(['campaign_id', 'state', 'next_notice_at'])
        .execute();
      await db.schema
        .createIndex('campaign_members_by_person')
        .on('campaign_members')
        .column('person_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['campaign_members', 'campaigns', 'export_links', 'link_attempts', 'link_codes'])
        await db.schema.dropTable(t).ifExists().execute();
    },
  },
  '0006_console': {
    // The operator console: accounts, sessions (tokens stored hashed), sign-in lockout, the human
    // handoff queue (one row per person while queued or held by an agent), and when operators last
    // read each person's conversation (unread counts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .execute();
      await db.schema
        .createTable('operator_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('operator_sessions_operator')
        .on('operator_sessions')
        .column('operator_id')
        .execute();
      await db.schema
        .createTable('login_attempts')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint')
        .execute();
      await db.schema
        .createTable('handoffs')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('assigned_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('console_reads')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('read_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['console_reads', 'handoffs', 'login_attempts', 'operator_sessions', 'operators'])
        await db.schema.dropTable(t).ifExists().execute();
    },
  },
  '0007_rate_buckets': {
    // Send rate limits shared by several processes (Postgres): one token bucket row per business
    // number and per recipient, refilled and taken in one statement.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rate_buckets')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tokens', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('rate_buckets').ifExists().execute();
    },
  },
  '0008_intake': {
    // The intake log: webhook requests taken in during a flood, acknowledged once stored here, and
    // turned into inbox items in the background (`IntakeDrain`). No index but the primary key, whose
    // ids grow with time: a row is an append, whatever the conversation or message ids.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('intake')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        // Set on a row the inbox kept refusing: left out of the drain, kept for an operator to see.
        .addColumn('last_error', 'text')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('intake').ifExists().execute();
    },
  },
};

/** Provides the in-code migrations to Kysely's `Migrator`, in name order. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
