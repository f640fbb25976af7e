/**
 * Button ids in Telegram's `callback_data`, which holds 1 to 64 bytes (Bot API,
 * InlineKeyboardButton). An id that fits travels as is. A longer one (or one starting with the
 * marker `~`) travels as a reference, `~<index>:<hash>`: the button's position in the message and a
 * hash of its id. The full id is found again from the message we sent, which the store keeps under
 * the same provider message id the callback query names. Pure.
 */
import { createHash } from 'node:crypto';
import type { MessageContent } from '../../core/content.ts';

/** Bot API: `callback_data` is 1-64 bytes. */
export const MAX_CALLBACK_DATA_BYTES = 64;
const REF_MARK = '~';
const REF_RE = /^~(\d{1,3}):([A-Za-z0-9_-]{16})$/;

/** What a callback query's `data` says: a button id, or a reference to one. */
export type CallbackData = { kind: 'id'; id: string } | { kind: 'ref'; index: number; hash: string };

/** The `callback_data` of the button at `index` (0-based, in reading order) whose id is `id`. */
export function encodeCallbackData(id: string, index: number): string {
  if (Buffer.byteLength(id, 'utf8') <= MAX_CALLBACK_DATA_BYTES && !id.startsWith(REF_MARK)) return id;
  return `${REF_MARK}${index}:${idHash(id)}`;
}

/** Reads a callback query's `data`. */
export function decodeCallbackData(data: string): CallbackData {
  const m = REF_RE.exec(data);
  return m ? { kind: 'ref', index: Number(m[1]), hash: m[2]! } : { kind: 'id', id: data };
}

/**
 * The full id a reference stands for, from the content of the message that carried the buttons;
 * `undefined` when that content has no such button (another message, or not one of ours).
 */
export function resolveCallbackRef(
  content: MessageContent,
  ref: Extract<CallbackData, { kind: 'ref' }>,
): string | undefined {
  const ids = choiceIds(content);
  const at = ids[ref.index];
  if (at !== undefined && idHash(at) === ref.hash) return at;
  // The same message may have been re-rendered with the buttons in another order: go by the hash.
  return ids.find((id) => idHash(id) === ref.hash);
}

/** The choice ids of outbound content, in the order they are laid out as buttons. */
export function choiceIds(content: MessageContent): string[] {
  if (content.type === 'buttons') return content.buttons.map((b) => b.id);
  if (content.type === 'list') return content.sections.flatMap((s) => s.rows.map((r) => r.id));
  return [];
}

/** 96 bits of SHA-256, base64url: 16 characters. */
function idHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url').slice(0, 16);
}
