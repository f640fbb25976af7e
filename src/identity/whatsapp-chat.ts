/**
 * Parser for the text file WhatsApp's own "Export chat" writes (Android and iOS, "Without media" or
 * with media), so a user leaving a WhatsApp assistant can bring their history into Passerelle.
 *
 * Pure: text in, messages out. The import into the store lives elsewhere.
 *
 * The format is undocumented and follows the phone's locale. Supported:
 * - Android: `31/12/2021, 23:59 - Name: text` (en-GB, pt), `31/12/2021 23:59 - …` (fr),
 *   `12/31/21, 11:59 PM - …` (en-US), `31.12.21, 23:59 - …` (de), `2021-12-31, 23:59 - …` (ymd);
 *   12-hour clocks as `PM`, `pm`, `p.m.`, `p. m.`, after a space, U+00A0 or U+202F; notices have
 *   no `Name:`.
 * - iOS: the same in brackets with seconds, `[31/12/2021, 23:59:59] Name: text`,
 *   `[31/12/2021 23:59:59] …` (fr); WhatsApp's notices carry the chat's name as author and start
 *   with U+200E, as do its placeholders.
 * - `-` between the parts of a date, `.` between hours and minutes, CRLF, a UTF-8 byte-order mark.
 * Not supported: month names (`31 déc. 2021`), words between date and time (`klo`, `à`), spaces
 * inside dates (`31. 12. 21`), non-Latin digits, year-first dates with a two-digit year
 * (`21-12-31`), the older iOS layout without brackets (`7/1/16, 4:56:55 PM: Name: …`).
 */
import {
  readContent,
  isKnownNotice,
  isMarkedNotice,
  stripBidi,
  stripLeadingMarks,
} from './whatsapp-chat-content.ts';
import type { ChatMediaKind } from './whatsapp-chat-content.ts';
import { UnknownTimeZoneError, zoneClock } from './whatsapp-chat-time.ts';
import type { WallTime, ZoneClock } from './whatsapp-chat-time.ts';

export type { ChatMediaKind } from './whatsapp-chat-content.ts';

/** One message (or WhatsApp notice) of an export. */
export interface ChatLine {
  /** Epoch milliseconds (UTC), from the local date-time in the file interpreted in `timeZone`. */
  at: number;
  /** Author as shown in the file; null for system lines ("Messages and calls are end-to-end encrypted…"). */
  author: string | null;
  /** The message text, multi-line messages joined with "\n"; for a media placeholder, its caption or '' . */
  text: string;
  /** Set when the message is a media placeholder (`<Media omitted>`, `image omitted`, `<attached: …>` …). */
  media?: { kind: ChatMediaKind; filename?: string };
  system: boolean;
  /** "<This message was edited>" and its translations (marker removed from text). */
  edited?: boolean;
  /** "This message was deleted" / "You deleted this message" and translations; the text is then ''. */
  deleted?: boolean;
  /** 1-based line number where the message starts in the file. */
  line: number;
}

/** A whole export, in file order. */
export interface ParsedChat {
  platform: 'android' | 'ios';
  dateOrder: 'dmy' | 'mdy' | 'ymd';
  /** Authors in order of first appearance (system lines excluded). */
  authors: string[];
  messages: ChatLine[];
}

/** How to read an export's dates, which carry neither time zone nor locale. */
export interface ParseOptions {
  /** IANA time zone the phone was in; default 'UTC'. Invalid zone → ChatExportError. */
  timeZone?: string;
  /** Forces the date order when the file cannot tell (all day and month numbers ≤ 12). */
  dateOrder?: 'dmy' | 'mdy' | 'ymd';
}

/** Why an export could not be read. */
export type ChatExportErrorCode =
  /** Nothing but whitespace. */
  | 'empty'
  /** NUL bytes: not a text file, or UTF-16 read as UTF-8. */
  | 'binary'
  /** The first line is not a message header. */
  | 'not_a_chat'
  /** A header with a date or time that does not exist (31/02, 25:00). */
  | 'invalid_date'
  /** `timeZone` is not an IANA zone. */
  | 'invalid_time_zone'
  /** `dateOrder` is not one of dmy, mdy, ymd. */
  | 'invalid_option';

/**
 * The export cannot be read as a whole: nothing is imported from it. Permanent for this input —
 * the user must fix the file or the options. `line` points at the offending line when there is one.
 */
export class ChatExportError extends Error {
  constructor(
    message: string,
    readonly code: ChatExportErrorCode,
    /** 1-based line number in the file. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'ChatExportError';
  }
}

type DateOrder = ParsedChat['dateOrder'];
const DATE_ORDERS: readonly DateOrder[] = ['dmy', 'mdy', 'ymd'];

/**
 * Parses the text of a WhatsApp chat export into messages. Every line of the file ends up in exactly
 * one message: a line that does not start with a header continues the message before it.
 *
 * Throws `ChatExportError` when the text is not an export (empty, binary, first line not a header),
 * when a header names an impossible date, or when an option is invalid.
 */
export function parseWhatsAppChat(text: string, opts: ParseOptions = {}): ParsedChat {
  const clock = openClock(opts.timeZone ?? 'UTC');
  if (opts.dateOrder !== undefined && !DATE_ORDERS.includes(opts.dateOrder)) {
    throw new ChatExportError(
      `dateOrder must be dmy, mdy or ymd, not "${String(opts.dateOrder)}"`,
      'invalid_option',
    );
  }
  const lines = splitLines(text);
  const drafts = groupMessages(lines);
  const first = drafts[0]!.header;
  const dateOrder = detectDateOrder(drafts, opts.dateOrder);

  const authors = new Set<string>();
  const messages: ChatLine[] = [];
  let previous: number | undefined;
  for (const draft of drafts) {
    const at = clock.toUtc(wallTime(draft, dateOrder), previous);
    previous = at;
    const message = readMessage(draft, at);
    if (message.author !== null) authors.add(message.author);
    messages.push(message);
  }
  return { platform: first.platform, dateOrder, authors: [...authors], messages };
}

function openClock(timeZone: string): ZoneClock {
  try {
    return zoneClock(timeZone);
  } catch (err) {
    if (err instanceof UnknownTimeZoneError) throw new ChatExportError(err.message, 'invalid_time_zone');
    throw err;
  }
}

/** The file's lines, without BOM and the final newline; rejects what is not a text export. */
function splitLines(text: string): string[] {
  if (typeof text !== 'string') throw new ChatExportError('expected the export as text', 'not_a_chat');
  const body = text.replace(/^\uFEFF/u, '').replace(/\r?\n$/u, '');
  if (body.trim() === '') throw new ChatExportError('the chat export is empty', 'empty');
  const lines = body.split(/\r?\n/u);
  const binary = lines.findIndex((l) => l.includes('\u0000'));
  if (binary >= 0) {
    throw new ChatExportError(
      'the file contains NUL bytes: it is binary, or not UTF-8 (a UTF-16 file must be converted first)',
      'binary',
      binary + 1,
    );
  }
  return lines;
}

// ── Headers ─────────────────────────────────────────────────────────────────────────────────────

/** The date and time a message line starts with, as written. */
interface Header {
  platform: 'android' | 'ios';
  /** Date numbers in file order, as written (their length matters: `2021` is a year). */
  date: [string, string, string];
  separator: string;
  hour: number;
  minute: number;
  second: number | undefined;
  meridiem: 'am' | 'pm' | undefined;
  /** The rest of the line after the header: `Name: text`, or a notice. */
  rest: string;
}

const SPACE = '[ \\u00A0\\u202F]';
const DATE = '(\\d{1,4})([./-])(\\d{1,2})\\2(\\d{1,4})';
// `11:59 PM`, `11:59 PM` (U+202F), `11:59 p. m.`, `11.59.59 a.m.`
const TIME = `(\\d{1,2})[:.](\\d{2})(?:[:.](\\d{2}))?(?:${SPACE}?([AaPp])\\.?${SPACE}?[Mm]\\.?)?`;
const IOS_HEADER = new RegExp(`^\\[${DATE},?${SPACE}${TIME}\\] (.*)$`, 'u');
const ANDROID_HEADER = new RegExp(`^${DATE},?${SPACE}${TIME} [-–] (.*)$`, 'u');

function readHeader(line: string): Header | undefined {
  const s = stripLeadingMarks(line); // iOS starts generated lines with U+200E
  const ios = IOS_HEADER.exec(s);
  const m = ios ?? ANDROID_HEADER.exec(s);
  if (!m) return undefined;
  const [, a, separator, b, c, hour, minute, second, meridiem, rest] = m;
  return {
    platform: ios ? 'ios' : 'android',
    date: [a!, b!, c!],
    separator: separator!,
    hour: Number(hour),
    minute: Number(minute),
    second: second === undefined ? undefined : Number(second),
    meridiem: meridiem === undefined ? undefined : meridiem.toLowerCase() === 'a' ? 'am' : 'pm',
    rest: rest!,
  };
}

/**
 * Headers of one export all share a layout; a line that looks like a header of another layout
 * (a pasted message from another chat) is text of the current message.
 */
const layoutOf = (h: Header): string =>
  [h.platform, h.separator, h.date[0].length === 4, h.meridiem !== undefined, h.second !== undefined].join();

interface Draft {
  header: Header;
  line: number;
  /** Lines after the header line. */
  more: string[];
}

function groupMessages(lines: string[]): Draft[] {
  const first = readHeader(lines[0]!);
  if (!first) {
    throw new ChatExportError(
      'does not look like a WhatsApp chat export: it should start with a date and time, as in ' +
        '"31/12/2021, 23:59 - Name: text" (Android) or "[31/12/2021, 23:59:59] Name: text" (iPhone)',
      'not_a_chat',
      1,
    );
  }
  const layout = layoutOf(first);
  const drafts: Draft[] = [{ header: first, line: 1, more: [] }];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const header = readHeader(line);
    if (header && layoutOf(header) === layout) drafts.push({ header, line: i + 1, more: [] });
    else drafts.at(-1)!.more.push(line);
  }
  return drafts;
}

// ── Dates ───────────────────────────────────────────────────────────────────────────────────────

/**
 * The order of day, month and year, from the whole file: a 4-digit first number is a year; a first
 * number over 12 is a day (dmy); a second number over 12 is a day (mdy). When every number could be
 * either: the caller's choice, else the separator's convention (`.` and `-` are dmy), else a 12-hour
 * clock suggests the US (mdy), else dmy.
 */
function detectDateOrder(drafts: Draft[], forced: DateOrder | undefined): DateOrder {
  const first = drafts[0]!.header;
  if (first.date[0].length === 4) return 'ymd';
  if (drafts.some((d) => Number(d.header.date[0]) > 12)) return 'dmy';
  if (drafts.some((d) => Number(d.header.date[1]) > 12)) return 'mdy';
  if (forced) return forced;
  if (first.separator === '.' || first.separator === '-') return 'dmy';
  if (first.meridiem) return 'mdy';
  return 'dmy';
}

function wallTime(draft: Draft, order: DateOrder): WallTime {
  const { header: h, line } = draft;
  const [a, b, c] = h.date;
  const [y, mo, d] = order === 'ymd' ? [a, b, c] : order === 'dmy' ? [c, b, a] : [c, a, b];
  const written = h.date.join(h.separator);
  const invalid = (why: string): ChatExportError =>
    new ChatExportError(`impossible date "${written}" read as ${order}: ${why}`, 'invalid_date', line);

  if (y.length !== 2 && y.length !== 4) throw invalid(`the year "${y}" has ${y.length} digits`);
  if (d.length > 2) throw invalid(`the day "${d}" has ${d.length} digits`);
  const year = y.length === 2 ? 2000 + Number(y) : Number(y); // two-digit years are 20xx
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) throw invalid(`there is no month ${month}`);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) throw invalid(`month ${month} of ${year} has ${days} days`);

  let hour = h.hour;
  if (h.meridiem) {
    if (hour > 12) throw invalid(`hour ${hour} with ${h.meridiem.toUpperCase()}`);
    hour = (hour % 12) + (h.meridiem === 'pm' ? 12 : 0);
  }
  if (hour > 23 || h.minute > 59 || (h.second ?? 0) > 59) {
    const time = [h.hour, h.minute, h.second].filter((n) => n !== undefined).join(':');
    throw new ChatExportError(`impossible time "${time}"`, 'invalid_date', line);
  }
  return { year, month, day, hour, minute: h.minute, second: h.second ?? 0 };
}

// ── Messages ────────────────────────────────────────────────────────────────────────────────────

function readMessage(draft: Draft, at: number): ChatLine {
  const { header, line, more } = draft;
  const { author, body } = splitAuthor(header);
  if (author === null) {
    const text = [stripLeadingMarks(body), ...more].join('\n');
    return { at, author: null, text, system: true, line };
  }
  const content = readContent([body, ...more].join('\n'));
  const message: ChatLine = { at, author, text: content.text, system: false, line };
  if (content.media) message.media = content.media;
  if (content.edited) message.edited = true;
  if (content.deleted) message.deleted = true;
  return message;
}

/**
 * `Name: text` → author and body; a notice → no author. Android notices have no `Name:`; iOS ones
 * carry the chat's name, so they are told by their wording.
 */
function splitAuthor(h: Header): { author: string | null; body: string } {
  const rest = h.platform === 'android' ? stripLeadingMarks(h.rest) : h.rest;
  if (h.platform === 'android' && isKnownNotice(rest)) return { author: null, body: rest };
  const colon = rest.indexOf(': ');
  const author = colon > 0 ? stripBidi(rest.slice(0, colon)).trim() : '';
  if (!author) return { author: null, body: rest };
  const body = rest.slice(colon + 2);
  if (h.platform === 'ios') {
    const marked = /^[\u200E\u200F]/u.test(body);
    if (isKnownNotice(body) || (marked && isMarkedNotice(body))) return { author: null, body };
  }
  return { author, body };
}
