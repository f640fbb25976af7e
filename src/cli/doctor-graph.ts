import { WhatsAppApiError } from '../channels/whatsapp/errors.ts';
import { httpGet, ProbeError, type HttpAnswer } from './doctor-http.ts';

/**
 * Read-only questions to the WhatsApp Graph API for `passerelle init` and `passerelle doctor`: does
 * the token work, is the phone number id the token's, which templates does the account have. URLs and
 * headers as `GraphClient` builds them (`<graph url>/<version>/<node>`, the token only in the
 * `Authorization` header). Answers are tagged unions, so each caller decides what is fatal.
 */

/** Where the Graph API is and who asks. */
export interface GraphTarget {
  graphUrl: string;
  apiVersion: string;
  /** Secret: sent only in the `Authorization` header, masked in every reason. */
  accessToken: string;
  timeoutMs: number;
}

/** Why a question could not be answered, although the Graph API (or something) answered. */
type Unverifiable = { kind: 'unverifiable'; reason: string; sandbox?: boolean };
/** No HTTP answer at all: refused, unknown host, TLS, timeout. */
type Unreachable = { kind: 'unreachable'; reason: string };
/** Meta refused the token (190, or 401 without an envelope): wrong, expired or revoked. */
type BadToken = { kind: 'bad_token'; reason: string };

/** What the Graph API says about a phone number id (its node: name, number, quality). */
export type PhoneNumberCheck =
  | { kind: 'verified'; verifiedName: string; displayPhoneNumber: string; qualityRating?: string }
  | BadToken
  | { kind: 'bad_phone_number_id'; reason: string }
  | Unverifiable
  | Unreachable;

/** One message template as `GET /<WABA_ID>/message_templates` lists it. */
export interface ListedTemplate {
  name: string;
  language: string;
  /** `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`… */
  status: string;
  category?: string;
}

export type TemplateListing =
  | { kind: 'listed'; templates: ListedTemplate[] }
  | BadToken
  | { kind: 'bad_waba_id'; reason: string }
  | Unverifiable
  | Unreachable;

/** The business a Passerelle sandbox emulates, from its control API (`GET <base>/api/state`). */
export interface SandboxBusiness {
  phoneNumberId: string;
  wabaId?: string;
  displayPhoneNumber?: string;
}

const PAGE_LIMIT = 10;

/**
 * `GET /<version>/<PHONE_NUMBER_ID>?fields=display_phone_number,verified_name,quality_rating`. A
 * Passerelle sandbox does not serve this node: it answers 100 like an unknown id, so before calling
 * the id wrong, the target is asked whether it is a sandbox (its control API); if it is, the answer is
 * "could not verify" (the token was accepted), unless the sandbox emulates another number.
 */
export async function checkPhoneNumber(t: GraphTarget, phoneNumberId: string): Promise<PhoneNumberCheck> {
  const signal = AbortSignal.timeout(t.timeoutMs);
  const path = `${encodeURIComponent(phoneNumberId)}?fields=display_phone_number,verified_name,quality_rating`;
  let res: HttpAnswer;
  try {
    res = await graphGet(t, path, signal);
  } catch (err) {
    if (err instanceof ProbeError) return { kind: 'unreachable', reason: err.message };
    throw err;
  }
  if (res.status >= 200 && res.status < 300) {
    const node = res.body as Record<string, unknown> | null;
    const number = typeof node?.display_phone_number === 'string' ? node.display_phone_number : undefined;
    if (!number)
      return { kind: 'unverifiable', reason: 'the answer has no display_phone_number (not a phone number?)' };
    return {
      kind: 'verified',
      displayPhoneNumber: number,
      verifiedName: typeof node?.verified_name === 'string' ? node.verified_name : '(no verified name)',
      ...(typeof node?.quality_rating === 'string' ? { qualityRating: node.quality_rating } : {}),
    };
  }
  const err = WhatsAppApiError.fromResponse(res.status, res.text);
  if (isBadToken(err)) return { kind: 'bad_token', reason: describe(err) };
  if (err.code === 100 || err.code === 2500 || res.status === 404) {
    const sandbox = await sandboxBehind(t, signal);
    if (sandbox && sandbox.phoneNumberId !== phoneNumberId)
      return {
        kind: 'bad_phone_number_id',
        reason: `the sandbox at ${t.graphUrl} emulates the phone number id ${sandbox.phoneNumberId}`,
      };
    if (sandbox)
      return {
        kind: 'unverifiable',
        reason: `the Passerelle sandbox at ${t.graphUrl} does not serve GET /{phone-number-id}; it accepted the token and emulates this phone number id`,
        sandbox: true,
      };
    if (err.code === 2500) return { kind: 'unverifiable', reason: describe(err) };
    return {
      kind: 'bad_phone_number_id',
      reason: `no phone number ${phoneNumberId} that this token can read (${describe(err)})`,
    };
  }
  if (isPermission(err))
    return {
      kind: 'unverifiable',
      reason: `the token may not read the phone number (${describe(err)}); reading it needs whatsapp_business_management`,
    };
  return { kind: 'unverifiable', reason: describe(err) };
}

/**
 * `GET /<version>/<WABA_ID>/message_templates?fields=name,language,status,category`, following the
 * `after` cursor (never `paging.next`: Meta puts the token in that URL) for at most 10 pages.
 */
export async function listTemplates(t: GraphTarget, wabaId: string): Promise<TemplateListing> {
  const signal = AbortSignal.timeout(t.timeoutMs);
  const templates: ListedTemplate[] = [];
  let after: string | undefined;
  for (let page = 0; page < PAGE_LIMIT; page++) {
    const path =
      `${encodeURIComponent(wabaId)}/message_templates?fields=name,language,status,category&limit=100` +
      (after ? `&after=${encodeURIComponent(after)}` : '');
    let res: HttpAnswer;
    try {
      res = await graphGet(t, path, signal);
    } catch (err) {
      if (err instanceof ProbeError) return { kind: 'unreachable', reason: err.message };
      throw err;
    }
    if (res.status < 200 || res.status > 299) {
      const err = WhatsAppApiError.fromResponse(res.status, res.text);
      if (isBadToken(err)) return { kind: 'bad_token', reason: describe(err) };
      if (err.code === 100 || err.code === 2500 || res.status === 404) {
        if (await sandboxBehind(t, signal))
          return {
            kind: 'unverifiable',
            reason: `the Passerelle sandbox at ${t.graphUrl} does not serve GET /{waba-id}/message_templates`,
            sandbox: true,
          };
        if (err.code === 2500) return { kind: 'unverifiable', reason: describe(err) };
        return {
          kind: 'bad_waba_id',
          reason: `no WhatsApp Business Account ${wabaId} that this token can read (${describe(err)})`,
        };
      }
      return { kind: 'unverifiable', reason: describe(err) };
    }
    const body = res.body as { data?: unknown; paging?: { cursors?: { after?: unknown }; next?: unknown } };
    if (!Array.isArray(body?.data))
      return { kind: 'unverifiable', reason: 'the answer has no "data" list of templates' };
    for (const item of body.data as Record<string, unknown>[]) {
      if (typeof item?.name !== 'string' || typeof item.language !== 'string') continue;
      templates.push({
        name: item.name,
        language: item.language,
        status: typeof item.status === 'string' ? item.status.toUpperCase() : 'UNKNOWN',
        ...(typeof item.category === 'string' ? { category: item.category } : {}),
      });
    }
    const cursor = body.paging?.cursors?.after;
    if (!body.paging?.next || typeof cursor !== 'string') break;
    after = cursor;
  }
  return { kind: 'listed', templates };
}

/**
 * The business a Passerelle sandbox emulates, when `graphUrl` is a sandbox's Graph API
 * (`<sandbox base>/graph`, standalone or mounted under `/sandbox`); `undefined` for anything else.
 */
export async function sandboxBehind(
  t: GraphTarget,
  signal: AbortSignal,
): Promise<SandboxBusiness | undefined> {
  const base = t.graphUrl.replace(/\/+$/, '');
  if (!base.endsWith('/graph')) return undefined;
  try {
    const res = await httpGet(`${base.slice(0, -'/graph'.length)}/api/state`, {
      signal,
      timeoutMs: t.timeoutMs,
    });
    const business = (res.body as { business?: Record<string, unknown> } | null)?.business;
    if (res.status !== 200 || typeof business?.phoneNumberId !== 'string') return undefined;
    return {
      phoneNumberId: business.phoneNumberId,
      ...(typeof business.wabaId === 'string' ? { wabaId: business.wabaId } : {}),
      ...(typeof business.displayPhoneNumber === 'string'
        ? { displayPhoneNumber: business.displayPhoneNumber }
        : {}),
    };
  } catch (err) {
    if (err instanceof ProbeError) return undefined;
    throw err;
  }
}

function graphGet(t: GraphTarget, path: string, signal: AbortSignal): Promise<HttpAnswer> {
  const url = `${t.graphUrl.replace(/\/+$/, '')}/${t.apiVersion}/${path}`;
  return httpGet(url, {
    headers: { authorization: `Bearer ${t.accessToken}`, 'user-agent': 'Passerelle doctor' },
    signal,
    timeoutMs: t.timeoutMs,
    secrets: [t.accessToken],
  });
}

/** spec §2.4: 190 (token invalid or expired) and 0 (AuthException) are the token's fault; so is a bare 401. */
function isBadToken(err: WhatsAppApiError): boolean {
  return err.code === 190 || err.code === 0 || err.code === 'http_401';
}

/** spec §2.4: 10 and 200–299 are permissions not granted to the token. */
function isPermission(err: WhatsAppApiError): boolean {
  return typeof err.code === 'number' && (err.code === 10 || (err.code >= 200 && err.code <= 299));
}

/** `error 190 (HTTP 401): Invalid OAuth access token`: code, status and Meta's message, no body. */
function describe(err: WhatsAppApiError): string {
  return `error ${err.code} (HTTP ${err.httpStatus}): ${err.title}${err.details && !err.title.includes(err.details) ? ` — ${err.details}` : ''}`;
}
