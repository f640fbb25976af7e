import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { Gateway } from '../../src/gateway.ts';

/** Debian's Chromium (`apt-get install chromium`); the tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Browser tests run when Chromium is installed. On a user's machine without it they are skipped; under
 * CI=true they must run, so a missing browser fails instead of skipping.
 */
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: .ci/run must install it`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Where screenshots go (a CI artifact). */
export function artifactPath(name: string): string {
  const dir = resolve('test-results/screenshots');
  mkdirSync(dir, { recursive: true });
  return resolve(dir, name);
}

/**
 * A gateway as `npm start` runs it with no credentials (sandbox WhatsApp, sample knowledge base), on
 * loopback with a fresh SQLite database: what a newcomer opens in a browser.
 */
export async function startDefaultGateway(
  name: string,
  config: Record<string, unknown> = {},
): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), `passerelle-${name}-`));
  const cfg = loadConfig({
    env: {},
    file: false,
    overrides: {
      PORT: 0,
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
      LOG_LEVEL: 'silent',
      ...config,
    },
  });
  const gw = await Gateway.create({ config: cfg });
  await gw.start();
  return gw;
}
