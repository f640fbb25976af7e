import { randomFillSync } from 'node:crypto';

/** A string that the type system keeps apart from other strings of another meaning. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

export type PersonId = Brand<string, 'PersonId'>;
export type ContactId = Brand<string, 'ContactId'>;
export type ConversationId = Brand<string, 'ConversationId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type OutboxId = Brand<string, 'OutboxId'>;

let lastMs = 0;
let seq = 0;

/**
 * Random bytes for ids, drawn from the OS CSPRNG 4 KB at a time: one `randomFillSync` per 512 ids
 * instead of one `randomBytes` call (and buffer) per id. Each byte is used once.
 */
const POOL = Buffer.allocUnsafe(4096);
let poolAt = POOL.length;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function random8(out: Uint8Array, at: number): void {
  if (poolAt + 8 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  for (let i = 0; i < 8; i++) out[at + i] = POOL[poolAt++]!;
}

const bytes = new Uint8Array(16);

/**
 * A UUIDv7-shaped id: time-ordered (so ids sort by creation, which keeps indexes compact and history
 * readable) and random enough to be unguessable. Within one millisecond a counter keeps them monotonic.
 */
export function newId<T extends string = string>(): T {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    seq++;
  } else {
    lastMs = ms;
    seq = 0;
  }
  const b = bytes;
  // 48-bit big-endian milliseconds.
  const hi = Math.floor(ms / 2 ** 32);
  const lo = ms >>> 0;
  b[0] = (hi >>> 8) & 0xff;
  b[1] = hi & 0xff;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  // 12 bits of sequence in rand_a keep ids monotonic inside one millisecond.
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  random8(b, 8);
  b[8] = (b[8]! & 0x3f) | 0x80;
  let h = '';
  for (let i = 0; i < 16; i++) {
    h += HEX[b[i]!]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) h += '-';
  }
  return h as T;
}
