import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { KbError } from './errors.ts';
import { parseMarkdownEntry } from './markdown.ts';
import { KbEntrySchema, KbFileSchema, KbMetaSchema } from './schema.ts';
import type { KbEntry, KnowledgeBase, OutOfScopeSetting } from './schema.ts';

/** The sample business shipped with the package (four languages), used when `PASSERELLE_KB` is unset. */
export const SAMPLE_KB = fileURLToPath(new URL('../../../kb/sample', import.meta.url));

export { KbError };

/**
 * Loads a knowledge base from a folder of Markdown files (one entry per file, see `markdown.ts`) or
 * from one JSON or YAML file (`{ entries: [...] }`). Every problem is collected, so an author sees
 * them all at once; any problem fails the load (a half-valid KB is never served).
 */
export function loadKnowledgeBase(path: string): KnowledgeBase {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new KbError([`${path}: no such file or folder`]);
  }
  const kb = stat.isDirectory() ? loadFolder(path) : loadFile(path);
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { entry, where } of kb.located) {
    const prev = seen.get(entry.id);
    if (prev) problems.push(`${where}: duplicate id "${entry.id}" (also in ${prev})`);
    else seen.set(entry.id, where);
  }
  if (problems.length > 0) throw new KbError(problems);
  return {
    ...(kb.business ? { business: kb.business } : {}),
    language: kb.language ?? 'en',
    entries: kb.located.map((l) => l.entry),
    ...(kb.outOfScope ? { outOfScope: kb.outOfScope } : {}),
    source: path,
  };
}

interface Located {
  entry: KbEntry;
  where: string;
}
interface Partial {
  business?: string;
  language?: string;
  outOfScope?: OutOfScopeSetting;
  located: Located[];
}

function loadFile(file: string): Partial {
  const ext = extname(file).toLowerCase();
  if (ext === '.md') return { located: [parseMd(file)] };
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new KbError([`${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const top = KbFileSchema.safeParse(data);
  if (!top.success)
    throw new KbError(top.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`));
  const problems: string[] = [];
  const located: Located[] = [];
  top.data.entries.forEach((raw, index) => {
    const id = (raw as { id?: unknown } | null)?.id;
    const where = `${file}: entry ${index}${typeof id === 'string' ? ` ("${id}")` : ''}`;
    const r = KbEntrySchema.safeParse(raw);
    if (r.success) located.push({ entry: r.data, where });
    else problems.push(...issues(where, r.error));
  });
  if (problems.length > 0) throw new KbError(problems);
  return { ...meta(top.data), located };
}

function loadFolder(dir: string): Partial {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && !f.startsWith('.') && f.toLowerCase() !== 'readme.md')
    .sort();
  if (files.length === 0) throw new KbError([`${dir}: no Markdown entries (*.md) in this folder`]);
  const problems: string[] = [];
  const located: Located[] = [];
  let settings: Omit<Partial, 'located'> = {};
  const metaFile = join(dir, 'kb.yaml');
  try {
    const parsed = KbMetaSchema.safeParse(parseYaml(readFileSync(metaFile, 'utf8')) ?? {});
    if (parsed.success) settings = meta(parsed.data);
    else
      problems.push(
        ...parsed.error.issues.map((i) => `${metaFile}: ${i.path.join('.') || '(root)'}: ${i.message}`),
      );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`${metaFile}: ${(err as Error).message.split('\n')[0]}`);
  }
  for (const f of files) {
    try {
      located.push(parseMd(join(dir, f)));
    } catch (err) {
      if (err instanceof KbError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new KbError(problems);
  return { ...settings, located };
}

/** The KB-wide settings that were given (absent keys stay absent). */
function meta(data: {
  business?: string | null;
  language?: string | null;
  outOfScope?: OutOfScopeSetting | null;
}) {
  return {
    ...(data.business ? { business: data.business } : {}),
    ...(data.language ? { language: data.language } : {}),
    ...(data.outOfScope && Object.keys(data.outOfScope).length ? { outOfScope: data.outOfScope } : {}),
  };
}

function parseMd(file: string): Located {
  const raw = parseMarkdownEntry(readFileSync(file, 'utf8'), basename(file, '.md'), file);
  const where = `${file}: entry "${String(raw.id)}"`;
  const r = KbEntrySchema.safeParse(raw);
  if (!r.success) throw new KbError(issues(where, r.error));
  return { entry: r.data, where };
}

function issues(where: string, err: z.ZodError): string[] {
  return err.issues.map((i) => `${where}${i.path.length ? ` field ${i.path.join('.')}` : ''}: ${i.message}`);
}
