import { describe, expect, it } from 'vitest';
import { formatCode, generateCode, hashCode, normaliseCode } from '../../src/identity/codes.ts';
import { identityCommand } from '../../src/identity/commands.ts';
import { deepLinks } from '../../src/identity/deep-links.ts';

const text = (t: string) => ({ type: 'text' as const, text: t });

describe('identity commands', () => {
  it('recognises a request to link in several languages, as a whole message only', () => {
    expect(identityCommand(text('link'))).toEqual({ kind: 'link', language: 'en' });
    expect(identityCommand(text('Link my account!'))).toEqual({ kind: 'link', language: 'en' });
    expect(identityCommand(text('Lier mon compte'))).toEqual({ kind: 'link', language: 'fr' });
    expect(identityCommand(text('vincular'))).toEqual({ kind: 'link', language: 'es' });
    expect(identityCommand(text('vincular conta'))).toEqual({ kind: 'link', language: 'pt' });
    expect(identityCommand(text('Verknüpfen'))).toEqual({ kind: 'link', language: 'de' });
    expect(identityCommand(text('how do I link my account to the app?'))).toBeUndefined();
    expect(identityCommand(text('When are you open?'))).toBeUndefined();
  });

  it('recognises a code sent back, from a deep link or typed', () => {
    expect(identityCommand(text('LINK K7M4-QX2P'))).toEqual({
      kind: 'redeem',
      code: 'k7m4-qx2p',
      language: 'en',
    });
    expect(identityCommand(text('lier k7m4qx2p'))).toEqual({
      kind: 'redeem',
      code: 'k7m4qx2p',
      language: 'fr',
    });
    // A deep link asks first; the confirmation's button redeems.
    expect(identityCommand({ type: 'request_welcome', payload: 'link_K7M4QX2P' })).toEqual({
      kind: 'confirm',
      code: 'K7M4QX2P',
    });
    const tap = (choiceId: string) =>
      identityCommand({ type: 'choice', source: 'button_reply', choiceId, title: 'x' });
    expect(tap('passerelle:link-prompt:K7M4QX2P')).toEqual({ kind: 'confirm', code: 'K7M4QX2P' });
    expect(tap('passerelle:link:K7M4QX2P')).toEqual({ kind: 'redeem', code: 'K7M4QX2P' });
    expect(identityCommand({ type: 'request_welcome', payload: 'promo_summer' })).toBeUndefined();
    expect(identityCommand({ type: 'request_welcome' })).toBeUndefined();
    expect(identityCommand(text('/link K7M4QX2P'))).toEqual({ kind: 'redeem', code: 'K7M4QX2P' });
    // A word and something that is not shaped like a code: a question, not a redemption.
    expect(identityCommand(text('link please'))).toBeUndefined();
  });

  it('recognises unlink, export, Telegram commands and the identity buttons', () => {
    expect(identityCommand(text('unlink'))).toEqual({ kind: 'unlink', language: 'en' });
    expect(identityCommand(text('Délier'))).toEqual({ kind: 'unlink', language: 'fr' });
    expect(identityCommand(text('Mon historique'))).toEqual({ kind: 'export', language: 'fr' });
    expect(identityCommand(text('exportar mis datos'))).toEqual({ kind: 'export', language: 'es' });
    expect(identityCommand(text('/export@acme_bot'))).toEqual({ kind: 'export' });
    expect(identityCommand(text('/link'))).toEqual({ kind: 'link' });
    expect(identityCommand(text('/help'))).toBeUndefined();
    expect(
      identityCommand({
        type: 'choice',
        source: 'button_reply',
        choiceId: 'passerelle:export',
        title: 'My history',
      }),
    ).toEqual({ kind: 'export' });
  });
});

describe('link codes', () => {
  it('are 8 characters of an unambiguous alphabet, read back forgivingly', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = generateCode();
      expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
      seen.add(c);
      expect(normaliseCode(formatCode(c).toLowerCase())).toBe(c);
    }
    expect(seen.size).toBe(2000);
    expect(normaliseCode('k7m4-qx2p')).toBe('K7M4QX2P');
    expect(normaliseCode('K7M4 QX2O')).toBe('K7M4QX20'); // O read as zero
    expect(normaliseCode('ILIL-0000')).toBe('11110000');
    expect(normaliseCode('K7M4QX2')).toBeUndefined();
    expect(normaliseCode('K7M4QX2U')).toBeUndefined(); // U is not in the alphabet
    expect(hashCode('K7M4QX2P')).not.toContain('K7M4');
  });

  it('come with deep links to every other configured channel', () => {
    const t = {
      whatsappNumber: '15550783881',
      telegramBot: 'acme_bot',
      baseUrl: 'https://chat.example.com/',
    };
    expect(deepLinks('K7M4QX2P', t, 'whatsapp')).toEqual([
      { channel: 'telegram', url: 'https://t.me/acme_bot?start=link_K7M4QX2P' },
      { channel: 'webchat', url: 'https://chat.example.com/chat?link=K7M4QX2P' },
    ]);
    expect(deepLinks('K7M4QX2P', t, 'telegram')[0]).toEqual({
      channel: 'whatsapp',
      url: 'https://wa.me/15550783881?text=LINK%20K7M4-QX2P',
    });
    expect(deepLinks('K7M4QX2P', { baseUrl: 'http://x' }, 'webchat')).toEqual([]);
  });
});
