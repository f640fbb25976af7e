import { randomBytes } from 'node:crypto';

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
  const rnd = randomBytes(10);
  const b = Buffer.alloc(16);
  b.writeUIntBE(ms, 0, 6);
  // 12 bits of sequence in rand_a keep ids monotonic inside one millisecond.
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  rnd.copy(b, 8, 0, 8);
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as T;
}
