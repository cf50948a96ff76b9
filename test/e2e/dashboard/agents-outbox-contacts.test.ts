/**
 * The agents, actions, outbox, contacts and overview pages in real Chromium against the real server on
 * the embedded backend: reorder two actions by dragging, then a real sipp call runs them in the new
 * order; an after-call webhook to a real loopback receiver dies, is fixed, and is replayed from the
 * outbox page; a CSV import shows its progress and ends with the counts; "Talk to this agent" opens the
 * browser phone, which shows the API's reason when SIP over WebSocket is off. Each page passes the
 * dashboard's page checks (dashboard-harness.ts: axe-core, every control reached by Tab, a screenshot).
 * Port block: 57000-57499 (sipp 57001, admin API 57090, server RTP 57100-57499).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import {
  launchChromium,
  newPage,
  requireDashboardBuilt,
  screenshotPath,
  signInOnPage,
} from '../../helpers/browser.js';
import {
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from '../calls/acceptance/acceptance-server.js';
import { auditPage } from './dashboard-harness.js';

const BASE = 57000;
const NUMBER = '+14155550181';

let app: AcceptanceServer;
let receiver: HttpReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let agentId: string;
/** The receiver's /dead path fails until the test "fixes" it. */
let deadFixed = false;

async function open(route: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${app.server.apiUrl}/ui${route}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 10_000 });
}

const beforeStageOrder = async (): Promise<string[]> => {
  const res = await app.api('GET', `/agents/${agentId}/actions`);
  return (res.body.items as Array<{ action: string; stage: string }>)
    .filter((a) => a.stage === 'before')
    .map((a) => a.action);
};

beforeAll(async () => {
  requireDashboardBuilt();
  receiver = await startHttpReceiver((req) =>
    req.url === '/dead' && !deadFixed
      ? { status: 500, body: { error: 'receiver down' } }
      : { status: 200, body: {} },
  );
  app = await startAcceptanceServer(BASE, {
    http: { allow_private: true },
    outbox: { max_attempts: 2, backoff_base_ms: 10, backoff_max_ms: 50, poll_interval_ms: 50 },
  });
  agentId = await app.setupAgent({
    name: 'ordered',
    number: NUMBER,
    steps: [{ say: 'Hello.' }, { hangup: { say: 'Goodbye.' } }],
    actions: [
      {
        name: 'first_hook',
        type: 'webhook',
        config: { url: `${receiver.url}/first`, event: 'call.ringing' },
      },
      {
        name: 'second_hook',
        type: 'webhook',
        config: { url: `${receiver.url}/second`, event: 'call.ringing' },
      },
      { name: 'dead_hook', type: 'webhook', config: { url: `${receiver.url}/dead`, event: 'call.ended' } },
    ],
    attachments: [
      { action: 'first_hook', stage: 'before' },
      { action: 'second_hook', stage: 'before' },
      { action: 'dead_hook', stage: 'after' },
    ],
  });
  browser = await launchChromium();
  ({ context, page } = await newPage(browser));
  await signInOnPage(page, app.server.apiUrl, app.apiKey);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.stop();
  await receiver?.close();
});

describe('the dashboard’s agents, actions, outbox, contacts and overview pages', () => {
  it('reorders two actions by dragging: GET returns the new order and the next call runs it', async () => {
    expect(await beforeStageOrder()).toEqual(['first_hook', 'second_hook']);
    await open(`/agents/${agentId}`, 'Agent ordered');
    const before = page.locator('ol[data-stage="before"] > li');
    await expect.poll(() => before.allTextContents()).toHaveLength(2);
    await auditPage(page, 'dashboard-agent');

    await before.nth(1).dragTo(before.nth(0));
    await page.getByText('New before-stage order saved.').waitFor({ state: 'attached', timeout: 10_000 });
    await expect
      .poll(() => before.locator('.attachment-name a').allTextContents())
      .toEqual(['second_hook', 'first_hook']);
    expect(await beforeStageOrder()).toEqual(['second_hook', 'first_hook']);
    // The page after a reload shows what the API stored.
    await page.reload();
    await expect
      .poll(() => before.locator('.attachment-name a').allTextContents())
      .toEqual(['second_hook', 'first_hook']);

    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: app.sipTarget,
      service: NUMBER,
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 40_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    const call = await app.callTo(NUMBER);
    const runs = await until(async () => {
      const r = await app.runs(call.id);
      return r.filter((x) => x.stage === 'before').length === 2 ? r : undefined;
    });
    const defs = (await app.api('GET', '/actions?limit=50')).body.items as Array<{
      id: string;
      name: string;
    }>;
    const nameOf = (id: unknown): string | undefined => defs.find((d) => d.id === id)?.name;
    expect(runs.filter((r) => r.stage === 'before').map((r) => nameOf(r.action_id))).toEqual([
      'second_hook',
      'first_hook',
    ]);
    expect(receiver.requests.map((r) => r.url).filter((u) => u !== '/dead')).toEqual(['/second', '/first']);
    // The page now shows each action's success rate and p95 from the call's runs.
    await page.reload();
    await page
      .getByText(/100 % ok · p95 \d+ ms · 1 run$/)
      .first()
      .waitFor({ timeout: 10_000 });
    await auditPage(page, 'dashboard-agent');
  }, 90_000);

  it('moves an action with the keyboard buttons too', async () => {
    await open(`/agents/${agentId}`, 'Agent ordered');
    const down = page.getByRole('button', { name: 'Move second_hook down' });
    await down.focus();
    await page.keyboard.press('Enter');
    await expect.poll(beforeStageOrder).toEqual(['first_hook', 'second_hook']);
    // The focus stays on the moved action (its other button, now that it is at the bottom).
    await expect
      .poll(() =>
        page.evaluate('document.activeElement && document.activeElement.getAttribute("aria-label")'),
      )
      .toBe('Move second_hook up');
    await page.keyboard.press('Enter');
    await expect.poll(beforeStageOrder).toEqual(['second_hook', 'first_hook']);
    await expect
      .poll(() =>
        page.evaluate('document.activeElement && document.activeElement.getAttribute("aria-label")'),
      )
      .toBe('Move second_hook down');
    await page.keyboard.press('Enter');
    await expect.poll(beforeStageOrder).toEqual(['first_hook', 'second_hook']);
  });

  it('“Talk to this agent” opens the browser phone, which shows why it cannot call while the phone is off', async () => {
    await open(`/agents/${agentId}`, 'Agent ordered');
    await page.getByRole('link', { name: 'Talk to this agent' }).click();
    await page.getByRole('heading', { level: 1, name: 'Call ordered' }).waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${app.server.apiUrl}/ui/agents/${agentId}/phone`);
    await auditPage(page, 'dashboard-agent-phone');
    // sip.websocket.enabled is false (the default): POST /agents/{id}/phone answers 409 naming it.
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toContain('sip.websocket.enabled: got false, expected true');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Ready to call');
    await page.screenshot({ path: screenshotPath('dashboard-agent-phone-off') });
    await page.getByRole('link', { name: '← Agent ordered' }).click();
    await page.getByRole('heading', { level: 1, name: 'Agent ordered' }).waitFor({ timeout: 10_000 });
  });

  it('attaches and detaches an action; the API’s refusal shows under the form', async () => {
    await open(`/agents/${agentId}`, 'Agent ordered');
    await page.getByLabel('Action', { exact: true }).selectOption({ label: 'first_hook (webhook)' });
    await page.getByLabel('Stage', { exact: true }).selectOption('before');
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').allTextContents())
      .toContainEqual(expect.stringContaining('already attached to the agent at this stage'));

    await page.getByLabel('Stage', { exact: true }).selectOption('during');
    await page.getByLabel('Triggers (JSON list)').fill('[{"kind": "intent", "phrases": ["ring me back"]}]');
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    const during = page.locator('ol[data-stage="during"] > li');
    await expect
      .poll(() => during.locator('.attachment-name').allTextContents())
      .toEqual(['first_hook 1 trigger(s)']);
    const attached = (await app.api('GET', `/agents/${agentId}/actions`)).body.items as Array<
      Record<string, unknown>
    >;
    expect(attached.find((a) => a.stage === 'during')).toMatchObject({
      action: 'first_hook',
      triggers: [{ kind: 'intent', phrases: ['ring me back'] }],
    });
    await during.getByRole('button', { name: 'Detach first_hook' }).click();
    await expect.poll(() => during.count()).toBe(0);
    expect(((await app.api('GET', `/agents/${agentId}/actions`)).body.items as unknown[]).length).toBe(3);
  });

  it('saves agent settings and shows the API’s field issues under the field', async () => {
    await open(`/agents/${agentId}`, 'Agent ordered');
    await page.getByLabel('Config (JSON)').fill('{"steps": []}');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const issues = page.locator('#agent-config-issues');
    await issues.waitFor({ timeout: 10_000 });
    expect(await issues.textContent()).toBe('body.config.steps: got [], expected a non-empty list of steps');
    await page
      .getByLabel('Config (JSON)')
      .fill('{"steps": [{"say": "Hello."}, {"hangup": {"say": "Bye."}}]}');
    await page.getByLabel('Description').fill('Runs two hooks while it rings');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor({ timeout: 10_000 });
    const agent = (await app.api('GET', `/agents/${agentId}`)).body;
    expect(agent).toMatchObject({ description: 'Runs two hooks while it rings' });
    expect(agent.config).toEqual({ steps: [{ say: 'Hello.' }, { hangup: { say: 'Bye.' } }] });
  });

  it('replays a dead delivery once its receiver works again', async () => {
    const dead = await until(async () => {
      const res = await app.api('GET', '/outbox?status=dead');
      return (res.body.items as Array<{ id: number; last_error: string }>)[0];
    }, 30_000);
    expect(dead.last_error).toContain('500');
    await open('/outbox', 'Outbox');
    const row = page.locator(`tr[data-outbox-row="${dead.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('2 / 2');
    await auditPage(page, 'dashboard-outbox');

    deadFixed = true;
    await page.getByRole('button', { name: `Replay delivery ${dead.id}` }).click();
    await page.getByText(`Delivery ${dead.id} replayed.`).waitFor({ timeout: 10_000 });
    await until(async () => (await app.api('GET', `/outbox/${dead.id}`)).body.status === 'delivered', 30_000);
    expect(receiver.requests.filter((r) => r.url === '/dead').length).toBe(3);
    await page.getByRole('button', { name: /^delivered/ }).click();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('delivered');
  }, 60_000);

  it('imports a contact CSV with a progress bar and ends with the counts and the bad rows', async () => {
    const rows = ['phone,first_name,tags,lists'];
    for (let i = 0; i < 8000; i++)
      rows.push(`+1415556${String(i).padStart(4, '0')},Caller ${i},imported,spring`);
    rows.push('not-a-number,Bad,,');
    await open('/contacts', 'Contacts');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'contacts.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(rows.join('\n')),
    });
    // Every value the progress bar takes, recorded in the page as it changes.
    await page.evaluate(`(() => {
      window.__progress = [];
      new MutationObserver(() => {
        const bar = document.getElementById('import-bar');
        if (bar) window.__progress.push(Number(bar.getAttribute('value')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const counts = page.locator('.import-counts');
    await counts.waitFor({ timeout: 60_000 });
    expect(await counts.textContent()).toBe('Imported 8000, updated 0, unchanged 0, rejected 1');
    const seen = (await page.evaluate('window.__progress')) as number[];
    expect(
      seen.some((v) => v > 0 && v < 100),
      `progress values ${seen.join(',')}`,
    ).toBe(true);
    expect(seen.at(-1)).toBe(100);
    const rejected = page.getByRole('table', { name: /Rejected rows/ });
    expect(await rejected.locator('tbody tr').first().textContent()).toContain('"not-a-number"');
    await expect.poll(() => page.getByText('8000 contacts').count()).toBe(1);
    await auditPage(page, 'dashboard-contacts');
  }, 90_000);

  it('sets and clears a contact’s Do-Not-Call mark with who, when and why', async () => {
    await open('/contacts', 'Contacts');
    await page.getByLabel('Search', { exact: true }).fill('Caller 12');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    // "Caller 12", "Caller 120"…"Caller 129", "Caller 1200"…"Caller 1299": 1 + 10 + 100 contacts.
    await page.getByText('111 contacts').waitFor({ timeout: 10_000 });
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('8000 contacts').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Manage Caller 0' }).click();
    await page.getByLabel('Reason').waitFor({ timeout: 10_000 });
    await auditPage(page, 'dashboard-contact-manager');
    await page.getByLabel('Reason').fill('asked on the phone');
    await page.getByRole('button', { name: 'Put on the Do-Not-Call list' }).click();
    await page.getByText(/On the list since .* set by api-key:/).waitFor({ timeout: 10_000 });
    const contact = (await app.api('GET', '/contacts?dnc=true')).body.items as Array<Record<string, unknown>>;
    expect(contact.map((c) => [c.first_name, c.dnc_reason])).toEqual([['Caller 0', 'asked on the phone']]);
    await page.getByLabel('Why take it off').fill('opted back in by email');
    await page.getByRole('button', { name: 'Take off the Do-Not-Call list' }).click();
    await page.getByRole('button', { name: 'Put on the Do-Not-Call list' }).waitFor({ timeout: 10_000 });
    const history = page.getByRole('list', { name: 'Do-Not-Call history' }).locator('li');
    await expect
      .poll(() => history.allTextContents())
      .toEqual([
        expect.stringMatching(/taken off by api-key:key_\w+: “opted back in by email”$/),
        expect.stringMatching(/put on by api-key:key_\w+: “asked on the phone”$/),
      ]);
  });

  it('edits an action and shows the API’s field issues next to the config', async () => {
    await open('/actions', 'Actions');
    await auditPage(page, 'dashboard-actions');
    const enabled = async (): Promise<unknown> => (await app.api('GET', '/actions/first_hook')).body.enabled;
    await page.getByRole('button', { name: 'Disable first_hook' }).click();
    await expect.poll(enabled).toBe(false);
    await page.getByRole('button', { name: 'Enable first_hook' }).click();
    await expect.poll(enabled).toBe(true);
    await page.getByRole('link', { name: 'first_hook' }).click();
    await page.getByRole('heading', { level: 1, name: 'Action first_hook' }).waitFor({ timeout: 10_000 });
    // The call ran it once, while it rang.
    await page
      .getByText(/^1 finished run · success 100 % · p50 \d+ ms · p95 \d+ ms$/)
      .waitFor({ timeout: 10_000 });
    expect(
      await page.getByRole('table', { name: 'The latest runs, newest first' }).locator('tbody tr').count(),
    ).toBe(1);
    await page.getByLabel('Config (JSON)').fill('{"url": "ftp://example.com/x"}');
    await page.getByRole('button', { name: 'Save' }).click();
    const issues = page.locator('#action-config-issues');
    await issues.waitFor({ timeout: 10_000 });
    expect(await issues.textContent()).toContain('config.url: got "ftp://example.com/x"');
    await auditPage(page, 'dashboard-action');

    await open('/actions/new', 'New action');
    await auditPage(page, 'dashboard-action-new');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#action-name-issues').waitFor({ timeout: 10_000 });
    expect(await page.locator('#action-name-issues').textContent()).toMatch(/^body\.name: got "", expected /);
    expect(await page.locator('#action-type-issues').textContent()).toMatch(/^body\.type: got "", expected /);
    await page.getByLabel('Name').fill('tag_caller');
    await page.getByLabel('Type').selectOption('add-contact-tags');
    await page.getByLabel('Config (JSON)').fill('{"tags": ["called"]}');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: 'Action tag_caller' }).waitFor({ timeout: 10_000 });
    const created = (await app.api('GET', '/actions/tag_caller')).body;
    expect(created).toMatchObject({ type: 'add-contact-tags', enabled: true, config: { tags: ['called'] } });
  });

  it('shows the overview charts with their numbers as text', async () => {
    await open('/overview', 'Overview');
    const chart = page.getByRole('img', { name: /Calls per hour/ });
    await chart.waitFor({ timeout: 10_000 });
    const outcomes = page.locator('figure', { hasText: 'Outcomes' }).locator('table');
    await expect.poll(() => outcomes.locator('tbody tr').count()).toBeGreaterThan(0);
    const success = page.locator('figure', { hasText: 'Action success rate' }).locator('tbody');
    expect(await success.textContent()).toContain('second_hook');
    await auditPage(page, 'dashboard-overview');
    await open('/agents', 'Agents');
    await auditPage(page, 'dashboard-agents');
  });
});
