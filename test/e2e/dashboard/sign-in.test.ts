/**
 * The dashboard in real Chromium: a wrong key cannot sign in; the right key signs in, the session
 * survives a reload (the cookie, never the key, is kept), and signing out ends it. The sign-in page and
 * the page for an unknown path pass the dashboard's page checks (dashboard-harness.ts).
 * Port block: 55900-55949 (API on port 0, no calls).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newPage, signInOnPage } from '../../helpers/browser.js';
import { auditPage, startDashboardServer, type DashboardServer } from './dashboard-harness.js';

let app: DashboardServer;
let browser: Browser;

beforeAll(async () => {
  app = await startDashboardServer({ rtp: [55900, 55949] });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it('a wrong key cannot sign in; the right one can, survives a reload, and signs out', async () => {
  const { server, key } = app;
  const { context, page } = await newPage(browser);
  await page.goto(`${server.apiUrl}/`);
  expect(page.url()).toBe(`${server.apiUrl}/ui/`);

  await page.getByLabel('API key').fill('cwk_wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid or revoked API key');
  expect(await context.cookies()).toEqual([]);
  await auditPage(page, 'dashboard-sign-in');

  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });
  const cookies = await context.cookies();
  expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
    ['callwright_session', true, 'Strict'],
  ]);
  // The page's scripts cannot read the session, and the key is nowhere in the browser's storage.
  expect(await page.evaluate('document.cookie')).toBe('');
  const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage })');
  expect(stored).not.toContain(key);

  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor({ timeout: 10_000 });
  const status = await page.evaluate<number>("fetch('/agents').then((r) => r.status)");
  expect(status).toBe(401);
  await context.close();
});

it('the menu lists the pages in order, and an unknown path says so with a way back', async () => {
  const { context, page } = await newPage(browser);
  await signInOnPage(page, app.server.apiUrl, app.key);
  const menu = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
  expect(await menu.allTextContents()).toEqual([
    'Calls',
    'Overview',
    'Agents',
    'Actions',
    'Outbox',
    'Contacts',
  ]);

  await page.goto(`${app.server.apiUrl}/ui/no-such-page`);
  await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor({ timeout: 10_000 });
  await auditPage(page, 'dashboard-not-found');
  await page.getByRole('link', { name: 'Go to Calls' }).click();
  await page.getByRole('heading', { level: 1, name: 'Calls' }).waitFor({ timeout: 10_000 });
  await context.close();
});
