import type { AssistantReply } from '../assistant/port.ts';
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { DEFAULT_CODE_TTL_MS, formatCode, issueLinkCode, normaliseCode, redeemLinkCode } from './codes.ts';
import { identityCommand, LINK_CONFIRM_PREFIX, type IdentityCommand } from './commands.ts';
import { deepLinks, type LinkTargets } from './deep-links.ts';
import { mergePeople, unlinkContact } from './merge.ts';
import { channelName, identityLanguage, say, type IdentityLanguage } from './phrases.ts';
import type { Campaign } from './sunset.ts';
import { sunsetText } from './sunset-phrases.ts';

/** A message as the pipeline recorded it: who wrote, through which contact, on which channel. */
export interface IdentitySubject {
  personId: string;
  contactId: string;
  messageId: string;
  channel: string;
  /** The person's remembered language, if any: read only when there is something to say. */
  language: () => Promise<string | null | undefined>;
}

/** What the identity step made of a message: the replies to send, and the person it now belongs to. */
export interface IdentityOutcome {
  replies: AssistantReply[];
  /** Set when the message's contact joined another person (a redeemed code). */
  personId?: string;
  command: IdentityCommand['kind'] | 'sunset_redirect';
}

/** Issues a short-lived download link to a person's export (`src/identity/export-links.ts`). */
export type ExportLinkIssuer = (
  db: Db,
  personId: string,
  opts: { ttlMs: number; now: number },
) => Promise<{ path: string; expiresAt: number }>;

export interface IdentityGateOptions {
  /** Where the person can continue (read at each request: Telegram's username is learnt at start). */
  targets: () => LinkTargets;
  exportLink?: ExportLinkIssuer | undefined;
  /** The sunset campaign that closed a channel, if any (`SunsetRunner.closedCampaign`). */
  closedBy?: ((channel: string, now: number) => Campaign | undefined) | undefined;
  codeTtlMs?: number;
  exportTtlMs?: number;
  clock?: () => number;
}

const INTENT = 'identity';

/**
 * The identity step of the pipeline, in the first transaction, after the message was recorded: a
 * request for a link code, a code redeemed (the contact joins the person who asked; histories and
 * memory merge), an unlink, a request for one's history. Anything else is not its business
 * (`undefined`). Replies are plain texts in the person's language; the policy still decides on each.
 */
export class IdentityGate {
  constructor(private readonly opts: IdentityGateOptions) {}

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  async inbound(
    trx: Db,
    m: IdentitySubject,
    content: Parameters<typeof identityCommand>[0],
  ): Promise<IdentityOutcome | undefined> {
    const cmd = identityCommand(content);
    // Most messages are neither a command nor on a closed channel: nothing read for them.
    const closed = cmd ? undefined : this.opts.closedBy?.(m.channel, this.now());
    if (!cmd && !closed) return undefined;
    const lang = identityLanguage(cmd?.language, await m.language());
    const text = (t: string): AssistantReply => ({
      content: { type: 'text', text: t },
      intent: INTENT,
      language: lang,
    });
    if (!cmd) return this.redirect(trx, m, closed!, lang, text);
    switch (cmd.kind) {
      case 'link':
        return { command: cmd.kind, replies: [text(await this.issue(trx, m, lang))] };
      case 'redeem':
        return this.redeem(trx, m, cmd.code, lang, text);
      case 'confirm': {
        // A deep link can be sent by someone else: say what linking does, and redeem only on a tap.
        const code = normaliseCode(cmd.code);
        if (!code) return this.redeem(trx, m, cmd.code, lang, text);
        return {
          command: cmd.kind,
          replies: [
            {
              content: {
                type: 'buttons',
                body: say(lang, 'confirm_link', { code: formatCode(code) }),
                buttons: [{ id: `${LINK_CONFIRM_PREFIX}${code}`, title: say(lang, 'confirm_button') }],
              },
              intent: INTENT,
              language: lang,
            },
          ],
        };
      }
      case 'unlink': {
        const r = await unlinkContact(trx, { contactId: m.contactId, actor: 'person' }, this.now());
        return {
          command: cmd.kind,
          replies: [text(say(lang, r.ok ? 'unlinked' : 'not_linked'))],
          ...(r.ok ? { personId: r.personId } : {}),
        };
      }
      case 'export': {
        if (!this.opts.exportLink) return undefined;
        const ttlMs = this.opts.exportTtlMs ?? 60 * 60_000;
        const link = await this.opts.exportLink(trx, m.personId, { ttlMs, now: this.now() });
        await audit(trx, {
          actor: 'person',
          action: 'export.link_issued',
          personId: m.personId,
          messageId: m.messageId,
          detail: { channel: m.channel, expiresAt: link.expiresAt },
        });
        const base = (this.opts.targets().baseUrl ?? '').replace(/\/+$/, '');
        return {
          command: cmd.kind,
          replies: [
            text(say(lang, 'export_link', { minutes: Math.round(ttlMs / 60_000), url: base + link.path })),
          ],
        };
      }
    }
  }

  /**
   * On a channel a sunset campaign closed: the way to continue elsewhere, with a personal code, instead
   * of an answer (commands like "my history" still work there).
   */
  private async redirect(
    trx: Db,
    m: IdentitySubject,
    c: Campaign,
    lang: IdentityLanguage,
    text: (t: string) => AssistantReply,
  ): Promise<IdentityOutcome> {
    const now = this.now();
    const issued = await issueLinkCode(
      trx,
      {
        personId: m.personId,
        contactId: m.contactId,
        channel: m.channel,
        purpose: 'sunset',
        ttlMs: 30 * 86_400_000,
      },
      now,
    );
    const t = this.opts.targets();
    const links = deepLinks(
      issued.code,
      {
        whatsappNumber: c.settings.to.includes('whatsapp') ? t.whatsappNumber : undefined,
        telegramBot: c.settings.to.includes('telegram') ? t.telegramBot : undefined,
        baseUrl: c.settings.to.includes('webchat') ? t.baseUrl : undefined,
      },
      m.channel,
    );
    await audit(trx, {
      action: 'campaign.redirected',
      personId: m.personId,
      messageId: m.messageId,
      reasonCode: 'channel_closed',
      detail: { campaignId: c.id, channel: m.channel, codeId: issued.id },
    });
    const reply = text(
      sunsetText(lang, 'closed', {
        channel: m.channel,
        sunsetAt: c.sunsetAt,
        code: formatCode(issued.code),
        links,
      }),
    );
    return { command: 'sunset_redirect', replies: [{ ...reply, intent: 'sunset_redirect' }] };
  }

  /** A new code for this contact, with deep links into the other channels. */
  private async issue(trx: Db, m: IdentitySubject, lang: IdentityLanguage): Promise<string> {
    const links = deepLinks('X', this.opts.targets(), m.channel);
    if (links.length === 0) return say(lang, 'no_other_channel');
    const ttlMs = this.opts.codeTtlMs ?? DEFAULT_CODE_TTL_MS;
    const issued = await issueLinkCode(
      trx,
      { personId: m.personId, contactId: m.contactId, channel: m.channel, ttlMs },
      this.now(),
    );
    await audit(trx, {
      actor: 'person',
      action: 'identity.code_issued',
      personId: m.personId,
      messageId: m.messageId,
      detail: { channel: m.channel, codeId: issued.id, expiresAt: issued.expiresAt },
    });
    const code = formatCode(issued.code);
    return [
      say(lang, 'code', { code, minutes: Math.round(ttlMs / 60_000) }),
      say(lang, 'code_send_there', { code }),
      ...deepLinks(issued.code, this.opts.targets(), m.channel).map(
        (l) => `• ${channelName(lang, l.channel)}: ${l.url}`,
      ),
    ].join('\n');
  }

  private async redeem(
    trx: Db,
    m: IdentitySubject,
    typed: string,
    lang: IdentityLanguage,
    text: (t: string) => AssistantReply,
  ): Promise<IdentityOutcome> {
    const now = this.now();
    const r = await redeemLinkCode(trx, typed, m, now);
    if (!r.ok) {
      await audit(trx, {
        actor: 'person',
        action: 'identity.link_refused',
        personId: m.personId,
        messageId: m.messageId,
        reasonCode: r.reason,
        detail: { channel: m.channel },
      });
      const minutes = r.retryAt !== undefined ? Math.max(1, Math.ceil((r.retryAt - now) / 60_000)) : 0;
      return {
        command: 'redeem',
        replies: [text(say(lang, r.reason, { minutes, channel: channelName(lang, r.channel ?? m.channel) }))],
      };
    }
    if (r.alreadyLinked) return { command: 'redeem', replies: [text(say(lang, 'already_linked'))] };
    await mergePeople(
      trx,
      {
        into: r.code.person_id,
        from: m.personId,
        actor: 'person',
        detail: {
          codeId: r.code.id,
          fromChannel: r.code.channel,
          toChannel: m.channel,
          contactId: m.contactId,
        },
      },
      now,
    );
    return {
      command: 'redeem',
      personId: r.code.person_id,
      replies: [text(say(lang, 'linked', { channel: channelName(lang, r.code.channel) }))],
    };
  }
}
