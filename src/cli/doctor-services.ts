import { llmConfigFrom } from '../assistant/llm/settings.ts';
import { telegramSettingsFrom } from '../channels/telegram/settings.ts';
import type { Config } from '../config.ts';
import { resultsFor, type CheckResult } from './doctor-checks.ts';
import { httpGet, ProbeError } from './doctor-http.ts';

/** The other services `passerelle doctor` asks: Telegram's Bot API and an OpenAI-compatible server. */

/**
 * `getMe` with the bot token, when one is set. The token is part of the URL (Telegram's design), so the
 * URL is never printed and the token is masked in every reason.
 */
export async function checkTelegram(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('telegram');
  const settings = telegramSettingsFrom(config);
  if (!settings) return r.ok('not configured (TELEGRAM_BOT_TOKEN is not set)');
  let res;
  try {
    res = await httpGet(`${settings.apiUrl}/bot${settings.token}/getMe`, {
      signal: AbortSignal.timeout(timeoutMs),
      timeoutMs,
      secrets: [settings.token],
    });
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return r.error(
      `cannot reach the Bot API at ${settings.apiUrl} (${err.message})`,
      'check this machine reaches it (DNS, firewall, outbound proxy) and TELEGRAM_API_URL',
    );
  }
  const body = res.body as { ok?: boolean; result?: { username?: string }; description?: string } | null;
  if (res.status === 401 || res.status === 404)
    return r.error(
      `TELEGRAM_BOT_TOKEN: Telegram refused the token (HTTP ${res.status}${body?.description ? `: ${body.description}` : ''})`,
      'copy the token again from @BotFather (/mybots > API Token)',
    );
  if (res.status !== 200 || body?.ok !== true)
    return r.error(
      `getMe answered HTTP ${res.status}${body?.description ? `: ${body.description}` : ''}`,
      'check TELEGRAM_API_URL and the token',
    );
  const bot = `@${body.result?.username ?? '?'}`;
  if (settings.mode === 'webhook' && !settings.webhookUrl)
    return r.warning(
      `${bot}, webhook mode without PUBLIC_URL: the gateway will not register its webhook`,
      'set PUBLIC_URL (https://) so start registers PUBLIC_URL/webhooks/telegram',
    );
  return r.ok(`${bot}, ${settings.mode === 'webhook' ? `webhook ${settings.webhookUrl}` : 'long polling'}`);
}

/**
 * An OpenAI-compatible server (Ollama, vLLM, llama.cpp…) gets `GET <LLM_BASE_URL>/models`, which costs
 * nothing, and the model is looked for in the list. Hosted providers are only checked for settings:
 * a call would be billed, and their model lists need other scopes.
 */
export async function checkLlm(config: Config, timeoutMs: number): Promise<CheckResult> {
  const r = resultsFor('llm');
  const llm = llmConfigFrom(config); // loadConfig has checked the combination already
  if (!llm) return r.ok('not configured: the offline knowledge-base assistant answers alone');
  if (llm.provider !== 'openai-compatible')
    return r.ok(`${llm.provider}, model ${llm.model}: settings valid (the provider is not called)`);
  const base = llm.baseUrl!.replace(/\/+$/, '');
  let res;
  try {
    res = await httpGet(`${base}/models`, {
      headers: llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
      timeoutMs,
      secrets: llm.apiKey ? [llm.apiKey] : [],
    });
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return r.error(
      `cannot reach LLM_BASE_URL ${base} (${err.message}); the offline assistant would answer instead`,
      'start the model server, or correct LLM_BASE_URL (Ollama: http://localhost:11434/v1)',
    );
  }
  if (res.status === 401 || res.status === 403)
    return r.error(
      `${base}/models refused LLM_API_KEY (HTTP ${res.status})`,
      'set the key the server expects',
    );
  if (res.status !== 200)
    return r.warning(
      `${base}/models answered HTTP ${res.status}: could not list the models`,
      'check LLM_BASE_URL: it usually ends with /v1',
    );
  const data = (res.body as { data?: { id?: unknown }[] } | null)?.data;
  const ids = Array.isArray(data) ? data.map((m) => m?.id).filter((id) => typeof id === 'string') : [];
  if (!ids.includes(llm.model))
    return r.warning(
      `${base} answers, but does not list the model ${llm.model} (${ids.length} listed)`,
      `set LLM_MODEL to one of: ${ids.slice(0, 5).join(', ') || '(none)'}; or pull the model (ollama pull ${llm.model})`,
    );
  return r.ok(`${base} answers and lists the model ${llm.model}`);
}
