import { describe, expect, it } from 'vitest';
import { parseUpdate, parseUpdates } from '../../src/channels/telegram/inbound.ts';
import type { InboundEvent, InboundMessageEvent, OtherEvent } from '../../src/core/events.ts';

const BOT = '7100000001';
const NOW = 1_760_000_000_000;
const CHLOE = {
  id: 123456789,
  is_bot: false,
  first_name: 'Chloé',
  last_name: 'Martin',
  username: 'chloe_m',
  language_code: 'fr',
};
const PRIVATE = {
  id: 123456789,
  first_name: 'Chloé',
  last_name: 'Martin',
  username: 'chloe_m',
  type: 'private',
};

function one(update: unknown): InboundEvent {
  const r = parseUpdate(update, { botId: BOT, receivedAt: NOW });
  if (!r.ok) throw new Error(r.message);
  expect(r.events).toHaveLength(1);
  return r.events[0]!;
}
const message = (update: unknown) => one(update) as InboundMessageEvent;
const msg = (fields: Record<string, unknown>, id = 57) => ({
  update_id: 815000001,
  message: { message_id: id, from: CHLOE, chat: PRIVATE, date: 1760000123, ...fields },
});

describe('Telegram updates → events', () => {
  it('reads a private text message: person, dedupe key, ordering key, time', () => {
    const e = message(msg({ text: 'When are you open?' }));
    expect(e).toEqual({
      kind: 'message',
      channel: 'telegram',
      account: BOT,
      dedupeKey: `msg:${BOT}:123456789:57`,
      orderingKey: `telegram:${BOT}:123456789`,
      timestamp: 1760000123000,
      providerMessageId: '123456789:57',
      from: {
        channel: 'telegram',
        address: '123456789',
        userId: '123456789',
        username: 'chloe_m',
        displayName: 'Chloé Martin',
      },
      content: { type: 'text', text: 'When are you open?' },
    });
  });

  it('keeps the /start deep-link payload as a welcome request', () => {
    const start = msg({
      text: '/start link-3F9K2Q',
      entities: [{ offset: 0, length: 6, type: 'bot_command' }],
    });
    expect(message(start).content).toEqual({ type: 'request_welcome', payload: 'link-3F9K2Q' });
    const bare = msg({ text: '/start', entities: [{ offset: 0, length: 6, type: 'bot_command' }] });
    expect(message(bare).content).toEqual({ type: 'request_welcome' });
    const addressed = msg({
      text: '/start@PasserelleBot abc',
      entities: [{ offset: 0, length: 20, type: 'bot_command' }],
    });
    expect(message(addressed).content).toEqual({ type: 'request_welcome', payload: 'abc' });
  });

  it('leaves other commands and a quoted "/start" as text', () => {
    expect(
      message(msg({ text: '/help', entities: [{ offset: 0, length: 5, type: 'bot_command' }] })).content,
    ).toEqual({
      type: 'text',
      text: '/help',
    });
    const quoted = msg({ text: '/start now', entities: [{ offset: 0, length: 10, type: 'code' }] });
    expect(message(quoted).content).toEqual({ type: 'text', text: '/start now' });
  });

  it('reads a photo as image media: the largest size, with its caption', () => {
    const e = message(
      msg({
        photo: [
          {
            file_id: 'AgACAgQAAxkBAAIBY2small',
            file_unique_id: 'AQADs',
            file_size: 1500,
            width: 90,
            height: 67,
          },
          {
            file_id: 'AgACAgQAAxkBAAIBY2medium',
            file_unique_id: 'AQADm',
            file_size: 21000,
            width: 320,
            height: 240,
          },
          {
            file_id: 'AgACAgQAAxkBAAIBY2large',
            file_unique_id: 'AQADl',
            file_size: 98000,
            width: 1280,
            height: 960,
          },
        ],
        caption: 'Is this the right part?',
      }),
    );
    expect(e.content).toEqual({
      type: 'media',
      kind: 'image',
      media: { id: 'AgACAgQAAxkBAAIBY2large', caption: 'Is this the right part?' },
    });
  });

  it('reads documents, audio, voice notes, videos and stickers with their file ids', () => {
    const doc = {
      file_id: 'BQACAgQAAxkBAAIBZGdoc',
      file_unique_id: 'AgADd',
      file_name: 'invoice.pdf',
      mime_type: 'application/pdf',
    };
    expect(message(msg({ document: doc })).content).toEqual({
      type: 'media',
      kind: 'document',
      media: { id: doc.file_id, filename: 'invoice.pdf', mimeType: 'application/pdf' },
    });
    const voice = {
      file_id: 'AwACAgQAAxkBAAIBZXZvaWNl',
      file_unique_id: 'AgADv',
      duration: 3,
      mime_type: 'audio/ogg',
    };
    expect(message(msg({ voice })).content).toEqual({
      type: 'media',
      kind: 'audio',
      media: { id: voice.file_id, mimeType: 'audio/ogg', voice: true },
    });
    const audio = {
      file_id: 'CQACAgQAAxkBAAIBZmF1ZGlv',
      file_unique_id: 'AgADa',
      duration: 180,
      mime_type: 'audio/mpeg',
      file_name: 'song.mp3',
    };
    expect(message(msg({ audio })).content).toMatchObject({
      kind: 'audio',
      media: { id: audio.file_id, filename: 'song.mp3' },
    });
    const video = {
      file_id: 'BAACAgQAAxkBAAIBZ3ZpZGVv',
      file_unique_id: 'AgADw',
      width: 640,
      height: 360,
      duration: 12,
    };
    expect(message(msg({ video, caption: 'look' })).content).toEqual({
      type: 'media',
      kind: 'video',
      media: { id: video.file_id, caption: 'look' },
    });
    const sticker = {
      file_id: 'CAACAgIAAxkBAAIBaHN0aWNrZXI',
      file_unique_id: 'AgADs',
      type: 'regular',
      width: 512,
      height: 512,
      is_animated: false,
      is_video: true,
      emoji: '👍',
    };
    expect(message(msg({ sticker })).content).toEqual({
      type: 'media',
      kind: 'sticker',
      media: { id: sticker.file_id, animated: true },
    });
  });

  it('reads a GIF (animation) as animated video, not as its document copy', () => {
    const file = {
      file_id: 'CgACAgQAAxkBAAIBaWdpZg',
      file_unique_id: 'AgADg',
      width: 320,
      height: 240,
      duration: 2,
      mime_type: 'video/mp4',
    };
    expect(message(msg({ animation: file, document: file })).content).toEqual({
      type: 'media',
      kind: 'video',
      media: { id: file.file_id, mimeType: 'video/mp4', animated: true },
    });
  });

  it('reads locations, venues and shared contacts', () => {
    expect(message(msg({ location: { latitude: 48.8566, longitude: 2.3522 } })).content).toEqual({
      type: 'location',
      latitude: 48.8566,
      longitude: 2.3522,
    });
    const venue = {
      location: { latitude: 48.8584, longitude: 2.2945 },
      title: 'Tour Eiffel',
      address: 'Champ de Mars, 75007 Paris',
    };
    expect(message(msg({ location: venue.location, venue })).content).toEqual({
      type: 'location',
      latitude: 48.8584,
      longitude: 2.2945,
      name: 'Tour Eiffel',
      address: 'Champ de Mars, 75007 Paris',
    });
    const contact = { phone_number: '+33612345678', first_name: 'Alex', last_name: 'Durand', user_id: 555 };
    expect(message(msg({ contact })).content).toEqual({
      type: 'contacts',
      contacts: [
        {
          name: { formatted_name: 'Alex Durand', first_name: 'Alex', last_name: 'Durand' },
          phones: [{ phone: '+33612345678', telegram_user_id: '555' }],
        },
      ],
    });
  });

  it('keeps kinds it does not read as unknown, and service messages as system', () => {
    const dice = { emoji: '🎲', value: 4 };
    expect(message(msg({ dice })).content).toEqual({ type: 'unknown', providerType: 'dice', raw: dice });
    expect(message(msg({ pinned_message: { message_id: 1 } })).content).toEqual({
      type: 'system',
      systemType: 'pinned_message',
    });
  });

  it('notes the message replied to and forwarding', () => {
    const e = message(
      msg({ text: 'this one', reply_to_message: { message_id: 50, chat: PRIVATE, date: 1 } }),
    );
    expect(e.context).toEqual({ messageId: '123456789:50' });
    const fwd = message(msg({ text: 'fwd', forward_origin: { type: 'user', date: 1, sender_user: CHLOE } }));
    expect(fwd.context).toEqual({ forwarded: true });
  });

  it('marks group messages with the group, so they are recorded and not answered', () => {
    const group = { id: -1001234567890, title: 'Bike club', type: 'supergroup' };
    const e = message({
      update_id: 1,
      message: { message_id: 9, from: CHLOE, chat: group, date: 1760000000, text: 'hi' },
    });
    expect(e.groupId).toBe('-1001234567890');
    expect(e.orderingKey).toBe(`telegram:${BOT}:-1001234567890`);
    expect(e.from.address).toBe('123456789');
  });

  it('reads a button press as a choice, titled with the pressed button, with its callback id', () => {
    const e = message({
      update_id: 815000002,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: CHLOE,
        chat_instance: '-5178112358291102733',
        data: 'kb:en:delivery',
        message: {
          message_id: 58,
          from: { id: Number(BOT), is_bot: true, first_name: 'Passerelle', username: 'PasserelleBot' },
          chat: PRIVATE,
          date: 1760000125,
          text: 'Did you mean…',
          reply_markup: {
            inline_keyboard: [
              [{ text: 'Prices', callback_data: 'kb:en:prices' }],
              [{ text: 'Delivery', callback_data: 'kb:en:delivery' }],
            ],
          },
        },
      },
    });
    expect(e).toMatchObject({
      kind: 'message',
      dedupeKey: `cbq:${BOT}:4382bfdwdsb323b2d9`,
      orderingKey: `telegram:${BOT}:123456789`,
      providerMessageId: '123456789:cb:4382bfdwdsb323b2d9',
      timestamp: NOW,
      content: { type: 'choice', source: 'button_reply', choiceId: 'kb:en:delivery', title: 'Delivery' },
      context: { messageId: '123456789:58' },
    });
  });

  it('records an edit as an "other" event with the new content, keyed by the edit date', () => {
    const e = one({
      update_id: 815000003,
      edited_message: {
        message_id: 57,
        from: CHLOE,
        chat: PRIVATE,
        date: 1760000123,
        edit_date: 1760000200,
        text: 'When do you close?',
      },
    }) as OtherEvent;
    expect(e).toMatchObject({
      kind: 'other',
      field: 'edited_message',
      dedupeKey: `edit:${BOT}:123456789:57:1760000200`,
      orderingKey: `telegram:${BOT}:123456789`,
      timestamp: 1760000200000,
      value: { providerMessageId: '123456789:57', content: { type: 'text', text: 'When do you close?' } },
    });
  });

  it('records a person blocking the bot (my_chat_member) as an "other" event', () => {
    const e = one({
      update_id: 815000004,
      my_chat_member: {
        chat: PRIVATE,
        from: CHLOE,
        date: 1760000300,
        old_chat_member: {
          user: { id: Number(BOT), is_bot: true, first_name: 'Passerelle' },
          status: 'member',
        },
        new_chat_member: {
          user: { id: Number(BOT), is_bot: true, first_name: 'Passerelle' },
          status: 'kicked',
          until_date: 0,
        },
      },
    });
    expect(e).toMatchObject({
      kind: 'other',
      field: 'my_chat_member',
      dedupeKey: `upd:${BOT}:815000004:my_chat_member`,
    });
  });

  it('refuses a body that is not an update, and keeps an unreadable update for operators', () => {
    expect(parseUpdate({ message: { text: 'hi' } }, { botId: BOT })).toMatchObject({
      ok: false,
      error: 'malformed',
    });
    expect(parseUpdate('hello', { botId: BOT }).ok).toBe(false);
    const e = one({ update_id: 7, message: { message_id: 1, text: 'no chat, no date' } }) as OtherEvent;
    expect(e).toMatchObject({ kind: 'other', field: 'malformed' });
    expect(JSON.stringify(e.value)).toContain('message.chat');
  });

  it('reads a getUpdates batch, skipping what it cannot read', () => {
    const events = parseUpdates([msg({ text: 'a' }, 1), { nope: true }, msg({ text: 'b' }, 2)], {
      botId: BOT,
    });
    expect(events.map((e) => (e as InboundMessageEvent).providerMessageId)).toEqual([
      '123456789:1',
      '123456789:2',
    ]);
  });
});
