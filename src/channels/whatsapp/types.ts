/**
 * Wire types of the WhatsApp Cloud API, as zod schemas: webhook bodies (spec §1.3–1.5) and Graph API
 * responses (spec §2.3–2.5). Every object schema is loose: fields Meta adds tomorrow pass through
 * untouched, and only the fields this adapter reads are checked. Nothing outside `channels/whatsapp`
 * should import from here; the rest of the gateway sees `InboundEvent` and `MessageContent` only.
 */
import { z } from 'zod';

/** Unix seconds, as a string in every webhook example (spec §1.3) but tolerated as a number. */
export const Timestamp = z.union([z.string(), z.number()]);

/** Error codes are numbers on the wire; a numeric string is tolerated. */
const ErrorCode = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number);

/** One `errors[]` item, in `value.errors`, `messages[].errors` or `statuses[].errors` (spec §1.4). */
export const WaError = z.looseObject({
  code: ErrorCode,
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
  href: z.string().optional(),
});
export type WaError = z.infer<typeof WaError>;

/** `value.contacts[]`: who sent a message; `wa_id` may be `""` for BSUID-only users (spec §1.7). */
export const WaContact = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z
    .looseObject({
      name: z.string().optional(),
      username: z.string().optional(),
      country_code: z.string().optional(),
    })
    .optional(),
});
export type WaContact = z.infer<typeof WaContact>;

/** `messages[].context`: the message replied to, forwarding flags (spec §1.4). */
export const WaContext = z.looseObject({
  id: z.string().optional(),
  from: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
});

/**
 * One `messages[]` item. Only the envelope of the message is checked here; the per-type object
 * (`text`, `image`, …) is read by `inbound-content.ts`, which never throws on an unknown type.
 */
export const WaMessage = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: Timestamp.optional(),
  group_id: z.string().optional(),
  context: WaContext.optional(),
  referral: z.unknown().optional(),
  errors: z.array(WaError).optional(),
});
export type WaMessage = z.infer<typeof WaMessage>;

/** One `statuses[]` item (spec §1.5). */
export const WaStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: Timestamp.optional(),
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  recipient_participant_id: z.string().optional(),
  recipient_type: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(WaError).optional(),
  conversation: z
    .looseObject({
      id: z.string().optional(),
      expiration_timestamp: Timestamp.optional(),
      origin: z.looseObject({ type: z.string().optional() }).optional(),
    })
    .optional(),
  pricing: z
    .looseObject({
      billable: z.boolean().optional(),
      pricing_model: z.string().optional(),
      type: z.string().optional(),
      category: z.string().optional(),
    })
    .optional(),
});
export type WaStatus = z.infer<typeof WaStatus>;

/** The `value` of a `field: "messages"` change: messages, statuses or account-level errors. */
export const WaMessagesValue = z.looseObject({
  metadata: z
    .looseObject({ phone_number_id: z.string(), display_phone_number: z.string().optional() })
    .optional(),
  contacts: z.array(WaContact).optional(),
  messages: z.array(WaMessage).optional(),
  statuses: z.array(WaStatus).optional(),
  errors: z.array(WaError).optional(),
});
export type WaMessagesValue = z.infer<typeof WaMessagesValue>;

/** One `entry[].changes[]` item. `value` is checked later, and only for `field: "messages"`. */
export const WaChange = z.looseObject({ field: z.string(), value: z.unknown() });
export type WaChange = z.infer<typeof WaChange>;

/** The webhook envelope (spec §1.3). `entry[].id` is the WABA id (or a business id for some fields). */
export const WaWebhook = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.union([z.string(), z.number()]).transform(String),
      time: z.number().optional(),
      changes: z.array(WaChange),
    }),
  ),
});
export type WaWebhook = z.infer<typeof WaWebhook>;

// ---- per-type message objects (spec §1.4), read by inbound-content.ts ----

/** `text` object of a text message. */
export const WaText = z.looseObject({ body: z.string() });

/** `image`, `audio`, `video`, `document` and `sticker` share this shape; `sha256` is base64. */
export const WaMedia = z.looseObject({
  id: z.string().optional(),
  url: z.string().optional(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

/** Coordinates are numbers in every example (spec §1.4); a numeric string is tolerated. */
const Coordinate = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .pipe(z.number().finite());

/** `location` object: shared pin or reply to a location request. */
export const WaLocation = z.looseObject({
  latitude: Coordinate,
  longitude: Coordinate,
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

/** `reaction` object; `emoji` is omitted when the user removed the reaction (spec §1.4). */
export const WaReaction = z.looseObject({ message_id: z.string(), emoji: z.string().optional() });

/** Template quick-reply tap: `payload` defaults to the label (spec §1.4). */
export const WaButton = z.looseObject({ payload: z.string().optional(), text: z.string() });

/** `interactive.button_reply` / `interactive.list_reply` (spec §1.4). */
export const WaChoice = z.looseObject({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
});

/** `interactive` object: its `type` names the sub-object that holds the reply. */
export const WaInteractive = z.looseObject({ type: z.string() });

/** `system` object, e.g. `user_changed_number` with the new `wa_id` (older payloads: `new_wa_id`). */
export const WaSystem = z.looseObject({
  type: z.string().optional(),
  body: z.string().optional(),
  wa_id: z.string().optional(),
  new_wa_id: z.string().optional(),
});

/** `unsupported` object: the kind WhatsApp could not pass on (`edit`, `poll`, …); may be absent. */
export const WaUnsupported = z.looseObject({ type: z.string().optional() });

// ---- Graph API responses (spec §2.3–2.5) ----

/** Success body of `POST /<PHONE_NUMBER_ID>/messages` (spec §2.3): accepted, not delivered. */
export const SendMessageResponse = z.looseObject({
  messaging_product: z.string().optional(),
  contacts: z
    .array(
      z.looseObject({
        input: z.string().optional(),
        wa_id: z.string().optional(),
        user_id: z.string().optional(),
      }),
    )
    .optional()
    .default([]),
  messages: z.array(z.looseObject({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
});
export type SendMessageResponse = z.infer<typeof SendMessageResponse>;

/** `GET /<MEDIA_ID>` (spec §2.5): the download URL expires after 5 minutes. */
export const MediaInfo = z.looseObject({
  id: z.string(),
  url: z.string(),
  mime_type: z.string(),
  sha256: z.string().optional(),
  file_size: z.union([z.number(), z.string()]).transform(Number).optional(),
});
export type MediaInfo = z.infer<typeof MediaInfo>;

/** The Graph error envelope (spec §2.4). */
export const GraphErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: ErrorCode,
    error_subcode: ErrorCode.optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    error_data: z.union([z.looseObject({ details: z.string().optional() }), z.string()]).optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type GraphErrorBody = z.infer<typeof GraphErrorBody>;
