import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { unzipSync } from 'fflate';
import { ImportError, importPersonExport, type ImportResult } from '../identity/import.ts';
import { importWhatsAppChat, type WhatsAppImportResult } from '../identity/import-whatsapp.ts';
import { PersonRefError } from '../identity/lookup.ts';
import { ChatExportError, parseWhatsAppChat, type ParsedChat } from '../identity/whatsapp-chat.ts';
import { consoleIo, openExistingStore, type CliIo } from './io.ts';

const LOCAL_FILE = 0x04034b50;

/** Whether the bytes are a zip archive (a local file header first). */
export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === LOCAL_FILE;
}

/**
 * The chat text in the zip WhatsApp makes on an iPhone (`_chat.txt`, next to the media when they were
 * attached), or the only `.txt` of another archive (read with fflate; only text entries are
 * decompressed). A zip without a chat is an `ImportError`.
 */
export function chatFromZip(zip: Buffer): string {
  const names: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        names.push(f.name);
        return /\.txt$/i.test(f.name) && !f.name.startsWith('__MACOSX/');
      },
    });
  } catch (err) {
    throw new ImportError(`damaged zip file: ${(err as Error).message}`, 'format');
  }
  const texts = Object.keys(files);
  const name = texts.find((n) => basename(n) === '_chat.txt') ?? (texts.length === 1 ? texts[0] : undefined);
  if (name === undefined)
    throw new ImportError(
      `no chat in this zip: expected _chat.txt (found: ${quoted(names.slice(0, 10))})`,
      'format',
    );
  return Buffer.from(files[name]!).toString('utf8');
}

export type ImportFormat = 'auto' | 'passerelle' | 'whatsapp';

/** `auto`: a JSON document is a Passerelle export; anything else is read as a WhatsApp chat. */
export function detectFormat(text: string): 'passerelle' | 'whatsapp' {
  return /^\s*[{[]/.test(text.replace(/^\uFEFF/, '')) ? 'passerelle' : 'whatsapp';
}

const quoted = (names: string[]): string => (names.length ? names.map((n) => `"${n}"`).join(', ') : 'none');

export function renderExportImport(r: ImportResult): string {
  const i = r.inserted;
  return (
    `Imported into ${r.createdPerson ? 'new' : 'existing'} person ${r.personId}: ` +
    `${i.contacts} contacts, ${i.conversations} conversations, ${i.messages} messages, ` +
    `${i.statuses} statuses, ${i.consents} consents, ${i.decisions} decisions, ${i.llmUsage} LLM usage records; ` +
    `${r.skipped} already there.`
  );
}

export function renderChatImport(r: WhatsAppImportResult, parsed: ParsedChat, account: string): string {
  return (
    `Imported ${r.inserted} of ${parsed.messages.length} messages (${parsed.platform} export, dates ${parsed.dateOrder}) ` +
    `into person ${r.personId}, conversation ${r.conversationId} (${account}); ${r.skipped} already there.`
  );
}

interface ImportOptions {
  person?: string;
  format: ImportFormat;
  me?: string;
  counterpart?: string;
  timezone?: string;
  dateOrder?: 'dmy' | 'mdy' | 'ymd';
}

/**
 * `passerelle import <file>`: a person's history from a Passerelle export (JSON), or from the text
 * file of WhatsApp's "Export chat" (`--person` and `--me` then say whose chat it is). Importing the
 * same file again changes nothing. Bad files, unknown people and missing options exit with 2.
 */
export function registerImport(program: Command, io: CliIo = consoleIo): void {
  program
    .command('import')
    .description(
      'Import a person’s history: a Passerelle export (JSON) or a WhatsApp “Export chat” text file',
    )
    .argument('<file>', 'the export file')
    .addOption(
      new Option('--format <format>', 'file format (auto: JSON is a Passerelle export, else a WhatsApp chat)')
        .choices(['auto', 'passerelle', 'whatsapp'])
        .default('auto'),
    )
    .option('--person <ref>', 'WhatsApp chat: whose chat it is (person id or <channel>:<address>)')
    .option('--me <name>', 'WhatsApp chat: the author name in the file who is that person')
    .option('--counterpart <name>', 'WhatsApp chat: the other author (the business), when the file has none')
    .option('--timezone <IANA>', 'WhatsApp chat: the phone’s time zone, e.g. Europe/Paris (default UTC)')
    .addOption(
      new Option('--date-order <order>', 'WhatsApp chat: date order when the file cannot tell').choices([
        'dmy',
        'mdy',
        'ymd',
      ]),
    )
    .action(async (path: string, opts: ImportOptions) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (err) {
        io.err(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        process.exitCode = 2;
        return;
      }
      try {
        // An iPhone shares the chat as a zip: `_chat.txt` inside.
        const zipped = isZip(bytes);
        const text = zipped ? chatFromZip(bytes) : bytes.toString('utf8');
        const format = opts.format === 'auto' ? (zipped ? 'whatsapp' : detectFormat(text)) : opts.format;
        if (format === 'passerelle') await importExportFile(program, io, text, opts);
        else await importChatFile(program, io, text, basename(path), opts);
      } catch (err) {
        if (!(err instanceof ImportError || err instanceof ChatExportError || err instanceof PersonRefError))
          throw err;
        io.err(err.message);
        process.exitCode = 2;
      }
    });
}

async function importExportFile(
  program: Command,
  io: CliIo,
  text: string,
  opts: ImportOptions,
): Promise<void> {
  const misplaced = (['person', 'me', 'counterpart', 'timezone', 'dateOrder'] as const).filter(
    (k) => opts[k] !== undefined,
  );
  if (misplaced.length)
    throw new ImportError(
      `${misplaced.map((k) => `--${k === 'dateOrder' ? 'date-order' : k}`).join(', ')}: for WhatsApp chats only; a Passerelle export names its person`,
      'invalid',
    );
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ImportError(`not valid JSON: ${(err as Error).message}`, 'format');
  }
  const store = await openExistingStore(program, io);
  if (!store) return;
  try {
    io.out(renderExportImport(await importPersonExport(store.db, data, { actor: 'cli' })));
  } finally {
    await store.close();
  }
}

async function importChatFile(
  program: Command,
  io: CliIo,
  text: string,
  file: string,
  opts: ImportOptions,
): Promise<void> {
  const parsed = parseWhatsAppChat(text, {
    ...(opts.timezone !== undefined ? { timeZone: opts.timezone } : {}),
    ...(opts.dateOrder !== undefined ? { dateOrder: opts.dateOrder } : {}),
  });
  const missing = [
    opts.person === undefined && '--person <ref>',
    opts.me === undefined && '--me <name>',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length)
    throw new ImportError(
      `${missing.join(' and ')} required for a WhatsApp chat: whose chat it is, and which author is that person ` +
        `(authors found: ${quoted(parsed.authors)})`,
      'invalid',
    );
  const store = await openExistingStore(program, io);
  if (!store) return;
  try {
    const r = await importWhatsAppChat(store.db, parsed, {
      person: opts.person!,
      me: opts.me!,
      ...(opts.counterpart !== undefined ? { counterpart: opts.counterpart } : {}),
      source: file,
      actor: 'cli',
    });
    const account = await store.db
      .selectFrom('conversations')
      .select('account')
      .where('id', '=', r.conversationId)
      .executeTakeFirstOrThrow();
    io.out(renderChatImport(r, parsed, account.account));
  } finally {
    await store.close();
  }
}
