import { randomInt } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Policy } from '../policy/profiles.ts';
import { resultsFor, type CheckResult } from './doctor-checks.ts';
import { checkPhoneNumber, listTemplates, type GraphTarget, type ListedTemplate } from './doctor-graph.ts';
import { httpGet, ProbeError } from './doctor-http.ts';

/**
 * The WhatsApp checks of `passerelle doctor`: the credentials against the Graph API, the templates
 * the policy names against the account's, and the webhook as Meta reaches it (`PUBLIC_URL`).
 */

const TOKEN_DOC = 'docs/deployment.md (the permanent system-user token)';

function graphTarget(config: Config, timeoutMs: number): GraphTarget {
  return {
    graphUrl: config.WHATSAPP_GRAPH_URL,
    apiVersion: config.WHATSAPP_API_VERSION,
    accessToken: config.WHATSAPP_ACCESS_TOKEN ?? '',
    timeoutMs,
  };
}

/** The token and phone number id, by reading the number's node (name, number, quality rating). */
export async function checkWhatsApp(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('whatsapp');
  if (config.whatsappMode === 'sandbox')
    return r.ok(
      'sandbox mode: no WhatsApp credentials, the built-in emulator stands in for Meta (set the four WHATSAPP_* credentials to go live)',
    );
  const check = await checkPhoneNumber(graphTarget(config, timeoutMs), config.WHATSAPP_PHONE_NUMBER_ID!);
  switch (check.kind) {
    case 'verified': {
      const quality = check.qualityRating ? `, quality ${check.qualityRating}` : '';
      const message = `${check.verifiedName}, ${check.displayPhoneNumber}${quality} (${config.WHATSAPP_GRAPH_URL})`;
      const digits = check.displayPhoneNumber.replace(/\D/g, '');
      if (config.WHATSAPP_DISPLAY_NUMBER && config.WHATSAPP_DISPLAY_NUMBER !== digits)
        return r.warning(
          `${message}; WHATSAPP_DISPLAY_NUMBER is +${config.WHATSAPP_DISPLAY_NUMBER}`,
          `set WHATSAPP_DISPLAY_NUMBER=+${digits}: wa.me links would open another number`,
        );
      if (check.qualityRating === 'RED')
        return r.warning(message, 'quality is low: see WhatsApp Manager before messaging more people');
      return r.ok(message);
    }
    case 'bad_token':
      return r.error(
        `WHATSAPP_ACCESS_TOKEN: the Graph API refused the token (${check.reason})`,
        `create a permanent system-user token with whatsapp_business_messaging, see ${TOKEN_DOC}`,
      );
    case 'bad_phone_number_id':
      return r.error(
        `WHATSAPP_PHONE_NUMBER_ID: ${check.reason}`,
        'copy the phone number ID (not the number itself) from App Dashboard > WhatsApp > API Setup',
      );
    case 'unreachable':
      return r.error(
        `cannot reach the Graph API at ${config.WHATSAPP_GRAPH_URL} (${check.reason})`,
        'check this machine reaches it (DNS, firewall, outbound proxy) and WHATSAPP_GRAPH_URL',
      );
    case 'unverifiable':
      return r.warning(
        `could not verify the credentials (${check.reason})`,
        check.sandbox
          ? 'a sandbox stands in for Meta here: run doctor with WHATSAPP_GRAPH_URL unset to check the real credentials'
          : 'check the token and phone number ID in App Dashboard > WhatsApp > API Setup',
      );
  }
}

/** The templates the policy sends by name: its registry and the templates of the 24-hour window. */
export function policyTemplates(policy: Policy): { name: string; language: string }[] {
  const wa = policy.whatsapp;
  const refs = [
    ...wa.templates,
    ...(wa.window?.outside.template ? [wa.window.outside.template] : []),
    ...Object.values(wa.window?.outside.templateByLanguage ?? {}),
  ];
  const seen = new Map<string, { name: string; language: string }>();
  for (const t of refs) seen.set(`${t.name}:${t.language}`, { name: t.name, language: t.language });
  return [...seen.values()];
}

/**
 * Each template the policy names must exist at Meta, in that exact language, and be APPROVED: a send
 * of any other fails (132001, 132015, 132016). Needs `WHATSAPP_WABA_ID`.
 */
export async function checkTemplates(
  config: Config,
  policy: Policy | undefined,
  timeoutMs: number,
): Promise<CheckResult> {
  const r = resultsFor('templates');
  if (!policy) return r.warning('not checked: the policy is invalid', 'correct PASSERELLE_POLICY first');
  const named = policyTemplates(policy);
  if (named.length === 0) return r.ok('the policy names no WhatsApp template');
  const list = named.map((t) => `${t.name} (${t.language})`).join(', ');
  if (config.whatsappMode === 'sandbox') return r.ok(`sandbox mode: ${list} not checked against Meta`);
  if (!config.WHATSAPP_WABA_ID)
    return r.warning(
      `the policy names ${list}; not compared with Meta's: WHATSAPP_WABA_ID is not set`,
      'set WHATSAPP_WABA_ID to the WhatsApp Business Account ID (WhatsApp Manager > Account tools)',
    );
  const listing = await listTemplates(graphTarget(config, timeoutMs), config.WHATSAPP_WABA_ID);
  switch (listing.kind) {
    case 'listed':
      return compareTemplates(named, listing.templates);
    case 'bad_token':
      return r.error(
        `WHATSAPP_ACCESS_TOKEN: the Graph API refused the token (${listing.reason})`,
        `create a permanent system-user token with whatsapp_business_management, see ${TOKEN_DOC}`,
      );
    case 'bad_waba_id':
      return r.error(
        `WHATSAPP_WABA_ID: ${listing.reason}`,
        'copy the WhatsApp Business Account ID from App Dashboard > WhatsApp > API Setup',
      );
    case 'unreachable':
      return r.error(
        `cannot reach the Graph API at ${config.WHATSAPP_GRAPH_URL} (${listing.reason})`,
        'check this machine reaches it (DNS, firewall, outbound proxy) and WHATSAPP_GRAPH_URL',
      );
    case 'unverifiable':
      return r.warning(
        `could not verify ${list} (${listing.reason})`,
        listing.sandbox
          ? 'a sandbox stands in for Meta here: check the templates in WhatsApp Manager > Message templates'
          : 'check the templates in WhatsApp Manager > Message templates',
      );
  }
}

function compareTemplates(
  named: { name: string; language: string }[],
  listed: ListedTemplate[],
): CheckResult {
  const r = resultsFor('templates');
  const problems: string[] = [];
  for (const t of named) {
    const found = listed.find((l) => l.name === t.name && l.language === t.language);
    if (!found) {
      const other = listed.filter((l) => l.name === t.name).map((l) => l.language);
      problems.push(
        `${t.name} (${t.language}) ${other.length ? `exists only in ${other.join(', ')}` : 'does not exist'}`,
      );
    } else if (found.status !== 'APPROVED') problems.push(`${t.name} (${t.language}) is ${found.status}`);
  }
  if (problems.length === 0)
    return r.ok(`${named.length} template(s) the policy names are APPROVED (${listed.length} at Meta)`);
  return r.error(
    `not APPROVED at Meta: ${problems.join('; ')}`,
    'create or fix them in WhatsApp Manager > Message templates, or change the policy (PASSERELLE_POLICY)',
  );
}

/**
 * The gateway as Meta reaches it: `GET PUBLIC_URL/healthz`, then the verification handshake Meta makes
 * when the callback URL is saved (spec §1.1): 200 with the challenge echoed, and nothing else, or
 * the webhook stays unverified.
 */
export async function checkWebhook(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('webhook');
  const cloud = config.whatsappMode === 'cloud';
  if (!config.PUBLIC_URL)
    return cloud
      ? r.warning(
          'PUBLIC_URL is not set: not checked that Meta can reach /webhooks/whatsapp',
          'set PUBLIC_URL to the https:// address the reverse proxy serves (docs/deployment.md)',
        )
      : r.ok('PUBLIC_URL is not set (not needed with the sandbox)');
  const base = config.PUBLIC_URL.replace(/\/+$/, '');
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const health = await httpGet(`${base}/healthz`, { signal, timeoutMs });
    if (health.status !== 200)
      return r.error(
        `${base}/healthz answered HTTP ${health.status}`,
        'check that the gateway runs and that the reverse proxy forwards to it (PORT)',
      );
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return r.error(
      `cannot reach ${base}/healthz (${err.message})`,
      'start the gateway, and check DNS, the firewall and the reverse proxy for PUBLIC_URL',
    );
  }
  if (!cloud)
    return r.ok(`${base}/healthz answers (sandbox mode: the verification handshake is not checked)`);
  const token = config.WHATSAPP_VERIFY_TOKEN!;
  const challenge = String(randomInt(1_000_000_000, 2_000_000_000));
  const query = new URLSearchParams({
    'hub.mode': 'subscribe',
    'hub.verify_token': token,
    'hub.challenge': challenge,
  });
  const webhook = `${base}/webhooks/whatsapp`;
  let status: number;
  let echoed: boolean;
  try {
    const res = await httpGet(`${webhook}?${query}`, { signal, timeoutMs, secrets: [token] });
    status = res.status;
    echoed = res.text === challenge;
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return r.error(
      `the verification request to ${webhook} got no answer (${err.message})`,
      'check that the reverse proxy forwards /webhooks/whatsapp to the gateway',
    );
  }
  if (status === 403)
    return r.error(
      `${webhook} refused WHATSAPP_VERIFY_TOKEN (HTTP 403): the running gateway has another verify token`,
      'restart the gateway with this configuration, so Meta and the gateway share one verify token',
    );
  if (status !== 200 || !echoed)
    return r.error(
      `${webhook} answered HTTP ${status}${status === 200 ? ' without echoing the challenge' : ''}: Meta would not verify it`,
      'forward GET /webhooks/whatsapp to the gateway unchanged, query string included',
    );
  if (new URL(base).protocol !== 'https:')
    return r.warning(
      `${webhook} echoes the challenge, but PUBLIC_URL is not https://`,
      'Meta calls only HTTPS webhooks with a valid certificate: put a TLS reverse proxy in front (docs/deployment.md)',
    );
  return r.ok(`${webhook} answers the verification handshake as Meta expects`);
}
