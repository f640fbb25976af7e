import { z } from 'zod';

/**
 * The person export, version 1: everything Passerelle keeps about one person, as one JSON document
 * they can download and another Passerelle can import (`docs/portability.md`, "Export format").
 *
 * Choices that keep round trips exact:
 * - times are Unix milliseconds (numbers), as stored; only `exportedAt` is an ISO string, for people;
 * - ids are kept as stored, so an import can recognise rows it already has;
 * - structured columns stored as JSON text (content, meta, details) are JSON objects here;
 * - rows do not repeat the person's id: everything in the document belongs to `person`.
 *
 * Readers ignore fields they do not know (zod strips them), so version 1 may gain optional fields;
 * anything a version-1 reader would misread gets a new `version`.
 */

export const EXPORT_FORMAT = 'passerelle.person-export';
export const EXPORT_VERSION = 1;

/** Unix milliseconds. */
const Millis = z.number().int().describe('Unix time in milliseconds');
/** A JSON object (a parsed JSON column), or null when the column was empty. */
const JsonObject = z.record(z.string(), z.unknown());

/**
 * Message content (`MessageContent` in `src/core/content.ts`), validated loosely: any object with a
 * string `type`. Kinds added after this reader was written are imported as they are.
 */
export const ExportContentSchema = z.looseObject({ type: z.string().min(1) });

export const ExportPersonSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullable(),
  /** BCP 47 tag of the language the person was last answered in. */
  language: z.string().nullable(),
  createdAt: Millis,
  updatedAt: Millis,
});

/** One way to reach the person on one channel (a WhatsApp number, a Telegram chat, a web visitor). */
export const ExportContactSchema = z.object({
  id: z.string().min(1),
  channel: z.string().min(1),
  /** The address replies go to: phone number when known, else the channel's user id. */
  address: z.string().min(1),
  waId: z.string().nullable(),
  /** WhatsApp business-scoped user id (BSUID). */
  userId: z.string().nullable(),
  username: z.string().nullable(),
  countryCode: z.string().nullable(),
  displayName: z.string().nullable(),
  createdAt: Millis,
  lastSeenAt: Millis,
});

/** A conversation between one contact and one business account. */
export const ExportConversationSchema = z.object({
  id: z.string().min(1),
  contactId: z.string().min(1),
  channel: z.string().min(1),
  /** The business account (WhatsApp phone number id, Telegram bot id). */
  account: z.string(),
  lastInboundAt: Millis.nullable(),
  lastOutboundAt: Millis.nullable(),
  createdAt: Millis,
  updatedAt: Millis,
});

/** One delivery status reported by the channel for an outbound message. */
export const ExportStatusSchema = z.object({
  status: z.string().min(1),
  /** Group participant the status is for; '' in one-to-one chats. */
  participant: z.string(),
  /** The provider's time of the status. */
  timestamp: Millis,
  /** The provider's errors, pricing and conversation objects. */
  detail: JsonObject.nullable(),
  receivedAt: Millis,
});

export const ExportMessageSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string().min(1),
  contactId: z.string().min(1),
  channel: z.string().min(1),
  /** `in`: from the person; `out`: to the person (assistant or business). */
  direction: z.enum(['in', 'out']),
  providerMessageId: z.string().nullable(),
  content: ExportContentSchema,
  /** Provider id of the message this one quotes. */
  replyTo: z.string().nullable(),
  /** in: `received`; out: `queued`, `accepted`, `sent`, `delivered`, `read`, `played`, `failed`… */
  status: z.string().min(1),
  statusAt: Millis,
  errorCode: z.string().nullable(),
  errorDetails: z.string().nullable(),
  /** Provider timestamp (inbound) or creation time (outbound). */
  sentAt: Millis,
  createdAt: Millis,
  /** Assistant sources, intent, coalescing, policy decision… */
  meta: JsonObject.nullable(),
  /** Every status event of an outbound message, in time order; empty for inbound messages. */
  statusHistory: z.array(ExportStatusSchema),
});

/** A consent change (the latest per channel is what counts). */
export const ExportConsentSchema = z.object({
  id: z.string().min(1),
  channel: z.string().min(1),
  kind: z.enum(['opt_in', 'opt_out']),
  /** Where it came from: `keyword:STOP`, `api`, `import`… */
  source: z.string(),
  createdAt: Millis,
});

/** One audit-log entry about the person or one of their messages: what was decided, and why. */
export const ExportDecisionSchema = z.object({
  id: z.string().min(1),
  at: Millis,
  actor: z.string(),
  action: z.string().min(1),
  messageId: z.string().nullable(),
  outboxId: z.string().nullable(),
  reasonCode: z.string().nullable(),
  detail: JsonObject.nullable(),
});

/** Token usage of one LLM call made while answering the person. */
export const ExportLlmUsageSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string().min(1),
  provider: z.string(),
  model: z.string(),
  inputTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  latencyMs: z.number(),
  outcome: z.string(),
  createdAt: Millis,
});

/** The whole document. See `docs/portability.md` for each field. */
export const PersonExportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  /** When the export was made (ISO 8601, UTC). */
  exportedAt: z.iso.datetime(),
  /** Where it was made: `instance` is the exporting gateway's public URL or name, when known. */
  source: z.object({ instance: z.string().optional() }),
  person: ExportPersonSchema,
  contacts: z.array(ExportContactSchema),
  conversations: z.array(ExportConversationSchema),
  /** One history across channels: by `sentAt`, then `createdAt`, then `id`. */
  messages: z.array(ExportMessageSchema),
  consents: z.array(ExportConsentSchema),
  decisions: z.array(ExportDecisionSchema),
  llmUsage: z.array(ExportLlmUsageSchema),
});

export type PersonExport = z.infer<typeof PersonExportSchema>;
export type ExportContent = z.infer<typeof ExportContentSchema>;
export type ExportPerson = z.infer<typeof ExportPersonSchema>;
export type ExportContact = z.infer<typeof ExportContactSchema>;
export type ExportConversation = z.infer<typeof ExportConversationSchema>;
export type ExportMessage = z.infer<typeof ExportMessageSchema>;
export type ExportStatus = z.infer<typeof ExportStatusSchema>;
export type ExportConsent = z.infer<typeof ExportConsentSchema>;
export type ExportDecision = z.infer<typeof ExportDecisionSchema>;
export type ExportLlmUsage = z.infer<typeof ExportLlmUsageSchema>;

/** Why a document is not an importable export. */
export type ExportParseResult =
  | { ok: true; value: PersonExport }
  /** `format`: not a person export at all; `version`: a version this reader does not know. */
  | { ok: false; reason: 'format' | 'version' | 'invalid'; problems: string[] };

/**
 * Reads a parsed JSON document as a person export. Tells "not an export" and "an export of a version
 * this code does not read" apart from a damaged one, so an importer can say which.
 */
export function parsePersonExport(doc: unknown): ExportParseResult {
  const head = z.object({ format: z.unknown(), version: z.unknown() }).safeParse(doc);
  if (!head.success || head.data.format !== EXPORT_FORMAT)
    return { ok: false, reason: 'format', problems: [`format: expected "${EXPORT_FORMAT}"`] };
  if (head.data.version !== EXPORT_VERSION)
    return {
      ok: false,
      reason: 'version',
      problems: [
        `version: ${JSON.stringify(head.data.version)} is not supported (expected ${EXPORT_VERSION})`,
      ],
    };
  const r = PersonExportSchema.safeParse(doc);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    reason: 'invalid',
    problems: r.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`),
  };
}
