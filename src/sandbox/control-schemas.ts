import { z } from 'zod';

/** `POST <base>/api/users`: a simulated user (see `UserInput`). */
export const userInputSchema = z.object({
  waId: z.string().optional(),
  name: z.string().min(1).max(100),
  userId: z.union([z.string(), z.literal(true)]).optional(),
  username: z.string().optional(),
  countryCode: z.string().length(2).optional(),
});

const media = (type: 'image' | 'video' | 'audio' | 'document' | 'sticker') =>
  z.object({
    type: z.literal(type),
    /** Base64 bytes; a placeholder file when absent. */
    data: z.string().optional(),
    mimeType: z.string().optional(),
    caption: z.string().optional(),
    filename: z.string().optional(),
    voice: z.boolean().optional(),
  });

/** `POST <base>/api/users/:user/messages`: what the simulated user sends (see `UserContent`). */
export const userContentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.string().min(1),
    forwarded: z.boolean().optional(),
    replyTo: z.string().optional(),
  }),
  media('image'),
  media('video'),
  media('audio'),
  media('document'),
  media('sticker'),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().optional(),
    address: z.string().optional(),
    url: z.string().optional(),
  }),
  z.object({ type: z.literal('contacts'), contacts: z.array(z.record(z.string(), z.unknown())).min(1) }),
  z.object({ type: z.literal('reaction'), messageId: z.string(), emoji: z.string().nullable() }),
  z.object({ type: z.literal('tap'), messageId: z.string(), choice: z.string() }),
]);

export const tapSchema = z.object({ messageId: z.string(), choice: z.string() });
export const reactSchema = z.object({ messageId: z.string(), emoji: z.string().nullable() });
export const readSchema = z.object({ upToId: z.string().optional() }).optional();
export const advanceSchema = z.object({ ms: z.number().nonnegative() });
export const verifySchema = z.object({ verifyToken: z.string().optional() }).optional();

/** `PATCH <base>/api/settings`: any subset of `SandboxSettings`. */
export const settingsPatchSchema = z
  .object({
    webhookUrl: z.string().url().optional(),
    windowMode: z.enum(['async', 'sync']),
    throughputPerSecond: z.number().positive(),
    pairRate: z.object({ perSeconds: z.number().positive(), burst: z.number().int().positive() }).nullable(),
    marketingCap: z.object({ perUser: z.number().int().positive(), perMs: z.number().positive() }).nullable(),
    statusDelaysMs: z.object({
      sent: z.number().nonnegative().optional(),
      delivered: z.number().nonnegative().nullable().optional(),
      read: z.number().nonnegative().nullable().optional(),
    }),
    skipDeliveredOnRead: z.boolean(),
    webhookRetry: z.object({
      baseDelayMs: z.number().nonnegative(),
      maxAttempts: z.number().int().positive(),
    }),
    webhookTimeoutMs: z.number().positive(),
    duplicates: z.number().int().nonnegative(),
    batchWindowMs: z.number().nonnegative(),
    bsuid: z.boolean(),
    unknownRecipients: z.enum(['create', 'undeliverable']),
    defaultTemplateCategory: z.enum(['marketing', 'utility', 'authentication']),
  })
  .partial()
  .strict();
