import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.ts';
import { artifactPath, haveChromium, launchChromium, startDefaultGateway } from '../helpers/browser.ts';

/** A newcomer's path: `npm start` with no credentials, then the sandbox phone page in a browser. */
describe.skipIf(!haveChromium)('sandbox phone page (Chromium)', () => {
  let gw: Gateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gw = await startDefaultGateway('phone');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${gw.localUrl}/sandbox`);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('creates a user, asks a question and shows the answer with its ticks', async () => {
    await page.fill('#nu-name', 'Chloé');
    await page.fill('#nu-number', '33612345678');
    await page.click('#new-user button[type=submit]');
    await page.getByRole('button', { name: /Chloé/ }).waitFor();
    await page.fill('#text', 'When are you open?');
    await page.press('#text', 'Enter');
    const answer = page.locator('#log .msg.out', { hasText: 'Monday to Saturday' });
    await answer.waitFor({ timeout: 10_000 });
    await expect
      .poll(() => answer.locator('[class^=tick]').getAttribute('title'), { timeout: 5000 })
      .toMatch(/Delivered|Read/i);
    await page.screenshot({ path: artifactPath('sandbox-phone-answer.png') });
  });

  it('shows reply buttons and answers the one tapped', async () => {
    await page.fill('#text', 'how much');
    await page.press('#text', 'Enter');
    const choice = page.getByRole('button', { name: 'Repairs' });
    await choice.waitFor({ timeout: 10_000 });
    await choice.click();
    await page
      .locator('#log .msg.out', { hasText: 'Our workshop services any bike' })
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: artifactPath('sandbox-phone-buttons.png') });
  });
});
