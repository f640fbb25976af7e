import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../src/channels/webchat/protocol.ts';
import type { Gateway } from '../../src/gateway.ts';
import { artifactPath, haveChromium, launchChromium, startDefaultGateway } from '../helpers/browser.ts';
import { waitFor } from '../helpers/stack.ts';

/** The web chat widget on the `/chat` demo page, in Chromium, on a phone-sized screen. */
describe.skipIf(!haveChromium)('web chat widget (Chromium)', () => {
  let gw: Gateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gw = await startDefaultGateway('webchat');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.localUrl}/chat`);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  const bot = (text: string | RegExp) => page.locator('.msg.bot', { hasText: text });
  const input = () => page.getByRole('textbox', { name: 'Message' });
  const ask = async (text: string) => {
    await input().fill(text);
    await input().press('Enter');
  };
  /** Ids of the messages on screen, in order. */
  const shownIds = () =>
    page
      .locator('.msg')
      .evaluateAll((els) => els.map((e) => `${e.className.split(' ')[1]}:${e.getAttribute('data-id')}`));

  it('opens from the bubble with the keyboard focus in the message box', async () => {
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('dialog', { name: 'Chat with us' }).waitFor();
    const focused = await page.evaluate(
      () => document.getElementById('passerelle-webchat')?.shadowRoot?.activeElement?.id,
    );
    expect(focused).toBe('pw-input');
    await page.screenshot({ path: artifactPath('webchat-open.png') });
  });

  it('asks a question and shows the answer', async () => {
    await ask('When are you open?');
    await bot('Monday to Saturday').waitFor({ timeout: 10_000 });
    expect(await page.locator('[role=log][aria-live=polite]').count()).toBe(1);
    await page.screenshot({ path: artifactPath('webchat-answer.png') });
  });

  it('shows choices as buttons and answers the one chosen', async () => {
    await ask('how much');
    const repairs = page.getByRole('button', { name: 'Repairs' });
    await repairs.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: artifactPath('webchat-buttons.png') });
    await repairs.click();
    await bot('Our workshop services any bike').waitFor({ timeout: 10_000 });
    expect(await repairs.isDisabled()).toBe(true);
    await page.screenshot({ path: artifactPath('webchat-choice-answered.png') });
  });

  it('keeps the conversation across a reload', async () => {
    const before = await shownIds();
    await page.reload();
    await bot('Our workshop services any bike').waitFor({ timeout: 10_000 });
    await waitFor(async () => (await shownIds()).length === before.length, 5000, 'the history');
    expect(await shownIds()).toEqual(before);
    await page.screenshot({ path: artifactPath('webchat-reloaded.png') });
  });

  it('recovers a reply lost with the connection, without loss or duplicates', async () => {
    const hub = gw.webchat.hub;
    const push = hub.push.bind(hub);
    let dropped = false;
    // The connection dies just as the answer is pushed: the page never receives it over that socket.
    hub.push = (visitor: string, m: WireMessage, skip?: unknown) => {
      if (m.from === 'bot' && !dropped) {
        dropped = true;
        hub.terminateAll();
      }
      return push(visitor, m, skip as never);
    };
    try {
      const answers = await bot('Monday to Saturday').count();
      await ask('What are your opening hours?');
      await waitFor(() => dropped, 10_000, 'the drop');
      await waitFor(
        async () => (await bot('Monday to Saturday').count()) === answers + 1,
        15_000,
        'the replay',
      );
      await page.locator('.conn:empty').waitFor({ state: 'attached' });
      // Give a late duplicate every chance to show up.
      await page.waitForTimeout(500);
      const ids = await shownIds();
      expect(new Set(ids).size).toBe(ids.length);
      expect(await bot('Monday to Saturday').count()).toBe(answers + 1);
      expect(await page.locator('.msg.visitor', { hasText: 'What are your opening hours?' }).count()).toBe(1);
      await page.screenshot({ path: artifactPath('webchat-recovered.png') });
    } finally {
      hub.push = push;
    }
  });

  it('redeems a link code from its deep link, and offers the history as a download link', async () => {
    const sb = gw.sandbox!;
    const user = '33612345678'; // the sandbox's demo user
    const before = sb.sentTo(user).length;
    sb.userSends(user, 'link');
    const offer = await waitFor(
      () => sb.sentTo(user).length > before && sb.sentTo(user).at(-1)!,
      10_000,
      'code',
    );
    const text = (offer.payload as { body: string }).body;
    const code = /\/chat\?link=([0-9A-Z]{8})/.exec(text)![1]!;

    // Another visitor (a fresh browser profile) opens the deep link: the widget opens and asks first;
    // the code is redeemed when the visitor taps Link.
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      const p2 = await context.newPage();
      p2.setDefaultTimeout(10_000);
      await p2.goto(`${gw.localUrl}/chat?link=${code}`);
      await p2.locator('.msg.bot', { hasText: 'You opened a link that joins this chat' }).waitFor();
      await p2.screenshot({ path: artifactPath('webchat-link-confirm.png') });
      await p2.getByRole('button', { name: 'Link', exact: true }).click();
      await p2.locator('.msg.bot', { hasText: 'now linked with your WhatsApp conversation' }).waitFor();
      expect(new URL(p2.url()).searchParams.has('link')).toBe(false); // a reload does not resend it
      // Reloaded, the page shows the one history: the WhatsApp messages too, marked as such.
      await p2.reload();
      await p2
        .locator('.msg.visitor', { hasText: 'via WhatsApp' })
        .filter({ hasText: 'link' })
        .first()
        .waitFor();
      await p2.locator('.msg.bot', { hasText: 'Your link code is' }).waitFor();
      await p2.screenshot({ path: artifactPath('webchat-linked.png') });

      await p2.getByRole('button', { name: 'My history' }).click();
      const link = p2.locator('.msg.bot a[href*="/export/"]');
      await link.waitFor();
      const href = (await link.getAttribute('href'))!;
      const transcript = await (await fetch(href.replace(/^https?:\/\/[^/]+/, gw.localUrl))).text();
      // One history: the WhatsApp message asking for the code and the web chat's redemption.
      expect(transcript).toContain('>link<');
      expect(transcript).toContain(`LINK ${code}`);
      await p2.screenshot({ path: artifactPath('webchat-history-link.png') });
    } finally {
      await context.close();
    }
  });

  it('closes with Escape and gives the focus back to the bubble', async () => {
    await input().press('Escape');
    const focused = await page.evaluate(
      () => document.getElementById('passerelle-webchat')?.shadowRoot?.activeElement?.className,
    );
    expect(focused).toBe('bubble');
  });
});
