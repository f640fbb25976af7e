import type { AuditEntry } from '../store/audit.ts';
import type { InboundSignal, PolicyDecision, ScopeDecision } from './decision.ts';

/**
 * Policy decisions as audit-log entries: one row per decision, about the message (and outbox item) it
 * concerns, so `passerelle policy explain <message-id>` and the admin API can show why. Pure: the caller
 * writes the entry with `audit()` (`store/audit.ts`) in the transaction that acts on the decision.
 */

/** Anything the policy decides. */
export type AuditableDecision = PolicyDecision | ScopeDecision | InboundSignal;

/** The ids the decision is about; never message content. */
export interface AuditSubject {
  messageId?: string | null;
  personId?: string | null;
  outboxId?: string | null;
}

/** Audit actions the policy writes: `policy.<action>` for outbound, `policy.scope`, `policy.<kind>` inbound. */
export function auditAction(d: AuditableDecision): string {
  if ('scope' in d) return 'policy.scope';
  if ('kind' in d) return `policy.${d.kind}`;
  return `policy.${d.action}`;
}

/**
 * The entry for `audit(db, entry)`: `action` `policy.allow|transform|hold|refuse|scope|opt_out|opt_in|
 * escalate|none`, `reasonCode` the decision's reason, `detail` `{ explanation, rule, data }`. A
 * transformed message's new content is named (template and language), its parameters left out:
 * they may carry personal data.
 */
export function toAuditEntry(decision: AuditableDecision, subject: AuditSubject): AuditEntry {
  const data = { ...decision.data };
  if ('action' in decision && decision.content?.type === 'template') {
    data.sentAs = { template: decision.content.name, language: decision.content.language };
  }
  return {
    actor: 'policy',
    action: auditAction(decision),
    personId: subject.personId ?? null,
    messageId: subject.messageId ?? null,
    outboxId: subject.outboxId ?? null,
    reasonCode: decision.reason,
    detail: { explanation: decision.explanation, rule: decision.rule, data },
  };
}
