import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.ts';
import { artifactPath, haveChromium, launchChromium, startDefaultGateway } from '../helpers/browser.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../llm/fake-openai.ts';

/** The web chat showing an LLM's answer as it is written, in Chromium (the model is a local fake). */
describe.skipIf(!haveChromium)('web chat streamed answers (Chromium)', () => {
  let gw: Gateway;
  let llm: FakeOpenAI;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    gw = await startDefaultGateway('webchat-stream', {
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: llm.baseUrl,
      LLM_MODEL: 'llama3.2',
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.localUrl}/chat`);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await llm?.close();
  });

  it('shows the answer growing, then the answer itself in its place', async () => {
    const answer =
      'We are open Monday to Saturday from 9:00 to 18:00, and on Sundays in December from 10:00 to 16:00.';
    llm.enqueue({
      kind: 'answer',
      text: `${answer} [sources: opening-hours]`,
      chunkSize: 4,
      chunkDelayMs: 40,
    });
    await page.getByRole('button', { name: 'Open chat' }).click();
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.fill('When are you open?');
    await input.press('Enter');

    const draft = page.locator('.msg.bot.draft');
    await draft.waitFor();
    const partial = (await draft.textContent()) ?? '';
    expect(partial.length).toBeGreaterThan(0);
    expect(answer.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(answer.length);
    expect(await draft.getAttribute('aria-hidden')).toBe('true'); // announced once, as the final message
    await page.screenshot({ path: artifactPath('webchat-streaming.png') });

    await page.locator('.msg.bot:not(.draft)', { hasText: answer }).waitFor();
    expect(await page.locator('.msg.bot.draft').count()).toBe(0);
    expect(await page.locator('.msg.bot', { hasText: 'We are open Monday' }).count()).toBe(1);
    await page.screenshot({ path: artifactPath('webchat-streamed.png') });
  });
});
