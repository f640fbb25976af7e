/**
 * Reads a WhatsApp export's message bodies for what WhatsApp wrote in place of content: media
 * placeholders, the edited and deleted markers, and its own notices. The phrases themselves are in
 * `whatsapp-chat-phrases.ts`.
 */
import {
  ANDROID_ATTACHED,
  ANDROID_OMITTED,
  DELETED,
  EDITED,
  IOS_ATTACHED,
  IOS_OMITTED_KIND,
  IOS_OMITTED_LINE,
  KNOWN_NOTICES,
  LOCATION,
  NOTICE_HINTS,
} from './whatsapp-chat-phrases.ts';

/** Media kinds a placeholder can tell; `media` when the export does not say which. */
export type ChatMediaKind =
  'image' | 'video' | 'audio' | 'document' | 'sticker' | 'gif' | 'contact' | 'location' | 'media';

/** A message body read for its markers. */
export interface ChatContent {
  text: string;
  media?: { kind: ChatMediaKind; filename?: string };
  edited?: true;
  deleted?: true;
}

/** Bidirectional-text marks WhatsApp puts around names, numbers and generated text. */
const BIDI_MARKS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const LEADING_MARKS = /^[\u200E\u200F]+/;

/** Removes every bidi mark: author names (`‪+33 6 12 34 56 78‬`) and generated lines. */
export function stripBidi(s: string): string {
  return s.replace(BIDI_MARKS, '');
}

/** Removes the LRM/RLM iOS puts before generated text (`‎image omitted`). */
export function stripLeadingMarks(s: string): string {
  return s.replace(LEADING_MARKS, '');
}

/** A notice WhatsApp wrote itself, recognisable from its wording alone. */
export function isKnownNotice(body: string): boolean {
  return KNOWN_NOTICES.test(stripLeadingMarks(body));
}

/**
 * Whether an iOS body that WhatsApp marked as generated (leading U+200E) is one of its notices.
 * Calls, polls and placeholders carry the same mark but belong to their author: they are not.
 */
export function isMarkedNotice(body: string): boolean {
  const plain = stripLeadingMarks(body);
  if (KNOWN_NOTICES.test(plain)) return true;
  if (!NOTICE_HINTS.test(plain)) return false;
  const content = readContent(plain);
  return !content.media && !content.deleted;
}

/** The kind a media file name tells, from WhatsApp's own naming (`IMG-…`, `…-PHOTO-…`) or its extension. */
export function mediaKindOf(filename: string): Exclude<ChatMediaKind, 'location' | 'media'> {
  const name = filename.trim();
  if (/\.vcf$/iu.test(name)) return 'contact';
  const ios = /^\d+-(PHOTO|VIDEO|AUDIO|STICKER|GIF)-/u.exec(name)?.[1];
  if (ios) return IOS_FILE_KINDS[ios]!;
  const android = /^(IMG|VID|AUD|PTT|STK|DOC)-\d{8}-WA\d+/u.exec(name)?.[1];
  if (android) return ANDROID_FILE_KINDS[android]!;
  const ext = /\.([a-z0-9]+)$/iu.exec(name)?.[1]?.toLowerCase() ?? '';
  if (['jpg', 'jpeg', 'png', 'heic', 'gif'].includes(ext)) return 'image';
  if (['mp4', 'mov', '3gp', 'm4v'].includes(ext)) return 'video';
  if (['opus', 'ogg', 'm4a', 'mp3', 'aac', 'amr', 'wav'].includes(ext)) return 'audio';
  if (ext === 'webp') return 'sticker';
  return 'document';
}
const IOS_FILE_KINDS: Record<string, Exclude<ChatMediaKind, 'location' | 'media'>> = {
  PHOTO: 'image',
  VIDEO: 'video',
  AUDIO: 'audio',
  STICKER: 'sticker',
  GIF: 'gif',
};
const ANDROID_FILE_KINDS: Record<string, Exclude<ChatMediaKind, 'location' | 'media'>> = {
  IMG: 'image',
  VID: 'video',
  AUD: 'audio',
  PTT: 'audio',
  STK: 'sticker',
  DOC: 'document',
};

/** `report.pdf • 3 pages` → `report.pdf`. */
const documentTitle = (title: string): string => title.split(' • ')[0]!.trim();

/**
 * Reads a message body (all its lines) for WhatsApp's markers: the edited marker is removed from
 * the text, a deleted notice leaves the text empty, and a media placeholder leaves only its caption
 * (the lines after it). Anything not recognised is kept verbatim.
 */
export function readContent(body: string): ChatContent {
  let text = stripLeadingMarks(body);
  const content: Omit<ChatContent, 'text'> = {};

  const edited = text.endsWith('>') ? EDITED.exec(text) : null;
  if (edited) {
    text = trimEndSpaceAndMarks(text.slice(0, edited.index));
    content.edited = true;
  }

  if (DELETED.test(stripBidi(text).trim())) return { ...content, text: '', deleted: true };

  const newline = text.indexOf('\n');
  const firstLine = stripBidi(newline < 0 ? text : text.slice(0, newline)).trim();
  const caption = newline < 0 ? '' : text.slice(newline + 1);
  // Placeholders are short; not running their patterns on long lines keeps parsing linear.
  const media = firstLine.length <= MAX_PLACEHOLDER ? readPlaceholder(firstLine) : undefined;
  if (media) return { ...content, text: caption, media };

  const lines = text.split('\n');
  const location = [lines[0]!, lines.at(-1)!].some(
    (l) => l.length <= MAX_PLACEHOLDER && LOCATION.test(stripBidi(l).trim()),
  );
  if (location) return { ...content, text, media: { kind: 'location' } };

  return { ...content, text };
}

const MAX_PLACEHOLDER = 1000;

/** The media a placeholder line stands for, if it is one. */
function readPlaceholder(line: string): ChatContent['media'] {
  if (ANDROID_OMITTED.test(line)) return { kind: 'media' };

  const androidFile = ANDROID_ATTACHED.exec(line)?.[1];
  if (androidFile) {
    const filename = documentTitle(androidFile);
    return { kind: mediaKindOf(filename), filename };
  }

  const iosFile = IOS_ATTACHED.exec(line)?.[1];
  if (iosFile) return { kind: mediaKindOf(iosFile), filename: iosFile };

  const omitted = IOS_OMITTED_LINE.exec(line);
  if (!omitted) return undefined;
  const kind = IOS_OMITTED_KIND.get(omitted[2]!.toLowerCase())!;
  const title = omitted[1];
  if (!title) return { kind };
  // Only a document has a title before its phrase; "see this image omitted" is just text.
  return kind === 'document' ? { kind, filename: documentTitle(title) } : undefined;
}

/** Like `trimEnd`, also removing LRM/RLM; a loop, since `/\s+$/` is quadratic on long runs. */
function trimEndSpaceAndMarks(s: string): string {
  let end = s.length;
  while (end > 0 && /[\s\u200E\u200F]/u.test(s[end - 1]!)) end--;
  return s.slice(0, end);
}
