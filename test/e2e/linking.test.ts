import { afterEach, describe, expect, it } from 'vitest';
import { StoreConversationMemory } from '../../src/assistant/llm/memory.ts';
import { waitFor } from '../helpers/stack.ts';
import { startTelegramStack, type TelegramStack } from '../telegram/stack.ts';
import { ChatClient } from '../webchat/client.ts';

// Issue 5, linking end to end: a person on WhatsApp (the sandbox) asks for a code and redeems it on
// Telegram (telegram-test-api) or in the web chat; one person, one history, one memory after.

let stack: TelegramStack | undefined;
let chat: ChatClient | undefined;
afterEach(async () => {
  chat?.ws.close();
  await stack?.close();
  stack = chat = undefined;
});

const WA_USER = '33612345678'; // the sandbox's demo user
const TG_USER = 4242;
const db = () => stack!.gateway.store.db;
const body = (m: { payload: unknown }) => {
  const p = m.payload as { body?: string | { text: string } };
  return typeof p.body === 'string' ? p.body : (p.body?.text ?? '');
};
const sb = () => stack!.gateway.sandbox!;

async function waSays(text: string): Promise<string> {
  const before = sb()
    .sentTo(WA_USER)
    .filter((m) => m.type === 'text').length;
  sb().userSends(WA_USER, text);
  const sent = await waitFor(
    () => {
      const t = sb()
        .sentTo(WA_USER)
        .filter((m) => m.type === 'text');
      return t.length > before && t;
    },
    8000,
    `reply to "${text}"`,
  );
  return body(sent[sent.length - 1]!);
}

async function tgSays(text: string): Promise<string> {
  const before = stack!.botMessages(TG_USER).length;
  const client = stack!.client(TG_USER, 'Alex');
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
  const sent = await waitFor(
    () => stack!.botMessages(TG_USER).length > before && stack!.botMessages(TG_USER),
    8000,
    `bot reply to "${text}"`,
  );
  return String(sent[sent.length - 1]!.text);
}

/** The Telegram person taps a button of the bot's last message. */
async function tgTaps(label: string): Promise<string> {
  type BotMessage = {
    text?: string;
    message_id: number;
    reply_markup?: { inline_keyboard?: { text: string; callback_data: string }[][] };
  };
  const messages = stack!.botMessages(TG_USER) as BotMessage[];
  const last = messages[messages.length - 1]!;
  const button = last.reply_markup!.inline_keyboard!.flat().find((b) => b.text === label)!;
  const client = stack!.client(TG_USER, 'Alex');
  const cb = client.makeCallbackQuery(button.callback_data, {
    message: {
      message_id: last.message_id,
      chat: { id: Number(TG_USER), type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text: last.text,
      reply_markup: last.reply_markup,
    },
  } as never);
  await client.sendCallback(cb);
  const sent = await waitFor(
    () => stack!.botMessages(TG_USER).length > messages.length && stack!.botMessages(TG_USER),
    8000,
    `bot reply to a tap on "${label}"`,
  );
  return String(sent[sent.length - 1]!.text);
}

async function peopleWithContacts() {
  const rows = await db().selectFrom('contacts').select(['person_id', 'channel']).execute();
  const by = new Map<string, string[]>();
  for (const r of rows) by.set(r.person_id, [...(by.get(r.person_id) ?? []), r.channel].sort());
  return [...by.values()];
}

describe('linking channels in the chat', () => {
  it('WhatsApp → Telegram: code with deep links, /start payload redeemed, one history and memory', async () => {
    stack = await startTelegramStack({ config: { TELEGRAM_BOT_USERNAME: 'acme_bot' } });
    expect(await waSays('When are you open?')).toContain('Monday to Saturday');
    expect(await tgSays('Do you deliver?')).toMatch(/deliver/i);
    expect(await peopleWithContacts()).toHaveLength(2);

    const offer = await waSays('link');
    expect(offer).toMatch(/Your link code is [0-9A-Z]{4}-[0-9A-Z]{4}/);
    const tme = /https:\/\/t\.me\/acme_bot\?start=(link_[0-9A-Z]{8})/.exec(offer);
    expect(tme).not.toBeNull();
    expect(offer).toMatch(/\/chat\?link=[0-9A-Z]{8}/);
    expect(offer).not.toContain('wa.me'); // not a link to where the person already is

    // Telegram opens the bot with `/start link_<code>`: the bot says what linking does and asks; a tap
    // on its button redeems the code (the link may have come from someone else).
    expect(await tgSays(`/start ${tme![1]}`)).toContain('You opened a link that joins this chat');
    expect(await peopleWithContacts()).toHaveLength(2);
    expect(await tgTaps('Link')).toContain('now linked with your WhatsApp conversation');
    expect(await peopleWithContacts()).toEqual([['telegram', 'whatsapp']]);

    // One history across both channels, in time order, and the LLM's memory reads it all.
    const [person] = await db().selectFrom('people').select('id').execute();
    const history = await db()
      .selectFrom('messages')
      .select(['channel', 'direction', 'content'])
      .where('person_id', '=', person!.id)
      .orderBy('sent_at')
      .orderBy('created_at')
      .execute();
    expect(new Set(history.map((m) => m.channel))).toEqual(new Set(['whatsapp', 'telegram']));
    const texts = history
      .filter((m) => m.direction === 'in')
      .map((m) => JSON.parse(m.content) as { text?: string });
    expect(texts.map((t) => t.text)).toEqual([
      'When are you open?',
      'Do you deliver?',
      'link',
      undefined, // the /start payload
      undefined, // the tap on Link
    ]);
    const memory = await new StoreConversationMemory(db()).recent(person!.id, 20);
    expect(memory.map((t) => t.text)).toEqual(
      expect.arrayContaining(['When are you open?', 'Do you deliver?']),
    );

    // The person keeps talking on Telegram; the code cannot be used again.
    expect(await tgSays('When are you open?')).toContain('Monday to Saturday');
    const code = tme![1]!.slice('link_'.length);
    expect(await waSays(`LINK ${code}`)).toMatch(/code is for your other app|already linked/);
    const audit = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'identity.%')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['identity.code_issued', 'identity.merged']),
    );
  });

  it('Telegram → web chat in French, wrong codes locked out, then unlink', async () => {
    stack = await startTelegramStack({ config: { TELEGRAM_BOT_USERNAME: 'acme_bot' } });
    const offer = await tgSays('lier mon compte');
    expect(offer).toContain('Votre code de liaison est');
    expect(offer).toMatch(/https:\/\/wa\.me\/15550783881\?text=LINK%20[0-9A-Z]{4}-[0-9A-Z]{4}/);
    const code = /\/chat\?link=([0-9A-Z]{8})/.exec(offer)![1]!;

    chat = await ChatClient.open(stack.url, { origin: stack.url });
    await chat.hello();
    const say = async (text: string) => {
      const from = chat!.frames.length;
      chat!.send({ type: 'message', id: `client-${from}-msg`, content: { type: 'text', text } });
      const f = await chat!.next('message', from, (m) => m.from === 'bot');
      return (f.content as { text: string }).text;
    };
    // Four wrong codes, then the fifth locks this visitor out: even the right code is refused.
    for (let i = 0; i < 4; i++) expect(await say('LINK ZZZZ-ZZZ' + i)).toContain('not valid');
    expect(await say('LINK ZZZZ-ZZZY')).toContain('Too many wrong codes');
    expect(await say(`LINK ${code}`)).toContain('Too many wrong codes');
    expect(await peopleWithContacts()).toHaveLength(2);
    // From WhatsApp (no lockout there), the same code works.
    expect(await waSays(`lier ${code}`)).toContain('maintenant liée à celle sur Telegram');
    expect((await peopleWithContacts()).find((c) => c.length === 2)).toEqual(['telegram', 'whatsapp']);

    expect(await waSays('délier')).toContain("n'est plus liée");
    expect((await peopleWithContacts()).every((c) => c.length === 1)).toBe(true);
  });
});
