import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * Meta's `wamid.` layout (decoded from the documented examples): base64 of
 * `1c 18 <len> <user digits> 15 02 00 <dir> 18 <len> <id> 00`, where `dir` is 0x11 for messages the
 * business sent and 0x12 for messages the user sent. Business ids carry 18 hex digits, user ids 20
 * (starting `3A`). Receivers must treat the id as opaque; we only mimic its look.
 */
export function newWamid(userDigits: string, direction: 'business' | 'user'): string {
  const user = Buffer.from(userDigits.replace(/\D/g, '').slice(0, 20) || '0', 'ascii');
  const hex = randomBytes(9).toString('hex').toUpperCase();
  const id = Buffer.from(direction === 'business' ? hex : `3A${hex}`, 'ascii');
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, user.length]),
    user,
    Buffer.from([0x15, 0x02, 0x00, direction === 'business' ? 0x11 : 0x12, 0x18, id.length]),
    id,
    Buffer.from([0x00]),
  ]);
  return 'wamid.' + bytes.toString('base64');
}

/** A media id as Meta returns them: 15 or 16 decimal digits. */
export function newMediaId(): string {
  return String(randomInt(1, 10)) + String(randomInt(0, 1e9)).padStart(9, '0') + randomDigits(6);
}

/** `fbtrace_id`: 23 characters of URL-safe base64, like `Az8or2yhqkZfEZ-_4Qn_Bam`. */
export function newFbtraceId(): string {
  return 'A' + randomBytes(17).toString('base64url').slice(0, 22);
}

/**
 * A business-scoped user id (spec §1.7), stable for one WABA and one phone number so a test can
 * predict it: `user.` followed by 64 hex digits, as in Meta's examples.
 */
export function bsuidFor(wabaId: string, waIdOrName: string): string {
  return 'user.' + createHash('sha256').update(`${wabaId}:${waIdOrName}`).digest('hex');
}

/** A numeric-string `hub.challenge`, as Meta sends in the verification handshake (spec §1.1). */
export function newChallenge(): string {
  return String(randomInt(1e9, 2 ** 31 - 1));
}

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(0, 10));
  return s;
}
