import { z } from 'zod';

/** A language code: `en`, `fr`, `pt-BR`… */
const lang = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'expected a language code like "en" or "pt-BR"');

/**
 * One knowledge-base entry (PRODUCT.md contract): an `id`, example `questions` (in any of the KB's
 * languages), an `answer` in `language` (default `en`), optional `translations` of the answer keyed by
 * language, optional `tags`, and an optional short `title` for buttons and menus.
 */
export const KbEntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected an id of letters, digits, ".", "_" or "-"'),
  questions: z
    .array(z.string().trim().min(1, 'expected non-empty questions'))
    .min(1, 'expected at least one example question'),
  answer: z.string().trim().min(1, 'expected a non-empty answer'),
  language: lang.optional(),
  tags: z.array(z.string()).optional(),
  translations: z.record(lang, z.string().trim().min(1, 'expected a non-empty translation')).optional(),
  title: z.string().trim().min(1).max(60, 'expected a title of at most 60 characters').optional(),
});
export type KbEntry = z.infer<typeof KbEntrySchema>;

const share = (what: string) =>
  z
    .number({ message: `expected ${what}: a number between 0 and 1 (exclusive)` })
    .gt(0, `expected ${what}: a number between 0 and 1 (exclusive)`)
    .lt(1, `expected ${what}: a number between 0 and 1 (exclusive)`);

/**
 * How strictly the offline assistant declines messages as out of scope (docs/kb-matcher.md,
 * "Thresholds"): either the expected `share` of off-topic messages in the traffic (default 0.2), or a
 * floor, `minRecall`, on the share of off-topic messages that must be declined; and off-topic
 * `examples` of the business's own.
 */
export const OutOfScopeSchema = z
  .object({
    share: share('the share of off-topic traffic').optional(),
    minRecall: share('the least share of off-topic messages to decline').optional(),
    /**
     * Off-topic questions in the KB's languages, added to the built-in ones (which exist for en, fr,
     * es, pt, de and it): the out-of-scope decision is calibrated on them.
     */
    examples: z
      .array(z.string().trim().min(1, 'expected non-empty examples'), {
        message: 'expected a list of off-topic questions',
      })
      .optional(),
  })
  .strict()
  .refine((o) => o.share === undefined || o.minRecall === undefined, {
    message: 'expected either share or minRecall, not both',
  });
export type OutOfScopeSetting = z.infer<typeof OutOfScopeSchema>;

/**
 * The KB-wide settings: top-level keys of a JSON/YAML KB, or a folder's `kb.yaml`. A key left empty
 * (YAML `business:`) counts as absent; an unknown key is an error, so that a misspelt setting
 * (`outofscope:`) is not silently ignored.
 */
export const KbMetaSchema = z
  .object({
    business: z.string().nullish(),
    /** Language of answers without their own `language` (default `en`). */
    language: lang.nullish(),
    outOfScope: OutOfScopeSchema.nullish(),
  })
  .strict();

export const KbFileSchema = KbMetaSchema.extend({
  /** An editor's JSON Schema reference, ignored. */
  $schema: z.string().optional(),
  entries: z.array(z.unknown()).min(1, 'expected at least one entry'),
}).strict();

/** A loaded, validated knowledge base. */
export interface KnowledgeBase {
  business?: string;
  /** Default answer language. */
  language: string;
  entries: KbEntry[];
  /** How strictly out-of-scope messages are declined (default: an expected share of 0.2). */
  outOfScope?: OutOfScopeSetting;
  /** Where it was loaded from. */
  source: string;
}

/** The answer of an entry in a language, falling back to its own language. */
export function answerIn(
  entry: KbEntry,
  language: string,
  kbLanguage = 'en',
): { text: string; language: string } {
  const own = entry.language ?? kbLanguage;
  if (language === own) return { text: entry.answer, language: own };
  const t = entry.translations?.[language] ?? entry.translations?.[language.split('-')[0]!];
  return t ? { text: t, language } : { text: entry.answer, language: own };
}

/** A button-sized title: the entry's `title`, else its id made readable ("opening-hours" → "Opening hours"). */
export function entryTitle(entry: KbEntry, max = 20): string {
  const s = entry.title ?? entry.id.replace(/[-_.]+/g, ' ');
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return t.length <= max ? t : t.slice(0, max - 1) + '…';
}
