import type { SandboxContext } from './context.ts';
import { windowOpen } from './context.ts';
import { GraphError, invalidParameter, invalidValue, webhookError } from './errors.ts';
import type { WebhookErrorObject } from './errors.ts';
import type { SendFault } from './faults.ts';
import { newWamid } from './ids.ts';
import type { OutboundMessage, Pricing, SimUser } from './state.ts';
import type { ResolvedTemplate } from './templates.ts';
import { resolveTemplate } from './templates.ts';
import type { MessagesRequest } from './validate.ts';
import { validateMessagesRequest } from './validate.ts';

const THROUGHPUT_DETAILS =
  'Message failed to send because there were too many messages sent from this phone number in a short period of time';

/** What a Graph route answers: a JSON body, or raw bytes (a proxy's 502 page, a media download). */
export type GraphReply =
  { status: number; json: unknown } | { status: number; raw: string | Buffer; contentType: string };

/** A Graph error as a reply. */
export function errorReply(err: GraphError): GraphReply {
  return { status: err.http, json: err.toBody() };
}

/** Graph's answer for an id that is not a known object (wrong phone number id, unknown media id). */
export function unknownObject(id: string, method: 'get' | 'post' | 'delete'): GraphError {
  return new GraphError(100, {
    message:
      `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing ` +
      'permissions, or does not support this operation. Please read the Graph API documentation at ' +
      'https://developers.facebook.com/docs/graph-api',
    type: 'GraphMethodException',
    subcode: 33,
    withErrorData: false,
  });
}

/**
 * `POST /<version>/<PHONE_NUMBER_ID>/messages` after authentication: validation, injected faults,
 * throughput and pair limits, the 24-hour window, then acceptance (spec §2, §3, §7).
 */
export async function handleMessagesPost(
  ctx: SandboxContext,
  phoneNumberId: string,
  body: unknown,
): Promise<GraphReply> {
  try {
    if (phoneNumberId !== ctx.business.phoneNumberId) throw unknownObject(phoneNumberId, 'post');
    const req = validateMessagesRequest(body, { bsuid: ctx.settings.bsuid });
    if (req.kind === 'read') return markRead(ctx, req.messageId, req.typing);
    const fault = ctx.faults.takeSend();
    if (fault) {
      const reply = await applyFault(fault);
      if (reply) return reply;
    }
    return accept(ctx, req);
  } catch (err) {
    if (err instanceof GraphError) return errorReply(err);
    throw err;
  }
}

async function applyFault(fault: SendFault): Promise<GraphReply | undefined> {
  switch (fault.kind) {
    case 'send_error':
      throw new GraphError(fault.code, { http: fault.httpStatus, details: fault.details });
    case 'send_http':
      return {
        status: fault.status,
        raw: fault.body ?? `<html><body><h1>${fault.status} Server Error</h1></body></html>`,
        contentType: 'text/html; charset=utf-8',
      };
    case 'send_hang':
      // Real time on purpose: the caller's HTTP timeout runs on the wall clock.
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return undefined;
  }
}

function accept(ctx: SandboxContext, req: Extract<MessagesRequest, { kind: 'send' }>): GraphReply {
  const { state, limits, business, settings } = ctx;
  const template =
    req.type === 'template'
      ? resolveTemplate(req.payload, ctx.templates, settings.defaultTemplateCategory)
      : undefined;
  checkMediaId(ctx, req);
  if (!req.isBsuid && req.recipient === business.displayPhoneNumber) throw new GraphError(131021);
  if (!limits.takeThroughput(business.phoneNumberId)) {
    // spec §2.4: 130429 is synchronous and also reported as an account-level `value.errors` webhook.
    if (limits.shouldReportThroughput())
      ctx.dispatcher.enqueue({ kind: 'error', error: webhookError(130429, THROUGHPUT_DETAILS) });
    throw new GraphError(130429);
  }

  let user = state.findUser(req.recipient);
  let failure: WebhookErrorObject | undefined;
  if (!user && !req.isBsuid && settings.unknownRecipients === 'create') {
    user = state.addUser({ key: req.recipient, waId: req.recipient, name: `+${req.recipient}` });
  }
  const known = user !== undefined;
  const target: SimUser = user ?? {
    key: req.recipient,
    waId: req.isBsuid ? '' : req.recipient,
    name: '',
    ...(req.isBsuid ? { userId: req.recipient } : {}),
  };
  if (!known) failure = webhookError(131026);
  if (!limits.takePair(business.phoneNumberId, target.key)) throw new GraphError(131056);

  const open = windowOpen(ctx, target.key);
  if (known && !template && !open) {
    if (settings.windowMode === 'sync') throw new GraphError(131047);
    failure = webhookError(131047);
  }
  if (known && template?.category === 'marketing' && !limits.takeMarketing(target.key)) {
    failure = webhookError(131049);
  }

  const msg = outboundRecord(ctx, req, target, template, pricingFor(template, open));
  if (known) {
    state.add(msg);
    state.emit({ type: 'typing', userKey: target.key, until: 0 });
  }
  ctx.statuses.afterSend(msg, target, failure);
  // spec §1.7: a send addressed to a BSUID answers with an empty wa_id and the user_id.
  const contact = req.isBsuid
    ? { input: req.input, wa_id: '', user_id: req.recipient }
    : { input: req.input, wa_id: req.recipient };
  return {
    status: 200,
    json: { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id: msg.id }] },
  };
}

function checkMediaId(ctx: SandboxContext, req: Extract<MessagesRequest, { kind: 'send' }>): void {
  const id = (req.payload as { id?: unknown }).id;
  if (['image', 'audio', 'video', 'document', 'sticker'].includes(req.type) && typeof id === 'string') {
    if (!ctx.media.get(id)) throw invalidValue(`Media id ${id} is not valid or has been deleted.`);
  }
}

/** spec §1.5 and §3: service replies and utility templates inside the window are free; the rest is billed. */
function pricingFor(template: ResolvedTemplate | undefined, open: boolean): Pricing {
  const category = template ? template.category : 'service';
  const free = open && (category === 'service' || category === 'utility');
  return {
    billable: !free,
    pricing_model: 'PMP',
    type: free ? 'free_customer_service' : 'regular',
    category,
  };
}

function outboundRecord(
  ctx: SandboxContext,
  req: Extract<MessagesRequest, { kind: 'send' }>,
  user: SimUser,
  template: ResolvedTemplate | undefined,
  pricing: Pricing,
): OutboundMessage {
  return {
    direction: 'out',
    id: newWamid(user.waId || user.key, 'business'),
    userKey: user.key,
    at: ctx.clock.now(),
    type: req.type,
    payload: req.payload,
    ...(req.replyTo ? { replyTo: req.replyTo } : {}),
    ...(req.bizOpaque !== undefined ? { bizOpaque: req.bizOpaque } : {}),
    ...(template
      ? {
          template: {
            name: template.name,
            language: template.language,
            category: template.category,
            text: template.text,
            quickReplies: template.quickReplies,
          },
        }
      : {}),
    pricing,
    status: 'accepted',
    statuses: [],
  };
}

/**
 * Mark-as-read (spec §2.2): marks the message and every earlier message from that user read, and
 * shows the typing indicator for 25 s (or until the next reply) when asked.
 */
function markRead(ctx: SandboxContext, messageId: string, typing: boolean): GraphReply {
  const item = ctx.state.get(messageId);
  if (!item || item.direction !== 'in')
    throw invalidParameter(`Message ${messageId} is not a message from a user.`);
  for (const earlier of ctx.state.conversation(item.userKey)) {
    if (earlier.direction === 'in' && !earlier.readByBusiness) {
      earlier.readByBusiness = true;
      ctx.state.touch(earlier);
    }
    if (earlier.id === messageId) break;
  }
  if (typing) ctx.state.emit({ type: 'typing', userKey: item.userKey, until: ctx.clock.now() + 25_000 });
  return { status: 200, json: { success: true } };
}
