import { describe, expect, it } from 'vitest';
import { ChatExportError, parseWhatsAppChat } from '../../src/identity/whatsapp-chat.ts';
import type { ChatLine, ParseOptions } from '../../src/identity/whatsapp-chat.ts';

// The rules behind the fixtures, one behaviour per test, on small inline exports.

const LRM = '\u200E';

const only = (text: string, opts?: ParseOptions): ChatLine => {
  const chat = parseWhatsAppChat(text, opts);
  expect(chat.messages).toHaveLength(1);
  return chat.messages[0]!;
};
const iso = (ms: number): string => new Date(ms).toISOString();

/** The error `parseWhatsAppChat` throws for `text`. */
const failure = (text: string, opts?: ParseOptions): ChatExportError => {
  try {
    parseWhatsAppChat(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ChatExportError);
    return err as ChatExportError;
  }
  throw new Error('expected a ChatExportError');
};

describe('date order', () => {
  const order = (text: string, opts?: ParseOptions) => parseWhatsAppChat(text, opts).dateOrder;

  it('is dmy when a first number anywhere is over 12', () => {
    expect(order('01/02/2024, 10:00 - A: x\n13/02/2024, 10:00 - A: y')).toBe('dmy');
  });

  it('is mdy when a second number anywhere is over 12', () => {
    expect(order('01/02/2024, 10:00 - A: x\n02/13/2024, 10:00 - A: y')).toBe('mdy');
  });

  it('is ymd when the first number has four digits', () => {
    const chat = parseWhatsAppChat('2021-12-31, 23:59 - A: x\n2022-01-01 00:00 - A: y');
    expect(chat.dateOrder).toBe('ymd');
    expect(chat.messages.map((m) => iso(m.at))).toEqual([
      '2021-12-31T23:59:00.000Z',
      '2022-01-01T00:00:00.000Z',
    ]);
  });

  it('looks at the whole file, not just the first line', () => {
    const lines = Array.from(
      { length: 50 },
      (_, i) => `01/02/2024, 10:${String(i).padStart(2, '0')} - A: ${i}`,
    );
    expect(order([...lines, '28/02/2024, 10:00 - A: last'].join('\n'))).toBe('dmy');
  });

  it('follows the caller when every number could be a day or a month', () => {
    const text = '01/02/2024, 10:00 - A: x';
    expect(order(text, { dateOrder: 'mdy' })).toBe('mdy');
    expect(iso(only(text, { dateOrder: 'mdy' }).at)).toBe('2024-01-02T10:00:00.000Z');
    expect(iso(only(text, { dateOrder: 'dmy' }).at)).toBe('2024-02-01T10:00:00.000Z');
  });

  it('trusts the file over the caller when the file can tell', () => {
    expect(order('13/02/2024, 10:00 - A: x', { dateOrder: 'mdy' })).toBe('dmy');
  });

  it('reads dotted dates as dmy by convention, even with a 12-hour clock', () => {
    expect(order('01.02.24, 10:00 AM - A: x')).toBe('dmy');
  });

  it('reads a 12-hour clock as the US convention, mdy', () => {
    expect(order('01/02/24, 10:00 AM - A: x')).toBe('mdy');
  });

  it('falls back to dmy', () => {
    expect(order('01/02/24, 10:00 - A: x')).toBe('dmy');
  });

  it('reads two-digit years as 20xx', () => {
    expect(iso(only('31/12/99, 23:59 - A: x').at)).toBe('2099-12-31T23:59:00.000Z');
  });
});

describe('time zones', () => {
  it('reads wall times as UTC by default', () => {
    expect(iso(only('[31/12/2021, 23:59:59] A: x').at)).toBe('2021-12-31T23:59:59.000Z');
  });

  it('converts wall times in the given zone', () => {
    expect(iso(only('[31/12/2021, 23:59:59] A: x', { timeZone: 'Asia/Kolkata' }).at)).toBe(
      '2021-12-31T18:29:59.000Z',
    );
  });

  it('reads a time skipped by a spring-forward as if the clock had not jumped yet', () => {
    // Paris, 28 March 2021: 02:00 CET became 03:00 CEST; 02:30 never happened on the wall.
    const at = only('28/03/2021, 02:30 - A: x', { timeZone: 'Europe/Paris' }).at;
    expect(iso(at)).toBe('2021-03-28T01:30:00.000Z'); // = 03:30 CEST
  });

  it('reads a repeated time as its first pass, unless that would go back before the previous message', () => {
    // Paris, 31 October 2021: 03:00 CEST became 02:00 CET; 02:00–02:59 happened twice.
    const chat = parseWhatsAppChat(
      [
        '31/10/2021, 02:10 - A: first pass (CEST)',
        '31/10/2021, 02:50 - A: still CEST',
        '31/10/2021, 02:05 - A: second pass (CET)',
        '31/10/2021, 02:30 - A: still CET',
        '31/10/2021, 03:00 - A: after',
      ].join('\n'),
      { timeZone: 'Europe/Paris' },
    );
    expect(chat.messages.map((m) => iso(m.at))).toEqual([
      '2021-10-31T00:10:00.000Z',
      '2021-10-31T00:50:00.000Z',
      '2021-10-31T01:05:00.000Z',
      '2021-10-31T01:30:00.000Z',
      '2021-10-31T02:00:00.000Z',
    ]);
  });

  it('handles zones whose daylight saving moves the clock by 30 minutes', () => {
    // Lord Howe Island: 02:00 +10:30 became 02:30 +11 on 6 October 2024.
    const chat = parseWhatsAppChat('06/10/2024, 01:59 - A: x\n06/10/2024, 02:30 - A: y', {
      timeZone: 'Australia/Lord_Howe',
    });
    expect(chat.messages.map((m) => iso(m.at))).toEqual([
      '2024-10-05T15:29:00.000Z',
      '2024-10-05T15:30:00.000Z',
    ]);
  });

  it('rejects a zone Intl does not know', () => {
    const err = failure('31/12/2021, 23:59 - A: x', { timeZone: 'Mars/Olympus_Mons' });
    expect(err.code).toBe('invalid_time_zone');
    expect(err.message).toContain('Mars/Olympus_Mons');
  });
});

describe('lines and messages', () => {
  it('continues a message on every line that does not start with a header, blank lines included', () => {
    const chat = parseWhatsAppChat(
      '31/12/2021, 23:59 - A: one\n\ntwo\n\n\nthree\n01/01/2022, 00:00 - B: next\n',
    );
    expect(chat.messages.map((m) => [m.line, m.text])).toEqual([
      [1, 'one\n\ntwo\n\n\nthree'],
      [7, 'next'],
    ]);
  });

  it('trims only the final newline of the file', () => {
    expect(only('31/12/2021, 23:59 - A: one\n\n').text).toBe('one\n');
    expect(only('31/12/2021, 23:59 - A: one\r\n').text).toBe('one');
  });

  it('reads CRLF files and strips a byte-order mark', () => {
    const chat = parseWhatsAppChat('\uFEFF31/12/2021, 23:59 - A: one\r\ntwo\r\n01/01/2022, 00:00 - B: x\r\n');
    expect(chat.messages.map((m) => m.text)).toEqual(['one\ntwo', 'x']);
  });

  it('keeps a line that looks like a header of another layout as text (a pasted message)', () => {
    const text =
      '[31/12/2021, 23:59:59] A: look what I got:\n31/12/2021, 23:58 - B: hello\n[01/01/2022, 00:00:01] B: ok';
    expect(parseWhatsAppChat(text).messages.map((m) => m.text)).toEqual([
      'look what I got:\n31/12/2021, 23:58 - B: hello',
      'ok',
    ]);
  });

  it('splits the author at the first ": " and keeps later colons in the text', () => {
    expect(only('31/12/2021, 23:59 - A: note: 10:30 works').text).toBe('note: 10:30 works');
  });

  it('keeps an empty message', () => {
    expect(only('31/12/2021, 23:59 - A: ')).toMatchObject({ author: 'A', text: '', system: false });
  });

  it('reads an Android line without "Name: " as a system line', () => {
    expect(only('31/12/2021, 23:59 - Alice changed the group description')).toMatchObject({
      author: null,
      system: true,
      text: 'Alice changed the group description',
    });
  });

  it('reads a known notice as a system line even when it contains ": "', () => {
    const notice = 'Your security code with Bob: the builder changed. Tap to learn more.';
    expect(only(`31/12/2021, 23:59 - ${notice}`)).toMatchObject({ author: null, system: true, text: notice });
  });

  it('reads an iOS notice (chat name as author, U+200E before the text) as a system line', () => {
    expect(
      only(`${LRM}[31/12/2021, 23:59:59] Acme: ${LRM}Disappearing messages were turned off.`),
    ).toMatchObject({
      author: null,
      system: true,
      text: 'Disappearing messages were turned off.',
    });
  });

  it('keeps other U+200E-marked iOS lines (calls) with their author', () => {
    expect(only(`${LRM}[31/12/2021, 23:59:59] Bob: ${LRM}Missed voice call`)).toMatchObject({
      author: 'Bob',
      system: false,
      text: 'Missed voice call',
    });
  });

  it('does not take a user message about encryption for a notice', () => {
    expect(only('[31/12/2021, 23:59:59] Bob: is this end-to-end encrypted?')).toMatchObject({
      author: 'Bob',
      system: false,
    });
  });

  it('strips every bidi mark from authors', () => {
    const chat = parseWhatsAppChat(`[31/12/2021, 23:59:59] \u202A+33\u00A06\u00A012\u202C\u2069: x`);
    expect(chat.authors).toEqual(['+33\u00A06\u00A012']);
  });

  it('accepts 12-hour clocks as AM, a.m., p. m. with any of the spaces WhatsApp uses', () => {
    const times = [
      '11:59 PM',
      '11:59\u202FPM',
      '11:59 p.m.',
      '11:59 p. m.',
      '11:59\u202Fp.\u00A0m.',
      '11:59 pm',
    ];
    for (const time of times) {
      expect(iso(only(`31/12/21, ${time} - A: x`).at), time).toBe('2021-12-31T23:59:00.000Z');
    }
    expect(iso(only('31/12/21, 12:05 a. m. - A: x').at)).toBe('2021-12-31T00:05:00.000Z');
    expect(iso(only('31/12/21, 12:05 PM - A: x').at)).toBe('2021-12-31T12:05:00.000Z');
  });
});

describe('media placeholders', () => {
  const media = (body: string, header = '31/12/2021, 23:59 - A: ') => only(header + body);

  it.each([
    ['<Media omitted>'],
    ['<Médias omis>'],
    ['<Multimedia omitido>'],
    ['<Mídia oculta>'],
    ['<Medien ausgeschlossen>'],
    ['<Media omessi>'],
  ])('reads Android %s as media of unknown kind', (body) => {
    expect(media(body)).toMatchObject({ text: '', media: { kind: 'media' } });
  });

  it('keeps the lines after an Android placeholder as its caption', () => {
    expect(media('<Media omitted>\nour flat\nfloor 2')).toMatchObject({
      text: 'our flat\nfloor 2',
      media: { kind: 'media' },
    });
  });

  it.each([
    ['IMG-20211231-WA0001.jpg (file attached)', 'image', 'IMG-20211231-WA0001.jpg'],
    ['VID-20211231-WA0002.mp4 (fichier joint)', 'video', 'VID-20211231-WA0002.mp4'],
    ['PTT-20211231-WA0003.opus (archivo adjunto)', 'audio', 'PTT-20211231-WA0003.opus'],
    ['STK-20211231-WA0004.webp (arquivo anexado)', 'sticker', 'STK-20211231-WA0004.webp'],
    ['Rechnung.pdf (Datei angehängt)', 'document', 'Rechnung.pdf'],
    ['Jane Doe.vcf (file attached)', 'contact', 'Jane Doe.vcf'],
  ])('reads Android %s', (body, kind, filename) => {
    expect(media(body)).toMatchObject({ text: '', media: { kind, filename } });
  });

  it.each([
    ['image omitted', 'image'],
    ['video omitted', 'video'],
    ['audio omitted', 'audio'],
    ['sticker omitted', 'sticker'],
    ['GIF omitted', 'gif'],
    ['document omitted', 'document'],
    ['Contact card omitted', 'contact'],
    ['image absente', 'image'],
    ['imagen omitida', 'image'],
    ['imagem ocultada', 'image'],
    ['Bild weggelassen', 'image'],
    ['<image omitted>', 'image'], // iOS before 2017
  ])('reads iOS %s', (body, kind) => {
    expect(media(`${LRM}${body}`, '[31/12/2021, 23:59:59] A: ')).toMatchObject({ text: '', media: { kind } });
  });

  it.each([
    ['00000012-PHOTO-2021-12-31-23-59-59.jpg', 'image'],
    ['00000013-VIDEO-2021-12-31-23-59-59.mp4', 'video'],
    ['00000014-AUDIO-2021-12-31-23-59-59.opus', 'audio'],
    ['00000015-STICKER-2021-12-31-23-59-59.webp', 'sticker'],
    ['00000016-Notes.txt', 'document'],
  ])('reads iOS <attached: %s>', (filename, kind) => {
    expect(media(`${LRM}<attached: ${filename}>`, '[31/12/2021, 23:59:59] A: ')).toMatchObject({
      text: '',
      media: { kind, filename },
    });
  });

  it('does not take a sentence ending in a placeholder phrase for media', () => {
    expect(media('the image omitted from the slides').media).toBeUndefined();
  });

  it('reads a shared location and keeps its URL in the text', () => {
    expect(media('location: https://maps.google.com/?q=48.8584,2.2945')).toMatchObject({
      text: 'location: https://maps.google.com/?q=48.8584,2.2945',
      media: { kind: 'location' },
    });
  });
});

describe('edited and deleted markers', () => {
  it.each([
    ['<This message was edited>'],
    [`${LRM}<This message was edited>`],
    ['<Ce message a été modifié>'],
    ['<Se editó este mensaje.>'],
    ['<Mensagem editada>'],
    ['<Diese Nachricht wurde bearbeitet.>'],
  ])('removes %s from the text and marks the message edited', (marker) => {
    expect(only(`31/12/2021, 23:59 - A: see you at 8\nnot 7 ${marker}`)).toMatchObject({
      text: 'see you at 8\nnot 7',
      edited: true,
    });
  });

  it.each([
    ['This message was deleted'],
    ['You deleted this message'],
    [`${LRM}This message was deleted.`],
    ['Ce message a été supprimé'],
    ['Vous avez supprimé ce message'],
    ['Se eliminó este mensaje'],
    ['Eliminaste este mensaje'],
    ['Mensagem apagada'],
    ['Você apagou esta mensagem'],
    ['Diese Nachricht wurde gelöscht.'],
    ['Du hast diese Nachricht gelöscht.'],
  ])('marks "%s" deleted, with no text', (notice) => {
    const message = only(`31/12/2021, 23:59 - A: ${notice}`);
    expect(message).toMatchObject({ author: 'A', text: '', deleted: true, system: false });
    expect(message.media).toBeUndefined();
  });

  it('does not mark a message that only mentions deletion', () => {
    expect(only('31/12/2021, 23:59 - A: This message was deleted by mistake?').deleted).toBeUndefined();
  });
});

describe('long input', () => {
  it('stays fast on long lines built to make patterns backtrack', () => {
    const long = ' '.repeat(200_000);
    const bodies = [
      `${long}x>`,
      `<attached: ${long}x`,
      `${'a '.repeat(100_000)}b`,
      `${long}: https://maps.google.com/?q=1`,
    ];
    const started = performance.now();
    for (const body of bodies) {
      expect(only(`31/12/2021, 23:59 - A: ${body}\n${body}`).text).toBe(`${body}\n${body}`);
      expect(only(`[31/12/2021, 23:59:59] A: ${LRM}${body}`).author).toBe('A');
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('errors', () => {
  it('rejects an empty file', () => {
    expect(failure('').code).toBe('empty');
    expect(failure('\uFEFF \n\r\n\t').code).toBe('empty');
  });

  it('rejects binary data, naming the line', () => {
    const err = failure('31/12/2021, 23:59 - A: x\nPK\u0003\u0004\u0000\u0000');
    expect(err).toMatchObject({ code: 'binary', line: 2 });
    expect(err.message).toMatch(/^line 2: /);
  });

  it('rejects text that is not an export, naming line 1', () => {
    const err = failure('Dear Sir,\n31/12/2021, 23:59 - A: x');
    expect(err).toMatchObject({ code: 'not_a_chat', line: 1 });
    expect(err.message).toContain('does not look like a WhatsApp chat export');
  });

  it('rejects a file starting with a blank line', () => {
    expect(failure('\n31/12/2021, 23:59 - A: x')).toMatchObject({ code: 'not_a_chat', line: 1 });
  });

  it('rejects random bytes decoded as text', () => {
    let seed = 7;
    const bytes = Buffer.from(
      Array.from({ length: 512 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256).filter(
        (b) => b > 0,
      ),
    );
    expect(failure(bytes.toString('utf8')).code).toBe('not_a_chat');
  });

  it('rejects an impossible date, naming its line', () => {
    const err = failure('28/02/2021, 10:00 - A: x\nok\n31/02/2021, 10:00 - A: y');
    expect(err).toMatchObject({ code: 'invalid_date', line: 3 });
    expect(err.message).toContain('31/02/2021');
  });

  it('knows leap years', () => {
    expect(iso(only('29/02/2024, 10:00 - A: x').at)).toBe('2024-02-29T10:00:00.000Z');
    expect(failure('29/02/2023, 10:00 - A: x')).toMatchObject({ code: 'invalid_date', line: 1 });
  });

  it('rejects a file whose dates fit no single order', () => {
    // 13/01 needs dmy, 01/13 needs mdy: the second one is impossible.
    expect(failure('13/01/2021, 10:00 - A: x\n01/13/2021, 10:00 - A: y')).toMatchObject({
      code: 'invalid_date',
      line: 2,
    });
  });

  it('rejects an impossible time, naming its line', () => {
    expect(failure('31/12/2021, 10:00 - A: x\n31/12/2021, 24:00 - A: y')).toMatchObject({
      code: 'invalid_date',
      line: 2,
    });
    expect(failure('12/31/21, 13:00 PM - A: x')).toMatchObject({ code: 'invalid_date', line: 1 });
    expect(failure('[31/12/2021, 10:00:60] A: x')).toMatchObject({ code: 'invalid_date', line: 1 });
  });

  it('rejects a date order that is not dmy, mdy or ymd', () => {
    const opts = { dateOrder: 'ydm' } as unknown as ParseOptions;
    expect(failure('31/12/2021, 10:00 - A: x', opts).code).toBe('invalid_option');
  });
});
