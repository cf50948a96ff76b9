/**
 * Real headless Chromium (Debian's `chromium`, installed by `npm run setup:test`) driven by
 * playwright-core, for the dashboard and browser-phone tests. The flags keep it off the network: this
 * machine's closed network refuses Chromium's background connections.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/api/routes/dashboard.js';

export const CHROMIUM = process.env.CALLWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Launches headless Chromium; `args` adds flags (a fake microphone, say). */
export async function launchChromium(args: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run npm run setup:test (installs Debian's chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...QUIET_FLAGS, ...args] });
}

/** Fails early with the fix when the dashboard has not been built (npm run build:ui). */
export function requireDashboardBuilt(): void {
  if (!existsSync(path.join(DASHBOARD_DIR, 'index.html'))) {
    throw new Error(`the dashboard is not built (${DASHBOARD_DIR}): run npm run build:ui`);
  }
}

/** A 1280×800 page in a fresh context (its own cookies). */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page };
}

/** Where a test run leaves its screenshots (not committed): CALLWRIGHT_SCREENSHOTS or test-output/. */
export function screenshotPath(name: string): string {
  const dir = process.env.CALLWRIGHT_SCREENSHOTS ?? path.resolve('test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

/** Signs in on the dashboard's page with an API key and waits for the signed-in page. */
export async function signInOnPage(page: Page, apiUrl: string, key: string): Promise<void> {
  await page.goto(`${apiUrl}/ui/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });
}
