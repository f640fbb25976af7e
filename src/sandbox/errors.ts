import { newFbtraceId } from './ids.ts';

/** What Meta says about one error code: its title, usual details and HTTP status (spec §2.4). */
export interface ErrorSpec {
  title: string;
  details: string;
  http: number;
}

/**
 * The error codes the sandbox can produce, with Meta's titles and the HTTP status of spec §2.4's
 * table. Codes that are only ever asynchronous (131049, 131050…) keep 400 for the rare forced case.
 */
export const ERROR_CATALOG: Readonly<Record<number, ErrorSpec>> = {
  0: { title: 'AuthException', details: 'We were unable to authenticate the app user.', http: 401 },
  2: { title: 'Service temporarily unavailable', details: 'Temporary service issue.', http: 503 },
  4: { title: 'Application request limit reached', details: 'Too many API calls by the app.', http: 400 },
  10: { title: 'Permission denied', details: 'Permission is not granted or has been removed.', http: 403 },
  100: { title: 'Invalid parameter', details: 'Invalid parameter.', http: 400 },
  190: { title: 'Access token has expired', details: 'The access token is invalid or expired.', http: 401 },
  200: { title: 'Permission denied', details: 'Permission is not granted.', http: 403 },
  368: {
    title: 'Temporarily blocked for policies violations',
    details: 'The WhatsApp Business Account is restricted for violating a platform policy.',
    http: 403,
  },
  80007: {
    title: 'Rate limit issues',
    details: 'The WhatsApp Business Account reached its rate limit.',
    http: 400,
  },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.', http: 400 },
  131000: {
    title: 'Something went wrong',
    details: 'Message failed to send due to an unknown error.',
    http: 500,
  },
  131005: {
    title: 'Access denied',
    details: 'Permission is either not granted or has been removed.',
    http: 403,
  },
  131008: {
    title: 'Required parameter is missing',
    details: 'The request is missing a required parameter.',
    http: 400,
  },
  131009: {
    title: 'Parameter value is not valid',
    details: 'One or more parameter values are invalid.',
    http: 400,
  },
  131016: { title: 'Service unavailable', details: 'A service is temporarily unavailable.', http: 500 },
  131021: {
    title: 'Recipient cannot be sender',
    details: 'Sender and recipient phone number is the same.',
    http: 400,
  },
  131026: {
    title: 'Message undeliverable',
    details:
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; ' +
      'the recipient has not accepted the terms of service; the recipient is using an old WhatsApp version.',
    http: 400,
  },
  131031: { title: 'Account has been locked', details: 'The business account has been locked.', http: 403 },
  131047: {
    title: 'Re-engagement message',
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    http: 400,
  },
  131048: {
    title: 'Spam rate limit hit',
    details:
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
    http: 400,
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    http: 400,
  },
  131050: {
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The user has stopped marketing messages from this business.',
    http: 400,
  },
  131051: { title: 'Message type unknown', details: 'Message type is currently not supported.', http: 400 },
  131052: {
    title: 'Media download error',
    details: 'Unable to download the media sent by the user.',
    http: 400,
  },
  131053: {
    title: 'Media upload error',
    details: 'Unable to upload the media used in the message.',
    http: 400,
  },
  131056: {
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details:
      'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
    http: 400,
  },
  131057: {
    title: 'Account in maintenance mode',
    details: 'Business Account is in maintenance mode.',
    http: 500,
  },
  132000: {
    title: 'Number of parameters does not match the expected number of params',
    details:
      'The number of variable parameter values does not match the number of variables in the template.',
    http: 400,
  },
  132001: {
    title: 'Template name does not exist in the translation',
    details: 'The template does not exist in the specified language or has not been approved.',
    http: 404,
  },
  132012: {
    title: 'Parameter format does not match format in the created template',
    details: 'Variable parameter values formatted incorrectly.',
    http: 400,
  },
  132015: { title: 'Template is Paused', details: 'The template is paused due to low quality.', http: 400 },
  132016: {
    title: 'Template is Disabled',
    details: 'The template has been permanently disabled.',
    http: 400,
  },
};

const DEFAULT_SPEC: ErrorSpec = { title: 'Something went wrong', details: 'Unknown error.', http: 400 };

/** The catalogue entry for `code`, or a generic one for codes the sandbox does not know. */
export function errorSpec(code: number): ErrorSpec {
  return ERROR_CATALOG[code] ?? DEFAULT_SPEC;
}

/** The JSON body of a Graph API error (spec §2.4). */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    error_subcode?: number;
    fbtrace_id: string;
  };
}

/** Options to shape one Graph error beyond its catalogue defaults. */
export interface GraphErrorInit {
  details?: string;
  /** Full `message`; default `(#<code>) <title>`. */
  message?: string;
  http?: number;
  type?: string;
  subcode?: number;
  /** Graph-level errors (auth, unknown object) carry no WhatsApp `error_data`. */
  withErrorData?: boolean;
}

/**
 * An error the sandbox answers with, exactly as Meta would: thrown by validators and limits, turned
 * into `{ error: { message, type, code, error_data, fbtrace_id } }` by the routes.
 */
export class GraphError extends Error {
  readonly code: number;
  readonly http: number;
  readonly details: string;
  readonly type: string;
  readonly subcode: number | undefined;
  readonly withErrorData: boolean;

  constructor(code: number, init: GraphErrorInit = {}) {
    const spec = errorSpec(code);
    super(init.message ?? `(#${code}) ${spec.title}`);
    this.name = 'GraphError';
    this.code = code;
    this.http = init.http ?? spec.http;
    this.details = init.details ?? spec.details;
    this.type = init.type ?? 'OAuthException';
    this.subcode = init.subcode;
    this.withErrorData = init.withErrorData ?? true;
  }

  /** The response body, with a fresh `fbtrace_id`. */
  toBody(): GraphErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        ...(this.withErrorData
          ? { error_data: { messaging_product: 'whatsapp', details: this.details } }
          : {}),
        ...(this.subcode !== undefined ? { error_subcode: this.subcode } : {}),
        fbtrace_id: newFbtraceId(),
      },
    };
  }
}

/** One entry of `statuses[].errors` or `value.errors` in a webhook (spec §1.5: `title` equals `message`). */
export interface WebhookErrorObject {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

/** Builds a webhook error object for `code`, as in a `failed` status. */
export function webhookError(code: number, details?: string): WebhookErrorObject {
  const spec = errorSpec(code);
  return {
    code,
    title: spec.title,
    message: spec.title,
    error_data: { details: details ?? spec.details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}

/** `(#100) The parameter <path> is required.`: Graph's own check of a required parameter. */
export function paramRequired(path: string): GraphError {
  const message = `(#100) The parameter ${path} is required.`;
  return new GraphError(100, { message, details: message.slice(7) });
}

/** `(#100) Param <path> must be at most <max> characters long.` */
export function paramTooLong(path: string, max: number): GraphError {
  const message = `(#100) Param ${path} must be at most ${max} characters long.`;
  return new GraphError(100, { message, details: message.slice(7) });
}

/** `(#100) Invalid parameter` with the given details. */
export function invalidParameter(details: string): GraphError {
  return new GraphError(100, { details });
}

/** `(#131008) Required parameter is missing` with the given details. */
export function missingParameter(details: string): GraphError {
  return new GraphError(131008, { details });
}

/** `(#131009) Parameter value is not valid` with the given details. */
export function invalidValue(details: string): GraphError {
  return new GraphError(131009, { details });
}
