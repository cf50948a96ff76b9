/**
 * What every dashboard test in real Chromium shares: a real server on a temp data folder with an API
 * key, and the checks each page passes — axe-core finds no serious or critical violation, Tab from the
 * top of the page reaches every visible control, and a 1280×800 screenshot is saved.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { merge } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { testConfig } from '../../helpers/temp.js';
import { requireDashboardBuilt, screenshotPath } from '../../helpers/browser.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface DashboardServer {
  server: RunningServer;
  /** An API key to sign in with. */
  key: string;
  /** The server's data folder. */
  dir: string;
  /** Stops the server and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts the server for a dashboard test: API and SIP on port 0 on loopback, server RTP on the test
 * file's own `rtp` port block, `config` merged over that. `dataParent`: where the data folder is made
 * (a folder FreeSWITCH shares); the system's temp folder by default.
 */
export async function startDashboardServer(options: {
  rtp: [number, number];
  config?: Record<string, unknown>;
  dataParent?: string;
}): Promise<DashboardServer> {
  requireDashboardBuilt();
  const parent = options.dataParent ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, 'callwright-e2e-ui-'));
  const base = {
    sip: { port: 0, address: '127.0.0.1' },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: options.rtp[0],
      rtp_port_max: options.rtp[1],
    },
  };
  const config = testConfig(dir, merge(base, options.config ?? {}));
  let server: RunningServer;
  try {
    server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const key = (await server.store.apiKeys.create('dashboard')).token;
  return {
    server,
    key,
    dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface AxeViolation {
  id: string;
  help: string;
  targets: string[];
}

/** No serious or critical axe-core violation on the page as it stands. */
export async function expectAccessible(page: Page, name = page.url()): Promise<void> {
  // Evaluated over the DevTools protocol: the page's CSP (scripts from self only) stays as served.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = (await page.evaluate(`axe.run().then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as AxeViolation[];
  expect(violations, name).toEqual([]);
}

/**
 * Every visible control (links, buttons, inputs, selects, text areas, summaries, media players,
 * anything with a tabindex of 0 or more) that is not disabled, each marked with `data-tab-id`; the
 * page code is text because this file is type-checked without the DOM library.
 */
const MARK_CONTROLS = `(() => {
  const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, ' +
    'audio[controls], video[controls], [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';
  const controls = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.closest('[inert]') || el.getClientRects().length === 0) continue;
    if (getComputedStyle(el).visibility !== 'visible') continue;
    el.setAttribute('data-tab-id', String(controls.length));
    const text = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.id || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    controls.push(el.tagName.toLowerCase() + (text ? ' "' + text + '"' : ''));
  }
  // Tab starts from the top: a focus point before everything else in the page.
  const start = document.createElement('span');
  start.tabIndex = -1;
  start.id = 'tab-walk-start';
  document.body.prepend(start);
  start.focus();
  return controls;
})()`;

/** The control that has the focus (the host of a media player's inner buttons), or '' for none. */
const FOCUSED = `(() => {
  const el = document.activeElement;
  return el && el !== document.body ? (el.getAttribute('data-tab-id') || el.tagName.toLowerCase()) : '';
})()`;

/**
 * Presses Tab from the top of the page until the focus leaves it, and expects every visible control
 * to have had the focus on the way: nothing is reachable only by mouse.
 */
export async function expectKeyboardReachable(page: Page, name = page.url()): Promise<void> {
  const controls = (await page.evaluate(MARK_CONTROLS)) as string[];
  const visited = new Set<string>();
  // A media player takes several presses (its own buttons); the bound only stops a focus trap.
  const bound = controls.length * 4 + 20;
  for (let i = 0; i < bound; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(FOCUSED)) as string;
    // Past the last control the focus leaves the page, or comes round to the first one again.
    if (focused === '' || (focused === '0' && visited.has('0'))) break;
    visited.add(focused);
  }
  await page.evaluate(`(() => {
    document.getElementById('tab-walk-start')?.remove();
    for (const el of document.querySelectorAll('[data-tab-id]')) el.removeAttribute('data-tab-id');
  })()`);
  const missed = controls.filter((_, i) => !visited.has(String(i)));
  expect(missed, `${name}: controls Tab does not reach`).toEqual([]);
}

/**
 * The checks each dashboard page passes, and its 1280×800 screenshot (test-output/screenshots), taken
 * before the Tab walk leaves a control looking focused.
 */
export async function auditPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await page.screenshot({ path: screenshotPath(name) });
  await expectKeyboardReachable(page, name);
}
