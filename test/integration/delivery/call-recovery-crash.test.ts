/**
 * Calls left open by a crash: a real server process, a real SIP call from sipp, SIGKILL mid-call,
 * restart. Port block for this file: 46500-46999 (sipp 46501, its RTP 46510, server RTP 46600+).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { startHttpReceiver } from '../../helpers/http-receiver.js';
import { attacher } from '../../helpers/attach.js';
import { startSipp, type RunningSipp } from '../../helpers/sipp.js';
import { dataPaths } from '../../../src/config/load.js';
import { Store } from '../../../src/store/store.js';
import { createActionEngine } from '../../../src/actions/action-engine.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'server-child.ts');
const BASE = 46500;
const OVERRIDES = {
  sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
  media: {
    address: '127.0.0.1',
    advertised_address: '127.0.0.1',
    rtp_port_min: BASE + 100,
    rtp_port_max: BASE + 499,
  },
  http: { allow_hosts: ['127.0.0.1'] },
  outbox: { poll_interval_ms: 20 },
};

const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startChild(dataDir: string): Promise<{ child: ChildProcess; sipPort: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, JSON.stringify(OVERRIDES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server child did not start within 30 s')), 30_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, sipPort: Number(m[1]) });
      }
    });
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`server child exited ${code}`))));
  });
}

function killed(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

async function until(
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('calls left open by a crash', () => {
  it('are closed on restart as server-restart by system, and their after-call webhook arrives once; a second restart queues nothing', async () => {
    const rx = await startHttpReceiver();
    cleanups.push(() => rx.close());
    const dir = tempDir('callwright-recovery-');
    cleanups.push(dir.cleanup);
    const config = testConfig(dir.dir, OVERRIDES);

    const first = await startChild(dir.dir);
    // The server made the demo agent on its first start; give it an after-call webhook.
    const store = Store.open(dataPaths(config).database);
    cleanups.push(() => store.close());
    const engine = createActionEngine({
      store,
      logger: pino({ level: 'silent' }),
      actions: config.actions,
      outbox: config.outbox,
    });
    const demo = (await store.agents.findBy('name', 'demo'))!;
    await attacher(store, engine, demo.id)('crm-hook', 'webhook', { url: `${rx.url}/calls` }, 'after');

    // A live call: sipp waits for a BYE that never comes from the killed server.
    const sipp: RunningSipp = startSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: `127.0.0.1:${first.sipPort}`,
      service: '1000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 30_000,
    });
    cleanups.push(() => sipp.kill());
    const live = async () => (await store.calls.list({ limit: 1 })).items[0];
    await until(async () => (await live())?.state === 'answered', 20_000, 'the call to be answered');
    await new Promise((r) => setTimeout(r, 300));
    await killed(first.child);
    sipp.kill();
    const callId = (await live())!.id;
    // The defect: nothing closes it until a process does on start.
    expect(await store.calls.require(callId)).toMatchObject({ state: 'answered', ended_at: null });

    const second = await startChild(dir.dir);
    await until(() => rx.requests.length >= 1, 20_000, 'the after-call webhook');
    const call = await store.calls.require(callId);
    expect(call).toMatchObject({ state: 'ended', end_reason: 'server-restart', hangup_by: 'system' });
    expect(call.ended_at).not.toBeNull();
    expect(Date.parse(call.ended_at!)).toBeGreaterThanOrEqual(
      Date.parse(call.answered_at ?? call.started_at),
    );
    const body = JSON.parse(rx.requests[0]!.body);
    expect(body.data.call).toMatchObject({ id: callId, end_reason: 'server-restart' });
    const outboxRows = () =>
      (store.db.prepare('SELECT count(*) AS n FROM outbox WHERE call_id = ?').get(callId) as { n: number }).n;
    await until(
      () =>
        (store.db.prepare(`SELECT status FROM outbox WHERE call_id = ?`).get(callId) as { status: string })
          .status === 'delivered',
      10_000,
      'the row to be delivered',
    );
    expect(outboxRows()).toBe(1);
    await killed(second.child);

    // Another restart: the call is closed, so nothing is queued or sent again.
    const third = await startChild(dir.dir);
    await new Promise((r) => setTimeout(r, 1000));
    await killed(third.child, 'SIGTERM');
    expect(outboxRows()).toBe(1);
    expect(rx.requests).toHaveLength(1);
    const afterRuns = (await engine.history.list({ callId })).items.filter((r) => r.stage === 'after');
    expect(afterRuns.map((r) => r.status)).toEqual(['succeeded']);
    expect(rx.requests[0]!.headers['idempotency-key']).toBe(`${callId}:${afterRuns[0]!.id}`);
  }, 120_000);
});
