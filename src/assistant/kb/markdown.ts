import { parse as parseYaml } from 'yaml';
import { KbError } from './errors.ts';

/**
 * One knowledge-base entry written as Markdown, so a business can keep its KB in plain files:
 *
 * ```markdown
 * ---
 * id: opening-hours        # optional: defaults to the file name
 * language: en             # optional: the answer's language
 * tags: [store]
 * title: Opening hours     # optional: button label
 * ---
 * ## Questions
 * - When are you open?
 * - Quand êtes-vous ouverts ?
 *
 * ## Answer
 * We are open Monday to Saturday, 9:00–18:00.
 *
 * ## Answer (fr)
 * Nous sommes ouverts du lundi au samedi, de 9 h à 18 h.
 * ```
 * Returns the raw entry object, validated by the caller.
 */
export function parseMarkdownEntry(text: string, fallbackId: string, file: string): Record<string, unknown> {
  let body = text.replace(/^\uFEFF/, '');
  let front: Record<string, unknown> = {};
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(body);
  if (fm) {
    try {
      const parsed: unknown = parseYaml(fm[1]!);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        front = parsed as Record<string, unknown>;
      else if (parsed !== null) throw new Error('front matter is not a mapping');
    } catch (err) {
      throw new KbError([`${file}: front matter: ${(err as Error).message.split('\n')[0]}`]);
    }
    body = body.slice(fm[0].length);
  }

  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const h = /^##\s+(.+?)\s*$/.exec(line);
    if (h) {
      current = [];
      sections.set(h[1]!.toLowerCase(), current);
    } else current?.push(line);
  }

  const entry: Record<string, unknown> = { id: fallbackId, ...front };
  const questions = sections.get('questions');
  if (questions) {
    entry.questions = [
      ...((front.questions as unknown[] | undefined) ?? []),
      ...questions
        .map((l) => /^\s*[-*+]\s+(.*\S)\s*$/.exec(l)?.[1])
        .filter((q): q is string => q !== undefined),
    ];
  }
  const translations: Record<string, string> = {
    ...((front.translations as Record<string, string> | undefined) ?? {}),
  };
  for (const [title, lines] of sections) {
    const text = lines.join('\n').trim();
    if (title === 'answer') entry.answer = text;
    const t = /^answer\s*\(([^)]+)\)$/.exec(title);
    if (t) translations[t[1]!.trim()] = text;
  }
  if (Object.keys(translations).length > 0) entry.translations = translations;
  if (entry.answer === undefined && !sections.has('answer')) {
    throw new KbError([`${file}: entry "${String(entry.id)}": missing a "## Answer" section`]);
  }
  if (entry.questions === undefined) {
    throw new KbError([
      `${file}: entry "${String(entry.id)}": missing a "## Questions" section (a list of example questions)`,
    ]);
  }
  return entry;
}
