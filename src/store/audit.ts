import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { AuditLogTable } from './schema.ts';
import { arg, Prepared } from './sql.ts';

export interface AuditEntry {
  actor?: string;
  action: string;
  personId?: string | null;
  messageId?: string | null;
  outboxId?: string | null;
  reasonCode?: string;
  /** Structured details. Never secrets. */
  detail?: Record<string, unknown>;
}

const insertEntry = new Prepared<Record<keyof AuditLogTable, unknown>>((db) =>
  db.insertInto('audit_log').values({
    id: arg<string>('id'),
    at: arg<number>('at'),
    actor: arg<string>('actor'),
    action: arg<string>('action'),
    person_id: arg<string | null>('person_id'),
    message_id: arg<string | null>('message_id'),
    outbox_id: arg<string | null>('outbox_id'),
    reason_code: arg<string | null>('reason_code'),
    detail: arg<string | null>('detail'),
  }),
);

/** Appends to the audit log: what was decided or done, about whom, and why. */
export async function audit(db: Db, e: AuditEntry, now = Date.now()): Promise<void> {
  await insertEntry.run(db, {
    id: newId(),
    at: now,
    actor: e.actor ?? 'system',
    action: e.action,
    person_id: e.personId ?? null,
    message_id: e.messageId ?? null,
    outbox_id: e.outboxId ?? null,
    reason_code: e.reasonCode ?? null,
    detail: e.detail ? JSON.stringify(e.detail) : null,
  });
}
