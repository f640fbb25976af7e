import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The sample business knowledge base shipped with the package, used when `PASSERELLE_KB` is unset. */
export const SAMPLE_KB = fileURLToPath(new URL('../../kb/sample.json', import.meta.url));

/** One knowledge-base entry (PRODUCT.md contract). */
export const KbEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected an id of letters, digits, ".", "_" or "-"'),
  questions: z.array(z.string().min(1)).min(1, 'expected at least one example question'),
  answer: z.string().min(1, 'expected a non-empty answer'),
  language: z.string().optional(),
  tags: z.array(z.string()).optional(),
});
export type KbEntry = z.infer<typeof KbEntrySchema>;

const KbFileSchema = z.object({
  business: z.string().optional(),
  entries: z.array(KbEntrySchema).min(1, 'expected at least one entry'),
});

export interface KnowledgeBase {
  business?: string;
  entries: KbEntry[];
}

/** Thrown for an unreadable or invalid knowledge base; the message names the file and the entry. */
export class KbError extends Error {
  override name = 'KbError';
}

/** Loads a JSON knowledge base. Validation errors name the file, the entry and the problem. */
export function loadKnowledgeBase(file: string): KnowledgeBase {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new KbError(`${file}: ${(err as Error).message}`);
  }
  const parsed = KbFileSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const [top, index, ...rest] = i.path;
      const entries = (data as { entries?: { id?: unknown }[] }).entries;
      const where =
        top === 'entries' && typeof index === 'number'
          ? `entry ${index}${typeof entries?.[index]?.id === 'string' ? ` ("${entries[index].id}")` : ''}${rest.length ? ` field ${rest.join('.')}` : ''}`
          : i.path.join('.') || '(root)';
      return `${file}: ${where}: ${i.message}`;
    });
    throw new KbError(lines.join('\n'));
  }
  const seen = new Set<string>();
  for (const e of parsed.data.entries) {
    if (seen.has(e.id)) throw new KbError(`${file}: entry "${e.id}": duplicate id`);
    seen.add(e.id);
  }
  return parsed.data;
}
