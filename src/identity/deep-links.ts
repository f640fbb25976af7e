import { formatCode } from './codes.ts';
import { START_PAYLOAD_PREFIX } from './commands.ts';

/** Where a person can continue: what the deep links need to know about each channel. */
export interface LinkTargets {
  /** The business's WhatsApp number, digits only (`wa.me/<number>`). */
  whatsappNumber?: string | undefined;
  /** The Telegram bot's username (`t.me/<bot>`). */
  telegramBot?: string | undefined;
  /** The gateway's public base URL: the web chat demo page is `<base>/chat`. */
  baseUrl?: string | undefined;
}

export interface DeepLink {
  channel: 'whatsapp' | 'telegram' | 'webchat';
  url: string;
}

/**
 * Links that open each other channel with the code ready to send: `wa.me/<number>?text=LINK <code>`
 * (the person taps send), `t.me/<bot>?start=link_<code>` (Telegram sends `/start link_<code>`), and
 * the web chat page with `?link=<code>` (the widget redeems it on open). Channels not configured, and
 * `except` (where the person asked), are left out.
 */
export function deepLinks(code: string, t: LinkTargets, except?: string): DeepLink[] {
  const out: DeepLink[] = [];
  if (t.whatsappNumber && except !== 'whatsapp')
    out.push({
      channel: 'whatsapp',
      url: `https://wa.me/${t.whatsappNumber}?text=${encodeURIComponent(`LINK ${formatCode(code)}`)}`,
    });
  if (t.telegramBot && except !== 'telegram')
    out.push({
      channel: 'telegram',
      url: `https://t.me/${t.telegramBot}?start=${START_PAYLOAD_PREFIX}${code}`,
    });
  if (t.baseUrl && except !== 'webchat')
    out.push({ channel: 'webchat', url: `${t.baseUrl.replace(/\/+$/, '')}/chat?link=${code}` });
  return out;
}
