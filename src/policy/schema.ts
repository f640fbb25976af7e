import { z } from 'zod';
import { normaliseKeyword } from './inbound.ts';

/**
 * The policy file's schema (zod): every key optional, each overriding the shipped default of its
 * channel (`profiles.ts`). Unknown keys are errors, so a misspelt rule never silently does nothing.
 * Lists of words and periods either replace the default (a list) or edit it (`{ add, remove }`).
 */

const TEMPLATE_NAME = /^[a-z0-9_]+$/;

const nonEmpty = z.string().trim().min(1, 'expected a non-empty string');

/** Zod 4 runs refinements after a failed regex too: this must not throw on any string. */
function isCalendarDay(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s);
}

/** `YYYY-MM-DD`; YAML 1.1 readers may hand over a Date, accepted as its UTC day. */
const day = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
  z
    .string({ error: 'expected a date YYYY-MM-DD' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date YYYY-MM-DD', abort: true })
    .refine(isCalendarDay, 'expected a real calendar date'),
);

const country = z
  .string({ error: 'expected an ISO 3166-1 alpha-2 country code like "BR"' })
  .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code like "BR"')
  .transform((s) => s.toUpperCase());

const period = { from: day, until: day.optional() };
const untilAfterFrom = (p: { from: string; until?: string | undefined }) =>
  p.until === undefined || p.until >= p.from;

const carveOut = z
  .strictObject({
    id: nonEmpty,
    countries: z.array(country).min(1, 'expected at least one country'),
    ...period,
    source: nonEmpty.default('policy file'),
  })
  .refine(untilAfterFrom, { message: 'expected a date on or after "from"', path: ['until'] });

const categoryPause = z
  .strictObject({
    id: nonEmpty,
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
    countries: z.array(country).min(1, 'expected at least one country'),
    ...period,
    source: nonEmpty.default('policy file'),
  })
  .refine(untilAfterFrom, { message: 'expected a date on or after "from"', path: ['until'] });

const word = nonEmpty.refine((w) => normaliseKeyword(w) !== '', 'expected a word with letters or digits');

/** A list replaces the default; `{ add, remove }` edits it (`remove` by word or by `id`). */
const listOverride = <T extends z.ZodType>(item: T) =>
  z.union(
    [z.array(item), z.strictObject({ add: z.array(item).optional(), remove: z.array(nonEmpty).optional() })],
    { error: 'expected a list (replaces the default) or { add: [...], remove: [...] }' },
  );

const parameterSpec = z.union(
  [
    z.number().int().min(0),
    z
      .array(z.string().regex(TEMPLATE_NAME, 'expected a parameter name of lowercase letters, digits and _'))
      .refine((a) => new Set(a).size === a.length, 'expected distinct parameter names'),
  ],
  { error: 'expected a count of positional parameters or a list of parameter names' },
);

const templateName = z
  .string({ error: 'expected a template name' })
  .max(512, 'expected at most 512 characters')
  .regex(TEMPLATE_NAME, 'expected lowercase letters, digits and _ (spec §2.2)');

const approvedTemplate = z.strictObject({
  name: templateName,
  language: nonEmpty,
  category: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION'])),
  body: parameterSpec.optional(),
  header: z
    .discriminatedUnion('format', [
      z.strictObject({ format: z.literal('text'), parameters: parameterSpec.optional() }),
      z.strictObject({ format: z.enum(['image', 'video', 'document']) }),
    ])
    .optional(),
  buttons: z
    .array(
      z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('quick_reply') }),
        z.strictObject({ type: z.literal('url'), dynamic: z.boolean().optional() }),
        z.strictObject({ type: z.literal('phone_number') }),
        z.strictObject({ type: z.literal('copy_code') }),
      ]),
    )
    .max(10, 'expected at most 10 buttons')
    .optional(),
  status: z.enum(['approved', 'paused', 'disabled']).optional(),
});

const templateRef = z.strictObject({
  name: templateName,
  language: nonEmpty,
  parameters: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
});

const rate = z.strictObject({
  messages: z.number().positive('expected a positive number'),
  perSeconds: z.number().positive('expected a positive number'),
  burst: z.number().int().positive('expected a positive integer').optional(),
});

const rateOrOff = rate.nullable();

const texts = z.record(
  z.string().regex(/^[a-z]{2,3}$/, 'expected a primary language subtag like "fr"'),
  nonEmpty,
);

/** One channel's overrides. */
export const ProfileOverrideSchema = z.strictObject({
  scope: z.enum(['business', 'general']).optional(),
  generalPurpose: listOverride(carveOut).optional(),
  window: z
    .strictObject({
      hours: z.number().positive('expected a positive number of hours').optional(),
      outside: z
        .strictObject({
          template: templateRef.nullable().optional(),
          templateByLanguage: z
            .record(z.string().regex(/^[a-z]{2,3}$/, 'expected a language like "fr"'), templateRef)
            .optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
  optOutWords: listOverride(word).optional(),
  optInWords: listOverride(word).optional(),
  escalationWords: listOverride(word).optional(),
  escalationChoiceIds: listOverride(nonEmpty).optional(),
  requireOptInForBusinessInitiated: z.boolean().optional(),
  trainingUse: z.enum(['forbidden', 'exclusive_fine_tune', 'operator_decides']).optional(),
  rateLimits: z
    .strictObject({
      perAccount: rateOrOff.optional(),
      perRecipient: rateOrOff.optional(),
      perGroup: rateOrOff.optional(),
      perSender: rateOrOff.optional(),
    })
    .optional(),
  templates: z.array(approvedTemplate).optional(),
  templatePauses: listOverride(categoryPause).optional(),
  confirmations: z.strictObject({ opt_out: texts.optional(), opt_in: texts.optional() }).optional(),
});

/** The whole file: a version and one optional section per channel. */
export const PolicyFileSchema = z.strictObject({
  version: z.literal(1, { error: 'expected 1' }).optional(),
  whatsapp: ProfileOverrideSchema.optional(),
  telegram: ProfileOverrideSchema.optional(),
  webchat: ProfileOverrideSchema.optional(),
});

export type ProfileOverride = z.infer<typeof ProfileOverrideSchema>;
export type PolicyFile = z.infer<typeof PolicyFileSchema>;

/** `{ add, remove }` or a replacing list, after parsing. */
export type ListOverride<T> = T[] | { add?: T[] | undefined; remove?: string[] | undefined };
