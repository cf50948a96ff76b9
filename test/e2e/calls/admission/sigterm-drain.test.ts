/**
 * Graceful drain of a real `callwright start` process (embedded backend, real sipp callers, a real
 * webhook receiver on loopback): SIGTERM turns /ready 503 at once, refuses new calls with 503 +
 * Retry-After, lets the calls in progress finish and delivers their after-call webhooks, then exits 0.
 * Also: calls still up when the drain window ends get a BYE with a Reason header; a second SIGTERM
 * stops at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { PROJECT_ROOT, dataPaths } from '../../../../src/config/load.js';
import { Store } from '../../../../src/store/store.js';
import { createActionEngine } from '../../../../src/actions/action-engine.js';
import { attacher } from '../../../helpers/attach.js';
import { runSipp, sippFailure, startSipp } from '../../../helpers/sipp.js';
import { tempDir, testConfig } from '../../../helpers/temp.js';

// Port block of this file: 48200-48499. API 48200, SIP 48201, sipp 48202-48204 (their media
// 48210/48220/48230), webhook receiver 48240, server RTP 48300-48499.
const API_PORT = 48200;
const SIP_PORT = 48201;
const RECEIVER_PORT = 48240;
const API = `http://127.0.0.1:${API_PORT}`;

const cleanups: Array<() => unknown> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  store: Store;
}

/** `callwright start` as operators run it, with the test's ports and data folder in the environment. */
async function startCallwright(env: Record<string, string>): Promise<Server> {
  const dir = tempDir('callwright-drain-');
  cleanups.push(dir.cleanup);
  const child = spawn(process.execPath, ['src/cli/callwright.mjs', 'start'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CALLWRIGHT_DATA_DIR: dir.dir,
      CALLWRIGHT_API_PORT: String(API_PORT),
      CALLWRIGHT_SIP_PORT: String(SIP_PORT),
      CALLWRIGHT_SIP_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_ADVERTISED_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_RTP_PORT_MIN: '48300',
      CALLWRIGHT_MEDIA_RTP_PORT_MAX: '48499',
      CALLWRIGHT_HTTP_ALLOW_HOSTS: '["127.0.0.1"]',
      CALLWRIGHT_OUTBOX_POLL_INTERVAL_MS: '20',
      CALLWRIGHT_LOG_LEVEL: 'info',
      CALLWRIGHT_LOG_REDACT_PII: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(() => out.includes('admin API listening on'), 40_000, 'callwright to start');
  // The demo agent exists once the server listens; the test gives it an after-call webhook.
  const store = Store.open(dataPaths(testConfig(dir.dir)).database);
  cleanups.push(() => store.close());
  return { child, output: () => out, exited, store };
}

async function webhookOnDemoAgent(store: Store): Promise<void> {
  const engine = createActionEngine({
    store,
    logger: pino({ level: 'silent' }),
    actions: testConfig('/tmp').actions,
    outbox: testConfig('/tmp').outbox,
  });
  const demo = (await store.agents.findBy('name', 'demo'))!;
  await attacher(store, engine, demo.id)(
    'after-call-hook',
    'webhook',
    { url: `http://127.0.0.1:${RECEIVER_PORT}/calls` },
    'after',
  );
}

/** A loopback webhook receiver that answers each request after `delayMs`. */
async function startReceiver(delayMs: number): Promise<{ bodies: string[] }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      setTimeout(() => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(RECEIVER_PORT, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { bodies };
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function readyStatus(): Promise<number> {
  return (await fetch(`${API}/ready`)).status;
}

function answeredCalls(store: Store): number {
  return (store.db.prepare(`SELECT count(*) AS n FROM calls WHERE state = 'answered'`).get() as { n: number })
    .n;
}

describe('graceful drain of callwright start', () => {
  it('SIGTERM during 10 live calls: /ready 503 at once, a new INVITE gets 503 + Retry-After, the calls finish, their webhooks are delivered, exit 0', async () => {
    const receiver = await startReceiver(300);
    const server = await startCallwright({ CALLWRIGHT_ADMISSION_RETRY_AFTER_S: '13' });
    await webhookOnDemoAgent(server.store);
    expect(await readyStatus()).toBe(200);

    // Ten callers who hang up themselves after 12 s (before the demo agent would; long enough that all
    // ten are still up when the signal comes, even on a busy machine).
    const callers = startSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48202,
      mediaPort: 48210,
      service: '1000',
      calls: 10,
      limit: 10,
      rate: 20,
      timeoutMs: 60_000,
      extraArgs: ['-d', '12000'],
    });
    cleanups.push(() => callers.kill());
    await until(() => answeredCalls(server.store) === 10, 30_000, '10 answered calls');

    // Warm the HTTP connection first: a cold first request can take longer than the bound itself.
    for (let i = 0; i < 5; i++) expect(await readyStatus()).toBe(200);
    const sent = Date.now();
    server.child.kill('SIGTERM');
    await until(async () => (await readyStatus()) === 503, 5_000, '/ready 503');
    const readyAfterMs = Date.now() - sent;
    expect(readyAfterMs).toBeLessThan(100);
    const ready = (await (await fetch(`${API}/ready`)).json()) as { components: Record<string, unknown> };
    expect(ready.components.admission).toMatchObject({ ready: false });

    const traceDir = tempDir('sipp-drain-');
    cleanups.push(traceDir.cleanup);
    const traceFile = path.join(traceDir.dir, 'messages.log');
    const refused = await runSipp({
      scenario: 'uac-invite-expect-503-retry-after-no-ringing.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48203,
      mediaPort: 48220,
      service: '1000',
      extraArgs: ['-trace_msg', '-message_file', traceFile],
    });
    const trace = readFileSync(traceFile, 'utf8');
    expect(refused.code, sippFailure(refused)).toBe(0);
    expect(trace).toMatch(/^Retry-After: 13\s*$/m);

    const callersDone = await callers.done;
    expect(callersDone.code, sippFailure(callersDone)).toBe(0);
    const code = await server.exited;
    expect(code).toBe(0);
    // Every call ended normally (the callers' BYE), none by the drain, and each one's webhook arrived
    // before the process exited.
    const ends = server.store.db
      .prepare(`SELECT end_reason, hangup_by FROM calls WHERE state = 'ended'`)
      .all() as Array<{ end_reason: string; hangup_by: string }>;
    expect(ends).toHaveLength(10);
    expect(ends.every((e) => e.hangup_by === 'caller')).toBe(true);
    expect(receiver.bodies).toHaveLength(10);
    const log = server.output();
    const lines = log.split('\n').filter((l) => /draining: new calls refused|drain finished/.test(l));
    expect(lines.join('\n')).toMatch(/"calls":10.*draining: new calls refused/);
    expect(lines.join('\n')).toMatch(/"calls":10,"callsHungUp":0,"outboxLeft":0.*drain finished/);
  }, 120_000);

  it('hangs up the calls left when the drain window ends, with a BYE carrying a Reason, then exits 0', async () => {
    const server = await startCallwright({ CALLWRIGHT_CALLS_DRAIN_WINDOW_S: '1' });
    const traceDir = tempDir('sipp-drain-');
    cleanups.push(traceDir.cleanup);
    const traceFile = path.join(traceDir.dir, 'messages.log');
    // Two callers who wait for the server to hang up.
    const callers = startSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48202,
      mediaPort: 48210,
      service: '1000',
      calls: 2,
      limit: 2,
      timeoutMs: 60_000,
      extraArgs: ['-trace_msg', '-message_file', traceFile],
    });
    cleanups.push(() => callers.kill());
    await until(() => answeredCalls(server.store) === 2, 30_000, '2 answered calls');
    const sent = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // The demo agent's own goodbye comes after about 15 s; the window (1 s) ended the calls first.
    expect(Date.now() - sent).toBeLessThan(10_000);
    const done = await callers.done;
    expect(done.code, sippFailure(done)).toBe(0);
    const byes = readFileSync(traceFile, 'utf8')
      .split(/^-{10,}.*$/m)
      .filter((m) => /message received/.test(m) && /^BYE /m.test(m));
    expect(byes).toHaveLength(2);
    for (const bye of byes) expect(bye).toMatch(/^Reason: SIP ;cause=503 ;text="Server shutting down"\s*$/m);
    const ends = server.store.db.prepare(`SELECT end_reason FROM calls`).all() as Array<{
      end_reason: string;
    }>;
    expect(ends.map((e) => e.end_reason)).toEqual(['shutdown', 'shutdown']);
    expect(server.output()).toMatch(/"calls":2,"callsHungUp":2,"outboxLeft":0.*drain finished/);
  }, 120_000);

  it('stops at once on a second SIGTERM during the drain, hanging up the calls, exit 0', async () => {
    const server = await startCallwright({});
    const callers = startSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48202,
      mediaPort: 48210,
      service: '1000',
      calls: 2,
      limit: 2,
      timeoutMs: 60_000,
    });
    cleanups.push(() => callers.kill());
    await until(() => answeredCalls(server.store) === 2, 30_000, '2 answered calls');
    server.child.kill('SIGTERM');
    await until(async () => (await readyStatus()) === 503, 5_000, '/ready 503');
    // The window is an hour: only the second signal can end this drain.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull();
    const sent = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5_000);
    const done = await callers.done;
    expect(done.code, sippFailure(done)).toBe(0);
    expect(server.output()).toMatch(/stopping now/);
    expect(server.output()).toMatch(/"calls":2,"callsHungUp":2.*drain finished/);
  }, 120_000);
});
