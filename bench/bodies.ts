import { createHmac } from 'node:crypto';
import { BENCH_SECRETS } from './constants.ts';

/**
 * Who sends what in one load phase. Message `i` comes from sender `i % senderPool`; a pool at least
 * as large as `count` gives every message its own sender (needed to pair a reply with its message).
 * Both the load generator and the sandbox child derive identities from this spec alone, so the sandbox
 * can learn the users and message ids without receiving them one by one.
 */
export interface TrafficSpec {
  /** Unique per phase, so message ids and senders never repeat across phases of a run. */
  tag: string;
  count: number;
  /** First sender number (a sender is `senderBase + k`). */
  senderBase: number;
  senderPool: number;
}

let nextSender = 1_000_000;

/**
 * The traffic of a new phase: `count` messages from `senderPool` senders (default: one per message)
 * that no other phase of this process uses, and a tag that makes its message ids unique.
 */
export function newTraffic(tag: string, count: number, senderPool = count): TrafficSpec {
  const spec = { tag: `${tag}.${Date.now().toString(36)}`, count, senderBase: nextSender, senderPool };
  nextSender += senderPool;
  return spec;
}

/** The sender and message id of message `i` of a phase. */
export interface MessageIdentity {
  /** Digits only, as Meta sends `from` and `wa_id`. */
  from: string;
  /** A `wamid.` id unique to the phase and index. */
  id: string;
  name: string;
}

/** One pre-signed webhook POST. */
export interface SignedBody {
  body: Buffer;
  /** `X-Hub-Signature-256` header value. */
  signature: string;
}

/** Questions from the sample knowledge base, so Passerelle's assistant answers with plain text. */
const QUESTIONS = [
  'What are your opening hours? ☀',
  'Where is the shop? 🚲',
  'How long does delivery take?',
  'What is your return policy? Merci beaucoup, très gentil',
];

const NAMES = ['Chloé Martin', 'Sheena Nelson', 'Jürgen Weiß', 'Ana Muñoz', 'Kwame Mensah'];

/** Sender number `k` of a phase: 12 digits, country code 33. */
export function senderNumber(spec: TrafficSpec, k: number): string {
  return '33' + String(spec.senderBase + k).padStart(10, '0');
}

/** Identity of message `i` of the phase `spec`. */
export function identity(spec: TrafficSpec, i: number): MessageIdentity {
  const k = i % spec.senderPool;
  return {
    from: senderNumber(spec, k),
    id: 'wamid.' + Buffer.from(`BENCH.${spec.tag}.${i}`).toString('base64'),
    name: `${NAMES[k % NAMES.length]!} ${k}`,
  };
}

/** Meta signs the escaped-unicode form (spec §1.2): every UTF-16 unit above `~` becomes `\uxxxx`. */
function escapeNonAscii(json: string): string {
  return json.replace(/[^\0-~]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A JSON string literal with non-ASCII escaped the way Meta signs it. */
function jsonString(v: string): string {
  return escapeNonAscii(JSON.stringify(v));
}

const ESCAPED_QUESTIONS = QUESTIONS.map(jsonString);
const HEAD =
  `{"object":"whatsapp_business_account","entry":[{"id":${jsonString(BENCH_SECRETS.wabaId)},"changes":[{"value":` +
  `{"messaging_product":"whatsapp","metadata":{"display_phone_number":${jsonString(BENCH_SECRETS.displayPhoneNumber)},` +
  `"phone_number_id":${jsonString(BENCH_SECRETS.phoneNumberId)}},"contacts":[{"profile":{"name":`;
const TAIL = '}}]},"field":"messages"}]}]}';

/**
 * The exact bytes Meta would POST for a text message (the shape of
 * `shared/data/whatsapp-webhooks/01-text.json`), non-ASCII escaped as `\uxxxx`, with its signature.
 * Built by concatenation from pre-escaped pieces: it runs hundreds of thousands of times per run.
 */
export function textWebhook(spec: TrafficSpec, i: number, unixSeconds: number): SignedBody {
  const who = identity(spec, i);
  const from = JSON.stringify(who.from);
  const json =
    HEAD +
    jsonString(who.name) +
    `},"wa_id":${from}}],"messages":[{"from":${from},"id":${JSON.stringify(who.id)},` +
    `"timestamp":"${unixSeconds}","type":"text","text":{"body":${ESCAPED_QUESTIONS[i % QUESTIONS.length]!}` +
    TAIL;
  const body = Buffer.from(json, 'utf8');
  const signature = 'sha256=' + createHmac('sha256', BENCH_SECRETS.appSecret).update(body).digest('hex');
  return { body, signature };
}

/** Pre-generates and signs every body of a phase, before any timing starts. */
export function signedBodies(spec: TrafficSpec): SignedBody[] {
  const ts = Math.floor(Date.now() / 1000);
  const out: SignedBody[] = new Array<SignedBody>(spec.count);
  for (let i = 0; i < spec.count; i++) out[i] = textWebhook(spec, i, ts);
  return out;
}
