import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.ts';
import { artifactPath, haveChromium, launchChromium, startDefaultGateway } from '../helpers/browser.ts';
import { waitFor } from '../helpers/stack.ts';

const ADMIN_TOKEN = 'console-test-admin-token-0123456789';
const USER = '33612345678'; // the sandbox's demo user
const PASSWORD = 'correct horse battery staple';

/**
 * The operator console (`/console`) in Chromium against a real gateway (sandbox WhatsApp): first
 * admin, sign-in, the live inbox, human handoff with the phone on the other end, the other screens.
 * The tests run in order and share one browser page, like one operator's morning.
 */
describe.skipIf(!haveChromium)('operator console (Chromium)', () => {
  let gw: Gateway;
  let browser: Browser;
  let page: Page;
  let personId = '';
  const problems: string[] = [];

  beforeAll(async () => {
    gw = await startDefaultGateway('console', { PASSERELLE_ADMIN_TOKEN: ADMIN_TOKEN });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 820 } });
    page.setDefaultTimeout(10_000);
    // Script errors and Content-Security-Policy violations (the console is served with a strict CSP).
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text()))
        problems.push(`csp: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  /** Texts the sandbox phone has received. */
  const phoneTexts = () =>
    gw.sandbox!.sentTo(USER).map((m) => (m.payload as { body?: string }).body ?? JSON.stringify(m.payload));
  const phoneReceives = (text: string | RegExp, what: string) =>
    waitFor(
      () => phoneTexts().find((t) => (typeof text === 'string' ? t.includes(text) : text.test(t))),
      10_000,
      what,
    );
  const nav = () => page.getByRole('navigation', { name: 'Console' });

  it('creates the first admin from the setup link', async () => {
    const token = gw.console.setupToken();
    expect(token).toBeTruthy();
    await page.goto(`${gw.localUrl}/console/setup?token=${token}`);
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Display name (optional)').fill('Alice Martin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create and sign in' }).click();

    await nav().waitFor();
    expect(new URL(page.url()).hash).toBe('#/inbox');
    const header = page.getByRole('banner');
    await header.getByText('Alice Martin').waitFor();
    await header.getByText('Administrator').waitFor();
    expect(gw.console.setupToken()).toBeUndefined(); // the link is spent
  });

  it('signs out, refuses a wrong password without clearing the username, then signs in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('You are signed out.').waitFor();

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();
    expect(await page.getByLabel('Username').inputValue()).toBe('alice');
    await page.screenshot({ path: artifactPath('console-signin-error.png') });

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await nav().waitFor();
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  });

  it('shows a request for a human as queued, live, without a reload', async () => {
    // A marker that a reload or a navigation would wipe.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    gw.sandbox!.userSends(USER, 'I want to talk to a person');

    const queued = page.locator('.queued-group .thread.st-queued');
    await queued.first().waitFor({ timeout: 15_000 });
    expect(await queued.count()).toBe(1);
    await queued.getByText('Queued').waitFor();
    await nav().locator('.nav-count', { hasText: '1' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    personId = (await queued.first().getAttribute('data-person'))!;
    expect(personId).toBeTruthy();
    await page.screenshot({ path: artifactPath('console-inbox.png') });
  });

  it('opens the conversation, takes it over, and the phone is told someone joined', async () => {
    await page.locator(`.thread[data-person="${personId}"] a`).click();
    await page.waitForURL(`**/console#/people/${personId}`);
    const log = page.getByRole('log');
    await log.locator('.msg.in', { hasText: 'I want to talk to a person' }).waitFor();
    // Nothing to reply with until the conversation is taken.
    expect(await page.getByLabel(/^Reply to/).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Take over' }).click();
    await page.locator('.conv-head .pill', { hasText: 'Human · you' }).waitFor();
    await phoneReceives('Alice Martin from our team has joined', 'the joined notice');
    await log.locator('.msg.out', { hasText: 'has joined the conversation' }).waitFor();
    expect(await page.getByLabel(/^Reply to/).isDisabled()).toBe(false);
  });

  it('replies as the agent, and the phone receives the reply with its ticks in the console', async () => {
    const reply = 'Hello, this is Alice. How can I help you today?';
    await page.getByLabel(/^Reply to/).fill(reply);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent.' }).waitFor();
    await phoneReceives(reply, 'the agent reply');
    const sent = page.getByRole('log').locator('.msg.out', { hasText: reply });
    await sent.waitFor();
    // The sandbox phone reports delivery: the tick follows, live.
    await sent.locator('.tick[title="Delivered"], .tick[title="Read"]').waitFor({ timeout: 15_000 });

    await page.getByRole('button', { name: 'Show all decisions' }).click();
    await sent.locator('details.decisions[open]').waitFor();
    await sent.locator('details.decisions li', { hasText: 'Allow' }).first().waitFor();
    await page.screenshot({ path: artifactPath('console-conversation.png') });
  });

  it('releases the conversation and the assistant answers the next question', async () => {
    await page.getByRole('button', { name: 'Release' }).click();
    await page.locator('.conv-head .pill', { hasText: 'Assistant' }).waitFor();
    await phoneReceives('You are back with our virtual assistant', 'the released notice');
    expect(await page.getByLabel(/^Reply to/).isDisabled()).toBe(true);

    gw.sandbox!.userSends(USER, 'When are you open?');
    await phoneReceives('Monday to Saturday', 'the assistant answer');
    // The console shows the question and the answer live, with the answer's sources.
    const answer = page.getByRole('log').locator('.msg.out', { hasText: 'Monday to Saturday' });
    await answer.waitFor();
    await answer.locator('.why', { hasText: 'Sources' }).waitFor();
    await page.screenshot({ path: artifactPath('console-conversation-released.png') });
  });

  it('shows the policy decision when it refuses an agent reply (an opted-out person)', async () => {
    const other = '33698765432';
    gw.sandbox!.users.create({ waId: other, name: 'Camille' });
    gw.sandbox!.userSends(other, 'Hello');
    gw.sandbox!.userSends(other, 'STOP');
    await waitFor(
      () => gw.sandbox!.sentTo(other).length >= 2,
      10_000,
      'the answer and the opt-out confirmation',
    );
    // The new person's thread arrives live; open it and take it over.
    await page.locator('.thread a', { hasText: 'Camille' }).click();
    await page.getByRole('log').locator('.msg.in', { hasText: 'STOP' }).waitFor();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.locator('.conv-head .pill', { hasText: 'Human · you' }).waitFor();
    const before = gw.sandbox!.sentTo(other).length;

    await page.getByLabel(/^Reply to/).fill('Are you still there?');
    await page.getByRole('button', { name: 'Send' }).click();
    const outcome = page.locator('.reply-outcome .outcome.error');
    await outcome.getByText('Not sent: refused by the policy.').waitFor();
    await outcome.getByText('opted_out').waitFor();
    // The text stays in the box, and nothing reached the phone.
    expect(await page.getByLabel(/^Reply to/).inputValue()).toBe('Are you still there?');
    expect(gw.sandbox!.sentTo(other).length).toBe(before);
    await page.screenshot({ path: artifactPath('console-reply-refused.png') });
    await page.getByRole('button', { name: 'Release' }).click();
    await page.locator('.conv-head .pill', { hasText: 'Assistant' }).waitFor();
  });

  it('refuses the console API without a session, without CSRF, and the admin API without its token', async () => {
    const bare = await fetch(`${gw.localUrl}/console/api/inbox`);
    expect(bare.status).toBe(401);

    // The page's own session cookie, but no X-CSRF-Token header.
    const noCsrf = await page.request.post(`${gw.localUrl}/console/api/people/${personId}/take`);
    expect(noCsrf.status()).toBe(403);
    // The same session does read (GET needs no CSRF)...
    expect((await page.request.get(`${gw.localUrl}/console/api/inbox`)).status()).toBe(200);
    // ...but is no credential for the admin API, which wants its bearer token.
    expect((await page.request.get(`${gw.localUrl}/api/campaigns`)).status()).toBe(401);
    expect((await fetch(`${gw.localUrl}/api/campaigns`)).status).toBe(401);
    const withToken = await fetch(`${gw.localUrl}/api/campaigns`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(withToken.status).toBe(200);
  });

  it('tries a question against the knowledge base', async () => {
    await nav().getByRole('link', { name: 'Knowledge base' }).click();
    await page.getByRole('heading', { name: 'Knowledge base', level: 1 }).waitFor();
    await page.locator('.entry').first().waitFor();
    await page.getByLabel('Question, as a customer would write it').fill('When are you open?');
    await page.getByRole('button', { name: 'Try', exact: true }).click();
    const result = page.locator('.try-result');
    await result.locator('.decision', { hasText: 'Answer' }).waitFor();
    const top = result.locator('.candidates li').first();
    expect(await top.getByRole('meter').getAttribute('aria-valuenow')).toMatch(/^\d+$/);
    expect(await top.locator('.cand-answer').textContent()).toContain('Monday to Saturday');
    expect(await result.locator('.thresholds').textContent()).toMatch(
      /^Out of scope below 0\.\d{3}, direct answer from/,
    );
    await page.screenshot({ path: artifactPath('console-kb-try.png') });
  });

  it('shows a sunset campaign’s progress as a chart', async () => {
    const res = await fetch(`${gw.localUrl}/api/campaigns/sunset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'whatsapp', date: '2099-12-31', to: ['webchat'] }),
    });
    expect(res.status).toBe(201);
    const { campaign } = (await res.json()) as { campaign: { id: string } };
    // A pass now rather than at the next minute: the demo user is notified.
    const run = await fetch(`${gw.localUrl}/api/campaigns/${campaign.id}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(run.status).toBe(200);
    await nav().getByRole('link', { name: 'Campaigns' }).click();
    const card = page.locator('.campaign').first();
    await card.waitFor();
    await card.locator('svg[role="img"]').waitFor();
    expect(await card.locator('.figure', { hasText: 'Members' }).locator('dd').textContent()).toMatch(
      /^[1-9]/,
    );
    await card.locator('.legend li', { hasText: 'Notified, waiting' }).waitFor();
    await page.screenshot({ path: artifactPath('console-campaigns.png') });
  });

  it('shows message volume, latency and queues', async () => {
    await nav().getByRole('link', { name: 'Stats' }).click();
    await page.getByRole('heading', { name: 'Messages per hour, last 24 hours' }).waitFor();
    const chart = page.locator('.chart svg[role="img"]');
    await chart.waitFor();
    expect(await chart.getAttribute('aria-label')).toMatch(/[1-9]\d* messages in/);
    await page.locator('.figure', { hasText: 'Answers measured' }).waitFor();
    await page.screenshot({ path: artifactPath('console-stats.png') });
  });

  it('lets an admin add an operator', async () => {
    await nav().getByRole('link', { name: 'Operators' }).click();
    await page.getByRole('heading', { name: 'Operators', level: 1 }).waitFor();
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Display name (optional)').fill('Bob Agent');
    await page.getByLabel('Password').fill('another long password');
    await page.getByRole('button', { name: 'Add operator' }).click();
    await page.getByRole('status').filter({ hasText: 'Bob Agent can now sign in.' }).waitFor();
    await page.getByRole('row', { name: /Bob Agent/ }).waitFor();
    await page.screenshot({ path: artifactPath('console-operators.png') });
  });

  it('works from the keyboard: a skip link, then the navigation', async () => {
    await page.goto(`${gw.localUrl}/console#/inbox`);
    await page.reload(); // a fresh document: the focus starts at the top
    await nav().waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('fits a phone screen, for an agent: the conversation replaces the list', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 800 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(10_000);
      await p.goto(`${gw.localUrl}/console`);
      await p.getByLabel('Username').fill('bob');
      await p.getByLabel('Password').fill('another long password');
      await p.getByRole('button', { name: 'Sign in' }).click();
      // An agent: named with their role, and no operator accounts in the navigation.
      await p.getByRole('banner').getByText('Bob Agent').waitFor();
      await p.getByRole('banner').getByText('Agent', { exact: true }).waitFor();
      expect(await p.getByRole('link', { name: 'Operators' }).count()).toBe(0);
      await p.locator(`.thread[data-person="${personId}"] a`).click();
      await p.getByRole('log').locator('.msg').first().waitFor();
      expect(await p.locator('.inbox').isVisible()).toBe(false);
      const width = await p.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
      await p.screenshot({ path: artifactPath('console-phone-conversation.png') });
    } finally {
      await phone.close();
    }
  });

  it('falls back to polling every 20 s when the event stream is blocked', { timeout: 45_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      // A proxy that refuses server-sent events.
      await ctx.route('**/console/api/events', (route) => route.abort());
      const p = await ctx.newPage();
      p.setDefaultTimeout(10_000);
      await p.goto(`${gw.localUrl}/console`);
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('banner').getByText('Refreshing every 20 s').waitFor();

      gw.sandbox!.users.create({ waId: '33611112222', name: 'Dominique' });
      gw.sandbox!.userSends('33611112222', 'Do you repair e-bikes?');
      await p.locator('.thread', { hasText: 'Dominique' }).waitFor({ timeout: 25_000 });
    } finally {
      await ctx.close();
    }
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(problems).toEqual([]);
  });
});
