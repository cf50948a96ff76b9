/**
 * The Calls page and the call page in real Chromium, against the real server and a real SIP caller:
 * a call sipp places appears among the live calls within 1 s of its INVITE (measured from sipp's own
 * message log to the row's appearance in the page), its transcript and action timeline fill in on the
 * call page while it runs, Hang up ends it (sipp receives the BYE), and the history's filters narrow
 * the list and stay in the URL. Both pages pass the dashboard's page checks (dashboard-harness.ts:
 * axe-core, every control reached by Tab, the ended call's audio player included) with screenshots.
 * Port block: 55000-55199 (sipp 55001, its RTP 55010, server RTP 55100-55199; API and SIP on port 0).
 */
import { readFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { parse } from 'yaml';
import type { RunningServer } from '../../../src/server.js';
import { importAgent } from '../../../src/agent/agent-import.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { sippFailure, startSipp } from '../../helpers/sipp.js';
import type { Json } from '../../integration/api/harness.js';
import { launchChromium, newPage, screenshotPath, signInOnPage } from '../../helpers/browser.js';
import {
  auditPage,
  expectAccessible,
  startDashboardServer,
  type DashboardServer,
} from './dashboard-harness.js';

const LIVE_ROWS = 'section[aria-labelledby="live-calls-title"] tr[data-call-id]';
const AGENT = `
agent:
  name: dashboard-demo
  kind: scripted
  recording: { enabled: true }
  config:
    steps:
      - say: Hello, you are through to the dashboard demo agent.
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 1500, into: first_key }
      - say: Thank you. I am noting your call now.
      - action: note_call
      - collect: { reason: billing question, callback: tomorrow morning }
      - say: Your call is noted. Please stay on the line.
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 110000, into: choice }
      - hangup: { say: Goodbye. }
actions:
  - { name: note_call, type: call-disposition, config: { disposition: noted } }
attachments:
  - { action: note_call, stage: during, triggers: [{ kind: tool }] }
`;

let app: DashboardServer;
let server: RunningServer;
let browser: Browser;
let key: string;
let sipTarget: string;

beforeAll(async () => {
  app = await startDashboardServer({
    rtp: [55100, 55199],
    config: { calls: { demo_agent: false, default_agent: 'dashboard-demo' } },
  });
  ({ server, key } = app);
  await importAgent(server.store, server.actions.engine, parse(AGENT));
  sipTarget = `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
}, 60_000);

/** When sipp sent its first INVITE, from its -trace_msg log (local time, as sipp writes it). */
function inviteSentAt(file: string): number {
  const text = readFileSync(file, 'utf8');
  const m =
    /-{10,}\s+(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)\.(\d+)\s*\n(?:UDP|TCP) message sent[^\n]*\n\s*\nINVITE /.exec(
      text,
    );
  if (!m) throw new Error(`no INVITE in sipp's message log:\n${text.slice(0, 500)}`);
  return new Date(`${m[1]}T${m[2]}`).getTime() + Number(m[3]!.slice(0, 3).padEnd(3, '0'));
}

it('a live call appears within 1 s of its INVITE, fills in on its page, and Hang up ends it', async () => {
  const { context, page } = await newPage(browser);
  await signInOnPage(page, server.apiUrl, key);
  await page.waitForURL(`${server.apiUrl}/ui/calls`, { timeout: 10_000 });
  await page.locator('.stream-live').waitFor({ timeout: 10_000 });
  // The page notes when each live call's row first appears (the browser's clock is this machine's).
  // Page code as text: this file is type-checked without the DOM library.
  await page.evaluate(`(() => {
    const seen = (globalThis.seen = {});
    new MutationObserver(() => {
      for (const row of document.querySelectorAll('${LIVE_ROWS}')) {
        seen[row.getAttribute('data-call-id')] ??= Date.now();
      }
    }).observe(document.body, { childList: true, subtree: true });
  })()`);

  const trace = path.join(app.dir, 'sipp-messages.log');
  const sipp = startSipp({
    scenario: 'uac-invite-wait-for-hangup.xml',
    remote: sipTarget,
    service: '2000',
    localPort: 55001,
    mediaPort: 55010,
    timeoutMs: 120_000,
    extraArgs: ['-trace_msg', '-message_file', trace],
  });
  try {
    const row = page.locator(LIVE_ROWS);
    await row.first().waitFor({ timeout: 15_000 });
    const callId = (await row.first().getAttribute('data-call-id')) as string;
    const shownAt = (await page.evaluate(`globalThis.seen[${JSON.stringify(callId)}]`)) as number;
    const delayMs = shownAt - inviteSentAt(trace);
    console.info(`live call shown ${delayMs} ms after sipp sent its INVITE`);
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThanOrEqual(1000);
    await auditPage(page, 'calls-page');

    // Its page: the transcript and the action timeline fill in from the call's stream while it runs.
    await row.first().getByRole('link').click();
    await page.waitForURL(`**/ui/calls/${callId}`);
    const transcript = page.locator('section.transcript');
    await transcript
      .getByText('Hello, you are through to the dashboard demo agent.')
      .waitFor({ timeout: 20_000 });
    await transcript.getByText('Your call is noted. Please stay on the line.').waitFor({ timeout: 20_000 });
    const run = page.locator('section.timeline li.run');
    await run
      .filter({ hasText: 'note_call' })
      .locator('.badge.status-succeeded')
      .waitFor({ timeout: 20_000 });
    await expect.poll(() => run.first().textContent()).toContain('trigger tool: note_call');
    await page.locator('section.results').getByText('billing question').waitFor({ timeout: 10_000 });
    // A caller line sent over the API shows as the caller's.
    // The browser context's own requests carry the session cookie, as the page's do.
    const session = (await (await page.request.get(`${server.apiUrl}/session`)).json()) as Json;
    const sent = await page.request.post(`${server.apiUrl}/calls/${callId}/transcript`, {
      headers: { 'x-csrf-token': session.csrf_token },
      data: { text: 'I have a question about my bill.', speaker: 'caller' },
    });
    expect(sent.status()).toBe(202);
    await transcript
      .locator('.speaker-caller')
      .getByText('I have a question about my bill.')
      .waitFor({ timeout: 10_000 });
    expect((await server.store.calls.get(callId))?.ended_at).toBeNull();
    await auditPage(page, 'call-page');

    // The agent's last line finished (its event amended with its end) before the hang-up cuts nothing.
    await expect
      .poll(
        async () =>
          (await server.store.callEvents.ofType(callId, 'transcript')).some(
            (e) => e.data.text === 'Your call is noted. Please stay on the line.' && 'end_ms' in e.data,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    // Hang up from the page: the server sends BYE, sipp answers it and succeeds.
    await page.getByRole('button', { name: 'Hang up' }).click();
    const result = await sipp.done;
    expect(result.code, sippFailure(result)).toBe(0);
    await page.locator('h1 .badge.state-ended').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByRole('button', { name: 'Hang up' }).count()).toBe(0);
    const call = await server.store.calls.get(callId);
    expect(call).toMatchObject({ state: 'ended', hangup_by: 'agent', call_disposition: 'noted' });
    expect((await server.store.callEvents.ofType(callId, 'hangup-requested')).map((e) => e.data)).toEqual([
      { reason: 'api' },
    ]);

    // The recording, once stored, plays in the page's player (fetched with the session cookie).
    const audio = page.locator('section.results audio');
    await audio.waitFor({ timeout: 20_000 });
    const seconds = (await page.evaluate(`(async () => {
      const a = document.querySelector('section.results audio');
      a.preload = 'auto';
      a.load();
      await new Promise((ok, fail) => {
        a.oncanplay = ok;
        a.onerror = () => fail(new Error(a.error ? a.error.message : 'audio error'));
      });
      return a.duration;
    })()`)) as number;
    expect(seconds).toBeGreaterThan(3);
    await auditPage(page, 'call-page-ended');
  } finally {
    sipp.kill();
    await sipp.done;
    if (existsSync(trace)) rmSync(trace);
  }
  await context.close();
}, 180_000);

it('the history narrows by filters kept in the URL, shows the API message for a bad one, and is accessible', async () => {
  const past = (from: string, outcome: string, disposition: string | null, startedAt: string) =>
    server.store.calls.create({
      direction: 'inbound',
      from_number: from,
      to_number: '2000',
      state: 'ended',
      outcome,
      call_disposition: disposition,
      started_at: startedAt,
      ended_at: startedAt,
      duration_ms: 42_000,
    });
  await past('+442071838750', 'no-answer', null, '2026-01-05T10:00:00.000Z');
  await past('+14155550123', 'completed', 'sale', '2026-01-06T11:00:00.000Z');
  await past('+14155550124', 'transferred', 'sale', '2026-01-07T12:00:00.000Z');

  const { context, page } = await newPage(browser);
  await signInOnPage(page, server.apiUrl, key);
  const rows = page.locator('section[aria-labelledby="history-title"] tbody tr');
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);

  await page.getByLabel('Number').fill('+1415555012');
  await page.getByLabel('Disposition').fill('sale');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/number=%2B1415555012/);
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
  await page.getByLabel('Started before').fill('2026-01-07');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
  expect(await rows.first().textContent()).toContain('+14155550123');

  // A reload (or a shared link) keeps the filters.
  await page.reload();
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
  expect(await page.getByLabel('Number').inputValue()).toBe('+1415555012');
  await auditPage(page, 'calls-page-filtered');

  // A bad value in the URL: the API's own message, naming the parameter, next to the form.
  await page.goto(`${server.apiUrl}/ui/calls?started_after=yesterday`);
  const alert = page.locator('#history-error');
  await alert.waitFor({ timeout: 10_000 });
  expect(await alert.textContent()).toContain('query.started_after: got "yesterday", expected a date');

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  await expectAccessible(page);
  await page.screenshot({ path: screenshotPath('calls-page-history') });
  await context.close();
}, 90_000);
