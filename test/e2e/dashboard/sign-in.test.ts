/**
 * The dashboard in real Chromium: a wrong key cannot sign in; the right key signs in, the session
 * survives a reload (the cookie, never the key, is kept), and signing out ends it.
 * Port block: 55900-55949 (API on port 0, no calls).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../../src/server.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { launchChromium, newPage, requireDashboardBuilt } from '../../helpers/browser.js';

let dir: { dir: string; cleanup: () => void };
let server: RunningServer;
let browser: Browser;
let key: string;

beforeAll(async () => {
  requireDashboardBuilt();
  dir = tempDir('callwright-e2e-ui-');
  const config = testConfig(dir.dir, {
    sip: { port: 0, address: '127.0.0.1' },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: 55900,
      rtp_port_max: 55949,
    },
  });
  server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
  key = server.store.apiKeys.create('dashboard').token;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dir?.cleanup();
});

it('a wrong key cannot sign in; the right one can, survives a reload, and signs out', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(`${server.apiUrl}/`);
  expect(page.url()).toBe(`${server.apiUrl}/ui/`);

  await page.getByLabel('API key').fill('cwk_wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid or revoked API key');
  expect(await context.cookies()).toEqual([]);

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
