import { describe, expect, it } from 'vitest';
import { parseWhatsAppChat } from '../../src/identity/whatsapp-chat.ts';
import type { ChatLine, ParsedChat } from '../../src/identity/whatsapp-chat.ts';

// Property: random conversations, written the way each supported phone locale writes them, parse
// back to exactly what was written. Seeded, so a failure names a reproducible seed.

const LRM = '\u200E';
const NNBSP = '\u202F';
const NBSP = '\u00A0';

interface Layout {
  name: string;
  platform: ParsedChat['platform'];
  order: ParsedChat['dateOrder'];
  separator: '/' | '.' | '-';
  fourDigitYear: boolean;
  padDate: boolean;
  /** Text between the time and `AM`/`PM`-like markers, or undefined for a 24-hour clock. */
  meridiem?: (pm: boolean, rnd: Rng) => string;
  comma: boolean;
}

const LAYOUTS: Layout[] = [
  {
    name: 'Android en-US',
    platform: 'android',
    order: 'mdy',
    separator: '/',
    fourDigitYear: false,
    padDate: false,
    comma: true,
    meridiem: (pm, r) => r.pick([' ', NNBSP]) + (pm ? 'PM' : 'AM'),
  },
  {
    name: 'Android en-GB',
    platform: 'android',
    order: 'dmy',
    separator: '/',
    fourDigitYear: true,
    padDate: true,
    comma: true,
  },
  {
    name: 'Android fr',
    platform: 'android',
    order: 'dmy',
    separator: '/',
    fourDigitYear: true,
    padDate: true,
    comma: false,
  },
  {
    name: 'Android de',
    platform: 'android',
    order: 'dmy',
    separator: '.',
    fourDigitYear: false,
    padDate: true,
    comma: true,
  },
  {
    name: 'Android es',
    platform: 'android',
    order: 'dmy',
    separator: '/',
    fourDigitYear: false,
    padDate: false,
    comma: true,
    meridiem: (pm) => `${NNBSP}${pm ? 'p' : 'a'}.${NBSP}m.`,
  },
  {
    name: 'Android es-MX',
    platform: 'android',
    order: 'dmy',
    separator: '/',
    fourDigitYear: false,
    padDate: false,
    comma: true,
    meridiem: (pm) => ` ${pm ? 'p' : 'a'}.m.`,
  },
  {
    name: 'Android ymd',
    platform: 'android',
    order: 'ymd',
    separator: '-',
    fourDigitYear: true,
    padDate: true,
    comma: true,
  },
  {
    name: 'Android sv',
    platform: 'android',
    order: 'ymd',
    separator: '-',
    fourDigitYear: true,
    padDate: true,
    comma: false,
  },
  {
    name: 'iOS en-US',
    platform: 'ios',
    order: 'mdy',
    separator: '/',
    fourDigitYear: false,
    padDate: false,
    comma: true,
    meridiem: (pm) => NNBSP + (pm ? 'PM' : 'AM'),
  },
  {
    name: 'iOS en-GB',
    platform: 'ios',
    order: 'dmy',
    separator: '/',
    fourDigitYear: true,
    padDate: true,
    comma: true,
  },
  {
    name: 'iOS fr',
    platform: 'ios',
    order: 'dmy',
    separator: '/',
    fourDigitYear: true,
    padDate: true,
    comma: false,
  },
  {
    name: 'iOS de',
    platform: 'ios',
    order: 'dmy',
    separator: '.',
    fourDigitYear: false,
    padDate: true,
    comma: true,
  },
];

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/Sao_Paulo',
];

/** Mulberry32: small, seedable, good enough to spread test cases. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(0, list.length - 1)]!;
  }
}

const PEOPLE = [
  'Zoë Martin',
  'ChatGPT',
  'Acme Assistant',
  'José Álvarez-Núñez',
  'Li Wei 李伟',
  'Ana 🌸',
  "O'Brien",
];
const PHONE = '+33 6 12 34 56 78';
const WORDS = [
  'hello',
  'ça va ?',
  '¿qué tal?',
  '👍',
  '🇵🇹',
  'naïve',
  'deadline:',
  '10:30',
  '12/31',
  'a.m.',
  '«ok»',
];
const MORE_WORDS = [
  'Zürich',
  '日本語',
  'https://example.com/a?b=1',
  '<b>',
  'tab\there',
  '- item',
  '1.',
  '—',
  '🙂🙃',
];
const VOCABULARY = [...WORDS, ...MORE_WORDS];

const sentence = (rnd: Rng): string =>
  Array.from({ length: rnd.int(1, 8) }, () => rnd.pick(VOCABULARY)).join(' ');

/** 1–4 lines, some blank, never starting with something a parser could take for a header. */
const body = (rnd: Rng): string =>
  Array.from({ length: rnd.int(1, 4) }, (_, i) => (i > 0 && rnd.next() < 0.25 ? '' : sentence(rnd))).join(
    '\n',
  );

interface Written {
  text: string;
  expected: Omit<ChatLine, 'at' | 'line'>;
}

/** One message body as the platform writes it, and what the parser should read from it. */
function message(rnd: Rng, platform: Layout['platform'], author: string): Written {
  const ios = platform === 'ios';
  const plain = { author, system: false };
  switch (rnd.int(0, 9)) {
    case 0: {
      const text = sentence(rnd);
      const marker = ios ? ` ${LRM}<This message was edited>` : ' <This message was edited>';
      return { text: text + marker, expected: { ...plain, text, edited: true } };
    }
    case 1:
      return {
        text: ios ? `${LRM}This message was deleted.` : 'You deleted this message',
        expected: { ...plain, text: '', deleted: true },
      };
    case 2: {
      const caption = rnd.next() < 0.5 ? '' : body(rnd);
      const placeholder = ios ? `${LRM}video omitted` : '<Media omitted>';
      return {
        text: caption ? `${placeholder}\n${caption}` : placeholder,
        expected: { ...plain, text: caption, media: { kind: ios ? 'video' : 'media' } },
      };
    }
    case 3: {
      const filename = ios ? '00000042-PHOTO-2024-01-01-10-00-00.jpg' : 'IMG-20240101-WA0042.jpg';
      return {
        text: ios ? `${LRM}<attached: ${filename}>` : `${filename} (file attached)`,
        expected: { ...plain, text: '', media: { kind: 'image', filename } },
      };
    }
    default: {
      const text = body(rnd);
      return { text, expected: { ...plain, text } };
    }
  }
}

const NOTICE =
  'Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `t` in `timeZone`, read by Intl directly. */
function wallOf(t: number, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(t);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** A wall time that also names another instant (a fall-back's repeated hour) cannot round-trip. */
function ambiguous(t: number, timeZone: string): boolean {
  const key = (x: number) => JSON.stringify(wallOf(x, timeZone));
  return [-60, -30, 30, 60].some((min) => key(t + min * 60_000) === key(t));
}

function header(t: number, layout: Layout, timeZone: string, rnd: Rng): string {
  const w = wallOf(t, timeZone);
  const pad = (n: number) => (layout.padDate ? String(n).padStart(2, '0') : String(n));
  const year = layout.fourDigitYear ? String(w.year) : String(w.year % 100).padStart(2, '0');
  const date =
    layout.order === 'ymd'
      ? [year, pad(w.month), pad(w.day)]
      : layout.order === 'dmy'
        ? [pad(w.day), pad(w.month), year]
        : [pad(w.month), pad(w.day), year];
  const two = (n: number) => String(n).padStart(2, '0');
  let time: string;
  if (layout.meridiem) {
    const hour12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
    time = `${hour12}:${two(w.minute)}`;
    if (layout.platform === 'ios') time += `:${two(w.second)}`;
    time += layout.meridiem(w.hour >= 12, rnd);
  } else {
    time = `${two(w.hour)}:${two(w.minute)}`;
    if (layout.platform === 'ios') time += `:${two(w.second)}`;
  }
  const stamp = `${date.join(layout.separator)}${layout.comma ? ',' : ''} ${time}`;
  return layout.platform === 'ios' ? `[${stamp}]` : `${stamp} -`;
}

/** A random export in `layout`, and the chat the parser should read from it. */
function randomExport(seed: number, layout: Layout) {
  const rnd = new Rng(seed);
  const timeZone = rnd.pick(ZONES);
  const step = layout.platform === 'ios' ? 1000 : 60_000; // Android writes no seconds
  const start = Date.UTC(2016, 0, 1) + rnd.int(0, 10 * 365) * 86_400_000;
  const instants: number[] = [];
  let t = Math.floor(start / step) * step;
  for (let n = rnd.int(1, 25); instants.length < n;) {
    t += rnd.pick([0, 1, 7, 59, 60, 3600, 86_400, 40 * 86_400]) * step;
    if (!ambiguous(t, timeZone)) instants.push(t);
  }

  const me = rnd.pick(PEOPLE);
  const them = rnd.next() < 0.3 ? PHONE : rnd.pick(PEOPLE.filter((p) => p !== me));
  const lines: string[] = [];
  const expected: ChatLine[] = [];
  for (const at of instants) {
    const line = lines.length + 1;
    const head = header(at, layout, timeZone, rnd);
    if (rnd.next() < 0.08) {
      const notice = layout.platform === 'ios' ? `${head} ${them}: ${LRM}${NOTICE}` : `${head} ${NOTICE}`;
      lines.push(layout.platform === 'ios' ? LRM + notice : notice);
      expected.push({ at, line, author: null, text: NOTICE, system: true });
      continue;
    }
    const author = rnd.next() < 0.5 ? me : them;
    // iOS wraps phone numbers in LEFT-TO-RIGHT EMBEDDING … POP DIRECTIONAL FORMATTING.
    const shown = layout.platform === 'ios' && author === PHONE ? `\u202A${author}\u202C` : author;
    const written = message(rnd, layout.platform, author);
    const first = `${head} ${shown}: ${written.text}`;
    lines.push(
      ...(layout.platform === 'ios' && written.text.startsWith(LRM) ? LRM + first : first).split('\n'),
    );
    expected.push({ at, line, ...written.expected });
  }
  const eol = rnd.next() < 0.2 ? '\r\n' : '\n';
  return { text: lines.join(eol) + eol, timeZone, expected };
}

describe('round trip: random conversations in every supported layout parse back exactly', () => {
  for (const layout of LAYOUTS) {
    it(layout.name, () => {
      for (let i = 0; i < 60; i++) {
        const seed = (LAYOUTS.indexOf(layout) + 1) * 10_000 + i;
        const { text, timeZone, expected } = randomExport(seed, layout);
        // The caller's order only counts when the dates could be read either way.
        const chat = parseWhatsAppChat(text, { timeZone, dateOrder: layout.order });
        const context = `seed ${seed}, ${timeZone}:\n${text}`;
        expect(chat.platform, context).toBe(layout.platform);
        expect(chat.dateOrder, context).toBe(layout.order);
        expect(chat.messages, context).toEqual(expected);
        const authors = [...new Set(expected.flatMap((m) => (m.author === null ? [] : [m.author])))];
        expect(chat.authors, context).toEqual(authors);
      }
    });
  }
});
