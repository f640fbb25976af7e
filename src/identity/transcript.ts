import type { MessageContent, TemplateParameter } from '../core/content.ts';
import { escapeHtml } from '../core/html.ts';
import type { ExportContent, ExportMessage, PersonExport } from './export-format.ts';

/**
 * Readable transcripts of a person's export, for the person: one history across channels, one section
 * per day, one line per message: `time · channel · who · text`. Every content kind becomes text; kinds
 * this code does not know read "[unsupported message]". Labels are in English; the messages are as
 * written. Times are shown in `timeZone` (default UTC, said in the header).
 */

export interface TranscriptOptions {
  /** IANA time zone for times and days (default `UTC`). */
  timeZone?: string;
}

/** Who wrote a line: the person, the assistant (an answer to them), or the business (anything else). */
export type Speaker = 'person' | 'assistant' | 'business';

/** One message as the transcripts show it. */
interface Line {
  /** ISO 8601 instant of `sentAt`. */
  iso: string;
  time: string;
  channel: string;
  speaker: Speaker;
  who: string;
  text: string;
  /** Outbound only: `✓ sent`, `✓✓ delivered`, `✓✓ read`… */
  status: string | null;
}

interface Day {
  /** `YYYY-MM-DD` in the transcript's time zone. */
  date: string;
  /** `Monday 1 June 2026`. */
  label: string;
  lines: Line[];
}

interface Transcript {
  title: string;
  subtitle: string;
  days: Day[];
}

/** The speaker of a message: outbound answers carry the message answered (`inReplyTo`) or sources. */
export function speakerOf(m: Pick<ExportMessage, 'direction' | 'meta'>): Speaker {
  if (m.direction === 'in') return 'person';
  const meta = m.meta ?? {};
  if (meta.intent === 'business_initiated' || meta.intent === 'window_template') return 'business';
  return typeof meta.inReplyTo === 'string' || Array.isArray(meta.sources) ? 'assistant' : 'business';
}

const STATUS_LABELS: Record<string, string> = {
  queued: 'queued',
  accepted: '✓ sent',
  sent: '✓ sent',
  coalesced: '✓ sent',
  delivered: '✓✓ delivered',
  read: '✓✓ read',
  played: '✓✓ played',
  failed: '✗ not delivered',
  dead: '✗ not delivered',
  held: 'held, not sent',
  refused: 'not sent',
  needs_template: 'not sent',
};

/** The delivery mark of an outbound message, as a phone shows it. */
export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** Any content as one readable text: media as `[image: caption]`, choices, buttons, templates… */
export function contentText(content: ExportContent): string {
  const c = content as MessageContent;
  switch (c.type) {
    case 'text':
      return str(c.text);
    case 'media': {
      const media = c.media ?? {};
      const label = c.kind === 'audio' && media.voice ? 'voice message' : str(c.kind) || 'media';
      const about = [media.caption, c.kind === 'document' ? media.filename : undefined].filter(
        (x): x is string => typeof x === 'string' && x !== '',
      );
      return about.length ? `[${label}: ${about.join(' — ')}]` : `[${label}]`;
    }
    case 'location': {
      const place = [c.name, c.address].filter((x) => typeof x === 'string' && x).join(', ');
      const coords =
        typeof c.latitude === 'number' && typeof c.longitude === 'number'
          ? `(${c.latitude}, ${c.longitude})`
          : '';
      return `[location${place || coords ? `: ${[place, coords].filter((x) => x).join(' ')}` : ''}]`;
    }
    case 'contacts': {
      const list = Array.isArray(c.contacts) ? c.contacts : [];
      const names = list.map(contactName).filter((n) => n);
      return names.length ? `[contact: ${names.join(', ')}]` : `[${list.length} contact(s)]`;
    }
    case 'reaction':
      return c.emoji ? `[reaction: ${c.emoji}]` : '[reaction removed]';
    case 'choice':
      return `[chose: ${str(c.title)}]`;
    case 'structured_reply':
      return `[form reply: ${str(c.subtype)}]`;
    case 'order':
      return '[order]';
    case 'system':
      return `[${[str(c.systemType).replace(/_/g, ' '), c.body].filter((x) => x).join(': ')}]`;
    case 'request_welcome':
      return '[opened the chat]';
    case 'buttons': {
      const titles = objects(c.buttons).map((b) => str(b.title));
      return joinParts([c.header, c.body, c.footer], titles);
    }
    case 'list': {
      const rows = objects(c.sections).flatMap((s) => objects(s.rows).map((r) => str(r.title)));
      return joinParts([c.header, c.body, c.footer], [`${str(c.buttonText)}: ${rows.join(' | ')}`]);
    }
    case 'template':
      return templateText(c);
    default:
      // `unsupported` (the channel could not show it), `unknown` (a kind we do not interpret), and any
      // kind added after this code.
      return '[unsupported message]';
  }
}

/** The objects of what should be an array of objects (content is validated loosely). */
function objects<T>(v: readonly T[] | undefined): T[] {
  return Array.isArray(v) ? v.filter((x): x is T => typeof x === 'object' && x !== null) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function joinParts(texts: unknown[], choices: string[]): string {
  const body = texts.filter((t): t is string => typeof t === 'string' && t !== '').join('\n');
  return `${body} [${choices.join(' | ')}]`.trim();
}

function contactName(v: unknown): string {
  if (!v || typeof v !== 'object') return '';
  const name = (v as { name?: unknown }).name;
  if (typeof name === 'string') return name;
  if (name && typeof name === 'object') {
    const n = name as { formatted_name?: unknown; first_name?: unknown; last_name?: unknown };
    if (typeof n.formatted_name === 'string') return n.formatted_name;
    return [n.first_name, n.last_name].filter((x) => typeof x === 'string').join(' ');
  }
  return '';
}

function parameterText(p: TemplateParameter): string {
  const named = (v: string) => ('name' in p && typeof p.name === 'string' ? `${p.name}=${v}` : v);
  switch (p.type) {
    case 'text':
      return named(str(p.text));
    case 'payload':
      return str(p.payload);
    case 'media':
      return `[${str(p.kind)}${p.media?.filename ? `: ${p.media.filename}` : ''}]`;
    case 'currency':
    case 'date_time':
      return named(str(p.fallback));
    default:
      return '';
  }
}

function templateText(c: Extract<MessageContent, { type: 'template' }>): string {
  const params = [...objects(c.header), ...objects(c.body)]
    .map(parameterText)
    .filter((x) => x)
    .join(', ');
  return `[template ${str(c.name)}${params ? `: ${params}` : ''}]`;
}

/** `Saturday 30 May 2026`, from parts: ICU versions differ on the punctuation of the whole. */
function dayLabel(fmt: Intl.DateTimeFormat, at: Date): string {
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    fmt.formatToParts(at).find((p) => p.type === type)?.value;
  return [part('weekday'), part('day'), part('month'), part('year')].filter((x) => x).join(' ');
}

function buildTranscript(exp: PersonExport, opts: TranscriptOptions): Transcript {
  const timeZone = opts.timeZone ?? 'UTC';
  const dayFmt = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const labelFmt = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  const timeFmt = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const name = exp.person.displayName?.trim() || null;
  const days: Day[] = [];
  for (const m of exp.messages) {
    const at = new Date(m.sentAt);
    const date = dayFmt.format(at);
    let day = days[days.length - 1];
    if (!day || day.date !== date) {
      day = { date, label: dayLabel(labelFmt, at), lines: [] };
      days.push(day);
    }
    const speaker = speakerOf(m);
    day.lines.push({
      iso: at.toISOString(),
      time: timeFmt.format(at),
      channel: m.channel,
      speaker,
      who: speaker === 'person' ? (name ?? 'person') : speaker,
      text: contentText(m.content),
      status: m.direction === 'out' ? statusLabel(m.status) : null,
    });
  }
  const channels = [...new Set(exp.contacts.map((c) => c.channel))];
  const count = exp.messages.length;
  return {
    title: name ? `Conversation history of ${name}` : 'Conversation history',
    subtitle:
      `${count} message${count === 1 ? '' : 's'}` +
      (channels.length ? ` on ${channels.join(', ')}` : '') +
      ` · exported ${exp.exportedAt.slice(0, 16).replace('T', ' ')} UTC · times in ${timeZone}`,
    days,
  };
}

/** Markdown special characters, escaped so a message cannot turn into markup (links, HTML, emphasis). */
function mdEscape(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~&]/g, (ch) => `\\${ch}`);
}

/** A continuation line must not start a block of its own (a list, a heading underline). */
function mdBlockEscape(line: string): string {
  return line.replace(/^(\s*)([-+=]|\d+[.)])/, (_all, space: string, mark: string) =>
    mark.length === 1 ? `${space}\\${mark}` : `${space}${mark.slice(0, -1)}\\${mark.slice(-1)}`,
  );
}

/**
 * The transcript as Markdown: a title, one `##` section per day, one list item per message. A message
 * of several lines keeps its line breaks (hard breaks inside the list item).
 */
export function renderMarkdown(exp: PersonExport, opts: TranscriptOptions = {}): string {
  const t = buildTranscript(exp, opts);
  const out = [`# ${mdEscape(t.title)}`, '', mdEscape(t.subtitle)];
  if (t.days.length === 0) out.push('', 'No messages.');
  for (const day of t.days) {
    out.push('', `## ${day.label} (${day.date})`, '');
    for (const l of day.lines) {
      const text = mdEscape(l.text)
        .split(/\r?\n/)
        .map((line, i) => (i === 0 ? line : mdBlockEscape(line)))
        .join('\\\n  ');
      const status = l.status ? ` · ${l.status}` : '';
      out.push(`- ${l.time} · ${l.channel} · ${mdEscape(l.who)} · ${text}${status}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export { escapeHtml };

/** A BCP 47 tag safe for `lang`; anything else is `en` (the language of the labels). */
function htmlLang(language: string | null): string {
  return language && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language) ? language : 'en';
}

const CSS = `
:root{color-scheme:light dark;--muted:#666;--line:#ddd;--in:#f1f1f1;--out:#dcf3e4}
@media (prefers-color-scheme:dark){:root{--muted:#aaa;--line:#444;--in:#2a2a2a;--out:#1f3b2a}}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0}
h2{font-size:1rem;margin:1.5rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
.sub,.meta{color:var(--muted);font-size:.85rem}
ol{list-style:none;margin:0;padding:0}
li{margin:.4rem 0;padding:.4rem .6rem;border-radius:.6rem;background:var(--in);max-width:90%}
li.out{background:var(--out);margin-left:auto}
.text{margin:.1rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
`.trim();

/**
 * The transcript as a standalone HTML page: UTF-8, `lang` from the person's language, readable on a
 * phone (viewport, inline CSS, light and dark), accessible (`main`, headings per day, `time`
 * elements), no external asset. Every message text is escaped, and the page's own Content Security
 * Policy forbids scripts: a message holding markup shows as text.
 */
export function renderHtml(exp: PersonExport, opts: TranscriptOptions = {}): string {
  const t = buildTranscript(exp, opts);
  const e = escapeHtml;
  const sections = t.days.map((day) => {
    const items = day.lines.map((l) => {
      const status = l.status ? ` · <span class="status">${e(l.status)}</span>` : '';
      return (
        `<li class="${l.speaker === 'person' ? 'in' : 'out'}">` +
        `<p class="meta"><time datetime="${e(l.iso)}">${e(l.time)}</time> · ${e(l.channel)} · ` +
        `<span class="who">${e(l.who)}</span>${status}</p>` +
        `<p class="text">${e(l.text)}</p></li>`
      );
    });
    return (
      `<section aria-labelledby="d${day.date}">\n` +
      `<h2 id="d${day.date}"><time datetime="${day.date}">${e(day.label)}</time></h2>\n` +
      `<ol>\n${items.join('\n')}\n</ol>\n</section>`
    );
  });
  return `<!doctype html>
<html lang="${e(htmlLang(exp.person.language))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="robots" content="noindex">
<title>${e(t.title)}</title>
<style>
${CSS}
</style>
</head>
<body>
<main>
<h1>${e(t.title)}</h1>
<p class="sub">${e(t.subtitle)}</p>
${sections.length ? sections.join('\n') : '<p>No messages.</p>'}
</main>
</body>
</html>
`;
}
