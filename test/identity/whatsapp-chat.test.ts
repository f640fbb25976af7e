import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWhatsAppChat } from '../../src/identity/whatsapp-chat.ts';
import type { ChatLine, ParsedChat } from '../../src/identity/whatsapp-chat.ts';

// Every fixture is parsed whole and compared message by message: line, instant (UTC), author,
// text and markers. A `null` author is a system line.

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/whatsapp-chat/${name}`, import.meta.url), 'utf8');

type Row = [line: number, at: string, author: string | null, text: string, extra?: Partial<ChatLine>];

const rows = (list: Row[]): ChatLine[] =>
  list.map(([line, at, author, text, extra]) => ({
    at: Date.parse(at),
    author,
    text,
    system: author === null,
    line,
    ...extra,
  }));

const parse = (name: string, timeZone: string): ParsedChat => parseWhatsAppChat(fixture(name), { timeZone });

const EDITED = { edited: true };
const DELETED = { deleted: true };

describe('android-en-us.txt: 12-hour clock, month first, a phone number as author', () => {
  const chat = parse('android-en-us.txt', 'America/New_York');
  const bot = '+1 (800) 242-8478';

  it('is read as Android, mdy, with both authors in order of appearance', () => {
    expect(chat.platform).toBe('android');
    expect(chat.dateOrder).toBe('mdy');
    expect(chat.authors).toEqual(['Jordan Miller', bot]);
  });

  it('has every message, in New York time converted to UTC', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2023-12-31T02:14:00Z',
          null,
          'Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.',
        ],
        [
          2,
          '2023-12-31T02:14:00Z',
          null,
          'This business uses a secure service from Meta to manage this chat. Tap to learn more.',
        ],
        [3, '2023-12-31T02:15:00Z', 'Jordan Miller', 'Hi! Can you help me plan a long weekend in Lisbon? 🇵🇹'],
        [
          4,
          '2023-12-31T02:15:00Z',
          bot,
          "Of course! Here's a simple plan:\n\nDay 1: Alfama, the castle and a fado show 🎶\nDay 2: Belém and pastéis de nata\nDay 3: a day trip to Sintra 🚆",
        ],
        [9, '2023-12-31T02:17:00Z', 'Jordan Miller', '', { media: { kind: 'media' } }],
        [10, '2023-12-31T02:17:00Z', 'Jordan Miller', "That's my hotel. Is it close to Alfama?"],
        [11, '2023-12-31T02:18:00Z', bot, 'Yes, about a 10-minute walk 🚶'],
        [12, '2023-12-31T02:20:00Z', 'Jordan Miller', 'Any restaurants near Time Out Market?', EDITED],
        [13, '2023-12-31T02:21:00Z', 'Jordan Miller', '', DELETED],
        [14, '2023-12-31T02:22:00Z', bot, 'Try these:\n- Cervejaria Ramiro 🦐\n- Taberna da Rua das Flores'],
        [17, '2024-01-01T04:59:00Z', 'Jordan Miller', 'Happy new year!! 🎆'],
        [18, '2024-01-01T05:01:00Z', bot, 'Happy New Year, Jordan! 🎉 Have a wonderful trip.'],
        [
          19,
          '2024-01-01T05:02:00Z',
          'Jordan Miller',
          'location: https://maps.google.com/?q=38.7139,-9.1334',
          { media: { kind: 'location' } },
        ],
      ]),
    );
  });
});

describe('android-en-gb.txt: CRLF line endings, attachments with captions', () => {
  const raw = fixture('android-en-gb.txt');
  const chat = parse('android-en-gb.txt', 'Europe/London');

  it('really is a CRLF file', () => {
    expect(raw.split('\r\n')).toHaveLength(15);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('is read as Android, dmy', () => {
    expect(chat.platform).toBe('android');
    expect(chat.dateOrder).toBe('dmy');
    expect(chat.authors).toEqual(['Amelia Clarke', 'ChatGPT']);
  });

  it('has every message, without a stray \\r, across the night London springs forward', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-02-14T08:02:00Z',
          null,
          'Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.',
        ],
        [
          2,
          '2024-02-14T08:03:00Z',
          'Amelia Clarke',
          "Morning! Could you draft a short Valentine's note for my partner? ❤️",
        ],
        [
          3,
          '2024-02-14T08:03:00Z',
          'ChatGPT',
          'Here\'s one:\n\n"Every day with you feels like the best kind of ordinary. Happy Valentine\'s Day 💌"',
        ],
        [
          6,
          '2024-02-14T08:05:00Z',
          'Amelia Clarke',
          'Can you make it match this card?',
          { media: { kind: 'image', filename: 'IMG-20240214-WA0003.jpg' } },
        ],
        [
          8,
          '2024-02-14T08:06:00Z',
          'ChatGPT',
          'Lovely card! Maybe: "You\'re my favourite hello and my hardest goodbye." 🌹',
        ],
        [9, '2024-02-14T08:07:00Z', 'Amelia Clarke', 'Perfect, thank you 😊', EDITED],
        [10, '2024-02-14T08:09:00Z', 'ChatGPT', '', DELETED],
        [
          11,
          '2024-02-29T23:45:00Z',
          'Amelia Clarke',
          '',
          { media: { kind: 'audio', filename: 'PTT-20240229-WA0007.opus' } },
        ],
        [
          12,
          '2024-03-01T00:10:00Z',
          'ChatGPT',
          "Sorry, I can't listen to voice notes here yet. Could you type it? 🙏",
        ],
        [13, '2024-03-31T00:59:00Z', 'Amelia Clarke', 'Clocks go forward tonight, right?'],
        [14, '2024-03-31T01:01:00Z', 'ChatGPT', 'They already have: at 01:00 it became 02:00 BST 🕑'],
      ]),
    );
  });
});

describe('android-fr.txt: no comma between date and time, French markers', () => {
  const chat = parse('android-fr.txt', 'Europe/Paris');

  it('is read as Android, dmy', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['android', 'dmy']);
    expect(chat.authors).toEqual(['Camille Martin', 'Acme Assistant']);
  });

  it('has every message, in Paris time converted to UTC', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2023-12-31T22:50:00Z',
          null,
          'Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les lire ou les écouter. Appuyez pour en savoir plus.',
        ],
        [
          2,
          '2023-12-31T22:51:00Z',
          'Camille Martin',
          "Bonsoir ! Tu peux m'aider à écrire mes vœux pour demain ? 🥂",
        ],
        [
          3,
          '2023-12-31T22:52:00Z',
          'Acme Assistant',
          'Bien sûr ! Voici une proposition :\n\n« Que 2024 vous apporte la santé, la joie et de beaux projets. »\n\nTu veux une version plus drôle ? 😄',
        ],
        [8, '2023-12-31T22:55:00Z', 'Camille Martin', '', { media: { kind: 'media' } }],
        [9, '2023-12-31T22:56:00Z', 'Acme Assistant', 'Jolie photo ! Elle irait très bien avec ces vœux.'],
        [10, '2023-12-31T23:01:00Z', 'Camille Martin', 'Bonne année !!! 🎉', EDITED],
        [11, '2023-12-31T23:02:00Z', 'Acme Assistant', '', DELETED],
        [12, '2023-12-31T23:03:00Z', 'Camille Martin', '', DELETED],
        [13, '2023-12-31T23:04:00Z', 'Camille Martin', "Merci pour tout, à l'année prochaine 😉"],
      ]),
    );
  });
});

describe('android-de.txt: dotted dates, the night Berlin springs forward', () => {
  const chat = parse('android-de.txt', 'Europe/Berlin');

  it('is read as Android, dmy', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['android', 'dmy']);
    expect(chat.authors).toEqual(['Lukas Schneider', 'Acme Assistant']);
  });

  it('has every message; 01:58 CET and 03:01 CEST are three minutes apart', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-03-30T21:40:00Z',
          null,
          'Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie lesen oder anhören, nicht einmal WhatsApp. Tippe, um mehr zu erfahren.',
        ],
        [2, '2024-03-30T21:41:00Z', 'Lukas Schneider', 'Hallo! Wird heute Nacht die Uhr umgestellt? ⏰'],
        [
          3,
          '2024-03-30T21:41:00Z',
          'Acme Assistant',
          'Ja! In der Nacht auf Sonntag, den 31. März, wird um 2:00 Uhr auf 3:00 Uhr vorgestellt.\n\nDu schläfst also eine Stunde weniger 😴',
        ],
        // Android "Without media": the document's name comes on the next line, kept as text.
        [6, '2024-03-30T21:45:00Z', 'Lukas Schneider', 'Stundenplan.pdf', { media: { kind: 'media' } }],
        [8, '2024-03-30T21:46:00Z', 'Acme Assistant', 'Danke, ich habe den Plan bekommen 👍', EDITED],
        [9, '2024-03-31T00:58:00Z', 'Lukas Schneider', 'Kann nicht schlafen 🙈'],
        [10, '2024-03-31T01:01:00Z', 'Acme Assistant', 'Es ist schon 3 Uhr – die Uhr ist gerade gesprungen!'],
        [11, '2024-03-31T01:02:00Z', 'Lukas Schneider', '', DELETED],
        [12, '2024-03-31T01:03:00Z', 'Acme Assistant', '', DELETED],
        [13, '2024-03-31T07:30:00Z', 'Lukas Schneider', 'Guten Morgen ☀️'],
      ]),
    );
  });
});

describe('android-es.txt: 12-hour clock written "p. m." with U+202F and U+00A0', () => {
  const chat = parse('android-es.txt', 'Europe/Madrid');

  it('is read as Android, dmy despite the 12-hour clock (15/6 tells)', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['android', 'dmy']);
    expect(chat.authors).toEqual(['Lucía Fernández', 'ChatGPT']);
  });

  it('has every message; 12:05 a. m. is five past midnight', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-06-15T20:30:00Z',
          null,
          'Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni siquiera WhatsApp, puede leerlos ni escucharlos. Toca para obtener más información.',
        ],
        [
          2,
          '2024-06-15T20:31:00Z',
          'Lucía Fernández',
          '¡Hola! ¿Me ayudas con una receta de paella para 6 personas? 🥘',
        ],
        [
          3,
          '2024-06-15T20:32:00Z',
          'ChatGPT',
          '¡Claro! Necesitas:\n\n- 600 g de arroz bomba\n- 1 pollo troceado\n- Azafrán y romero 🌿',
        ],
        [8, '2024-06-15T20:35:00Z', 'Lucía Fernández', '', { media: { kind: 'media' } }],
        [9, '2024-06-15T20:35:00Z', 'Lucía Fernández', 'Así quedó la última vez 😅'],
        [10, '2024-06-15T20:36:00Z', 'ChatGPT', '¡Tiene muy buena pinta! El socarrat es lo mejor.', EDITED],
        [11, '2024-06-15T21:58:00Z', 'Lucía Fernández', '', DELETED],
        [12, '2024-06-15T22:05:00Z', 'ChatGPT', '', DELETED],
        [13, '2024-06-16T07:00:00Z', 'Lucía Fernández', '¡Gracias! 🙌'],
      ]),
    );
  });
});

describe('ios-en-us.txt: U+202F before AM/PM, U+200E marks, the night New York springs forward', () => {
  const chat = parse('ios-en-us.txt', 'America/New_York');

  it('is read as iOS; every date ≤ 12 and a 12-hour clock → mdy', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['ios', 'mdy']);
    // The chat's name is the author of WhatsApp's notices on iOS; they are not counted.
    expect(chat.authors).toEqual(['Sam Patel', 'ChatGPT']);
  });

  it('has every message; 1:59:30 AM EST and 3:00:15 AM EDT are 45 seconds apart', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-03-10T03:02:11Z',
          null,
          'Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.',
        ],
        [
          2,
          '2024-03-10T03:02:11Z',
          null,
          'This business uses a secure service from Meta to manage this chat. Tap to learn more.',
        ],
        [3, '2024-03-10T03:03:05Z', 'Sam Patel', 'hey! do the clocks change tonight? 🕑'],
        [
          4,
          '2024-03-10T03:03:09Z',
          'ChatGPT',
          'Yes! In most of the US, daylight saving time starts at 2:00 AM on Sunday, March 10.\n\nClocks jump straight to 3:00 AM, so you lose an hour of sleep 😴',
        ],
        [7, '2024-03-10T03:04:30Z', 'Sam Patel', '', { media: { kind: 'image' } }],
        [8, '2024-03-10T03:04:52Z', 'Sam Patel', 'will my oven clock change by itself?', EDITED],
        [9, '2024-03-10T03:05:10Z', 'ChatGPT', 'Probably not, most ovens need a manual change 🙂'],
        [10, '2024-03-10T03:06:00Z', 'Sam Patel', '', DELETED],
        [11, '2024-03-10T03:06:41Z', 'ChatGPT', '', DELETED],
        [12, '2024-03-10T06:59:30Z', 'Sam Patel', 'still awake… 🙃'],
        [13, '2024-03-10T07:00:15Z', 'ChatGPT', "It's 3:00 AM now: the clocks just sprang forward!"],
        [14, '2024-03-10T07:01:02Z', 'Sam Patel', '', { media: { kind: 'sticker' } }],
        [
          15,
          '2024-03-10T07:02:44Z',
          'Sam Patel',
          '',
          { media: { kind: 'document', filename: 'Sleep tips.pdf' } },
        ],
        [16, '2024-03-10T07:03:10Z', 'ChatGPT', 'Good night, Sam 🌙'],
      ]),
    );
  });

  it('reads the same file as dmy when told to, since nothing in it contradicts', () => {
    const dmy = parseWhatsAppChat(fixture('ios-en-us.txt'), { timeZone: 'UTC', dateOrder: 'dmy' });
    expect(dmy.dateOrder).toBe('dmy');
    expect(dmy.messages[0]!.at).toBe(Date.parse('2024-09-03T22:02:11Z'));
  });
});

describe('ios-fr.txt: a phone-number author in bidi marks, the night Paris falls back', () => {
  const chat = parse('ios-fr.txt', 'Europe/Paris');
  const bot = '+33 6 12 34 56 78';

  it('strips U+202A/U+202C from the author', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['ios', 'dmy']);
    expect(chat.authors).toEqual(['Élodie Garnier', bot]);
  });

  it('places 02:05 after 02:58 when the clock went back in between', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-10-26T21:58:10Z',
          null,
          'Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les lire ou les écouter.',
        ],
        [
          2,
          '2024-10-26T21:59:02Z',
          'Élodie Garnier',
          "Bonsoir ! On change d'heure cette nuit, c'est bien ça ? 🕒",
        ],
        [
          3,
          '2024-10-26T22:00:15Z',
          bot,
          'Oui : à 3 h du matin, il sera de nouveau 2 h.\n\nVous gagnez une heure de sommeil 😴',
        ],
        [6, '2024-10-26T22:01:40Z', 'Élodie Garnier', '', { media: { kind: 'image' } }],
        [7, '2024-10-27T00:58:30Z', 'Élodie Garnier', 'Toujours réveillée… il est 2 h 58'], // CEST
        [8, '2024-10-27T01:05:12Z', bot, "Et maintenant il est 2 h 05 : l'heure d'hiver est là ❄️"], // CET
        [9, '2024-10-27T01:06:00Z', 'Élodie Garnier', 'Magique ✨', EDITED],
        [10, '2024-10-27T01:07:30Z', 'Élodie Garnier', '', DELETED],
        [11, '2024-10-27T01:08:01Z', bot, '', DELETED],
        [12, '2024-10-27T08:15:00Z', 'Élodie Garnier', 'Bonjour ! Merci pour hier soir 🙏'],
      ]),
    );
  });
});

describe('ios-pt-br.txt: Brazilian Portuguese markers', () => {
  const chat = parse('ios-pt-br.txt', 'America/Sao_Paulo');

  it('is read as iOS, dmy (17/08 tells)', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['ios', 'dmy']);
    expect(chat.authors).toEqual(['Rafael Souza', 'Acme Assistente']);
  });

  it('has every message, in São Paulo time (UTC−3) converted to UTC', () => {
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2024-08-05T17:02:11Z',
          null,
          'As mensagens e as ligações são protegidas com a criptografia de ponta a ponta. Ninguém fora desta conversa, nem mesmo o WhatsApp, pode ler ou ouvi-las.',
        ],
        [
          2,
          '2024-08-05T17:03:05Z',
          'Rafael Souza',
          'Oi! Pode me ajudar com uma lista de compras para um churrasco no sábado? 🔥',
        ],
        [
          3,
          '2024-08-05T17:03:40Z',
          'Acme Assistente',
          'Claro! Para 10 pessoas:\n\n- 3 kg de picanha 🥩\n- 2 kg de linguiça\n- Pão de alho e farofa',
        ],
        [8, '2024-08-05T17:05:02Z', 'Rafael Souza', '', { media: { kind: 'image' } }],
        [9, '2024-08-05T17:05:30Z', 'Rafael Souza', 'Esse carvão serve?'],
        [10, '2024-08-05T17:06:12Z', 'Acme Assistente', 'Serve sim! Use uns 5 kg 👍', EDITED],
        [11, '2024-08-05T17:07:00Z', 'Rafael Souza', '', { media: { kind: 'sticker' } }],
        [12, '2024-08-05T17:08:45Z', 'Rafael Souza', '', DELETED],
        [13, '2024-08-05T17:09:10Z', 'Acme Assistente', '', DELETED],
        [14, '2024-08-18T00:30:00Z', 'Rafael Souza', '', { media: { kind: 'audio' } }],
        [15, '2024-08-18T00:31:12Z', 'Acme Assistente', 'Que bom que o churrasco deu certo! 🎉'],
      ]),
    );
  });
});

describe('ios-en-gb-with-media.txt: <attached: …> placeholders', () => {
  const chat = parse('ios-en-gb-with-media.txt', 'Europe/London');
  const attached = (kind: string, filename: string) => ({ media: { kind, filename } }) as Partial<ChatLine>;

  it('tells the kind from the file name and keeps it', () => {
    expect([chat.platform, chat.dateOrder]).toEqual(['ios', 'dmy']);
    expect(chat.authors).toEqual(['Oliver Bennett', 'Acme Assistant']);
    expect(chat.messages).toEqual(
      rows([
        [
          1,
          '2025-01-02T10:15:42Z',
          null,
          'Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.',
        ],
        [
          2,
          '2025-01-02T10:16:03Z',
          'Oliver Bennett',
          "Hi, I'm flying to Lisbon tomorrow. Can you check my boarding pass? ✈️",
        ],
        [3, '2025-01-02T10:16:40Z', 'Oliver Bennett', '', attached('document', '00000014-Boarding pass.pdf')],
        [
          4,
          '2025-01-02T10:17:05Z',
          'Acme Assistant',
          'Got it: the gate closes at 06:40 and your seat is 14C.',
        ],
        [
          5,
          '2025-01-02T10:17:20Z',
          'Oliver Bennett',
          '',
          attached('image', '00000016-PHOTO-2025-01-02-10-17-20.jpg'),
        ],
        [
          6,
          '2025-01-02T10:18:01Z',
          'Oliver Bennett',
          '',
          attached('audio', '00000017-AUDIO-2025-01-02-10-18-01.opus'),
        ],
        [
          7,
          '2025-01-02T10:18:30Z',
          'Acme Assistant',
          '',
          attached('sticker', '00000018-STICKER-2025-01-02-10-18-30.webp'),
        ],
        [
          8,
          '2025-01-02T10:19:02Z',
          'Oliver Bennett',
          '',
          attached('video', '00000019-VIDEO-2025-01-02-10-19-02.mp4'),
        ],
        [
          9,
          '2025-01-02T10:19:40Z',
          'Oliver Bennett',
          '',
          attached('gif', '00000020-GIF-2025-01-02-10-19-40.mp4'),
        ],
        [10, '2025-01-02T10:20:15Z', 'Oliver Bennett', '', attached('contact', '00000021-Mum.vcf')],
        [
          11,
          '2025-01-03T07:02:11Z',
          'Oliver Bennett',
          'Location: https://maps.google.com/?q=38.774167,-9.134167',
          { media: { kind: 'location' } },
        ],
        [12, '2025-01-13T18:45:00Z', 'Oliver Bennett', 'Back home, thanks for the help! 🙌'],
      ]),
    );
  });
});
