import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';

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

/** Appends to the audit log: what was decided or done, about whom, and why. */
export async function audit(db: Db, e: AuditEntry, now = Date.now()): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId(),
      at: now,
      actor: e.actor ?? 'system',
      action: e.action,
      person_id: e.personId ?? null,
      message_id: e.messageId ?? null,
      outbox_id: e.outboxId ?? null,
      reason_code: e.reasonCode ?? null,
      detail: e.detail ? JSON.stringify(e.detail) : null,
    })
    .execute();
}
