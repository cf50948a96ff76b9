/**
 * Call flows end to end on the embedded backend: the real server (store, engine, outbox worker,
 * telephony, admin API) against sipp. Port block for this file: 34000-34499 (sipp 34001-34099,
 * server RTP 34100-34499).
 */
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServer, type RunningServer } from '../../../src/server.js';
import { merge } from '../../../src/config/load.js';
import { importAgent } from '../../../src/agent/agent-import.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { runSipp, sippFailure, startSipp } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

const PRESS_1 = 'uac-invite-press-1-expect-bye.xml';
const BASE = 34000;

let dir: { dir: string; cleanup: () => void };
let server: RunningServer;
let apiKey = '';
let sipTarget = '';

async function boot(overrides: Record<string, unknown> = {}): Promise<RunningServer> {
  const lines: string[] = [];
  const config = testConfig(
    dir.dir,
    merge(
      {
        sip: {
          port: 0,
          address: '127.0.0.1',
          t1_ms: 100,
          t2_ms: 800,
          t4_ms: 1000,
          trunks: [{ name: 'local', host: '127.0.0.1', port: BASE + 4 }],
        },
        media: {
          address: '127.0.0.1',
          advertised_address: '127.0.0.1',
          rtp_port_min: BASE + 100,
          rtp_port_max: BASE + 499,
        },
        calls: {
          demo_agent: false,
          default_agent: 'e2e',
          calling_hours: {
            days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
            start: '00:00',
            end: '23:59',
          },
        },
        http: { allow_private: true },
        outbox: { poll_interval_ms: 50, backoff_base_ms: 10, backoff_max_ms: 50 },
      },
      overrides,
    ),
  );
  const s = await startServer(config, {
    io: { out: (l) => lines.push(l), err: () => undefined, tty: false },
  });
  apiKey ||= /API key: (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  sipTarget = `127.0.0.1:${(s.telephony as unknown as EmbeddedTelephony).port}`;
  return s;
}

async function agentFile(name: string, yaml: string): Promise<void> {
  await importAgent(server.store, server.actions.engine, parse(yaml.replace('NAME', name)));
}

async function api(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function lastCall() {
  return (await server.store.calls.list({ limit: 1 })).items[0];
}

function runsOf(callId: string) {
  return server.store.db
    .prepare(
      'SELECT action_type, stage, status, trigger FROM action_runs WHERE call_id = ? ORDER BY started_at, rowid',
    )
    .all(callId) as Array<{ action_type: string; stage: string; status: string; trigger: string }>;
}

beforeAll(async () => {
  dir = tempDir('callwright-e2e-calls-');
  server = await boot();
});
afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

describe('call flows on the embedded backend', () => {
  it('inbound: the scripted agent greets, gathers the digit sipp presses, branches and hangs up; all stored in order', async () => {
    await agentFile(
      'e2e',
      `
agent:
  name: NAME
  kind: scripted
  config:
    steps:
      - say: Hello from the test agent.
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 8000, into: choice }
      - branch: [{ dtmf: '1', goto: one }]
      - hangup: { say: Nothing pressed. }
      - id: one
        action: mark_one
      - hangup: { say: You pressed one. Goodbye. }
actions:
  - { name: mark_one, type: call-disposition, config: { disposition: pressed-one } }
attachments:
  - { action: mark_one, stage: during, triggers: [{ kind: tool }] }
`,
    );
    const result = await runSipp({
      scenario: PRESS_1,
      remote: sipTarget,
      service: '2000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 30_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    const call = await until(async () =>
      (await lastCall())?.state === 'ended' ? await lastCall() : undefined,
    );
    expect(call).toMatchObject({
      direction: 'inbound',
      to_number: '2000',
      outcome: 'completed',
      hangup_by: 'agent',
      call_disposition: 'pressed-one',
      collected: { choice: '1', last_input: 'dtmf' },
    });
    const events = (await server.store.callEvents.list(call!.id, { limit: 500 })).items;
    const seq = events
      .filter(
        (e) =>
          ['state', 'dtmf', 'gather', 'hangup'].includes(e.type) ||
          (e.type === 'transcript' && e.data.speaker === 'agent'),
      )
      .map((e) =>
        e.type === 'state'
          ? `state:${String(e.data.to)}`
          : e.type === 'transcript'
            ? `say:${String(e.data.text)}`
            : e.type,
      );
    expect(seq).toEqual([
      'state:answered',
      'say:Hello from the test agent.',
      'dtmf',
      'gather',
      'say:You pressed one. Goodbye.',
      'hangup',
      'state:ended',
    ]);
    expect(events.find((e) => e.type === 'dtmf')?.data).toMatchObject({ digit: '1', method: 'rfc4733' });
    expect(runsOf(call!.id).map((r) => [r.action_type, r.status])).toEqual([
      ['call-disposition', 'succeeded'],
    ]);
  });

  it('a BYE before the ACK (the ACK lost on the way) ends an answered call normally, not as an error', async () => {
    await agentFile(
      'e2e',
      `
agent:
  name: NAME
  kind: scripted
  config:
    steps:
      - say: Hello from the test agent.
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 8000, into: choice }
`,
    );
    const before = (await lastCall())?.id;
    const result = await runSipp({
      scenario: 'uac-invite-bye-without-ack.xml',
      remote: sipTarget,
      service: '2000',
      localPort: BASE + 6,
      mediaPort: BASE + 20,
      extraArgs: ['-d', '300'],
      timeoutMs: 20_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    const call = await until(async () => {
      const c = await lastCall();
      return c && c.id !== before && c.state === 'ended' ? c : undefined;
    });
    expect(call).toMatchObject({ direction: 'inbound', outcome: 'completed', hangup_by: 'caller' });
    expect(call?.answered_at).toBeTruthy();
  });

  it('an intent phrase injected with POST /calls/:id/transcript fires the hang-up action (closing line, then BYE)', async () => {
    await agentFile(
      'e2e',
      `
agent:
  name: NAME
  kind: scripted
  config:
    steps:
      - say: How can I help?
      - id: listen
        gather: { input: speech, timeout_ms: 20000 }
      - goto: listen
actions:
  - { name: human_bye, type: hang-up, config: { closing_line: Let me end this call for you. Goodbye. } }
attachments:
  - { action: human_bye, stage: during, triggers: [{ kind: intent, phrases: [talk to a human] }] }
`,
    );
    const sipp = startSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: sipTarget,
      service: '2000',
      localPort: BASE + 2,
      mediaPort: BASE + 12,
      timeoutMs: 30_000,
    });
    const live = await until(async () =>
      (await lastCall())?.state === 'answered' ? await lastCall() : undefined,
    );
    const bad = await api('POST', `/calls/${live!.id}/transcript`, { text: '' });
    expect(bad.status).toBe(400);
    const posted = await api('POST', `/calls/${live!.id}/transcript`, {
      text: 'Can I talk to a human, please?',
    });
    expect(posted).toEqual({ status: 202, body: { accepted: 1 } });
    const result = await sipp.done;
    expect(result.code, sippFailure(result)).toBe(0);
    await until(async () => (await server.store.calls.require(live!.id)).state === 'ended');
    const runs = runsOf(live!.id);
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([['hang-up', 'succeeded']]);
    expect(JSON.parse(runs[0]!.trigger)).toMatchObject({ kind: 'intent', phrase: 'talk to a human' });
    const lines = (await server.store.callEvents.list(live!.id, { limit: 500 })).items.filter(
      (e) => e.type === 'transcript',
    );
    const said = lines.map((e) => `${String(e.data.speaker)}:${String(e.data.text)}`);
    expect(said.slice(1)).toEqual([
      'caller:Can I talk to a human, please?',
      'agent:Let me end this call for you. Goodbye.',
    ]);
    // The greeting keeps its place; the closing line cut it, so it holds what the caller heard of it
    // (possibly nothing: the line came at once), with the whole text as `said`.
    const greeting = lines[0]!.data;
    expect(greeting.speaker).toBe('agent');
    if (greeting.text !== 'How can I help?') {
      expect(greeting.said).toBe('How can I help?');
      expect('How can I help?'.startsWith(String(greeting.text).replace(/…$/, ''))).toBe(true);
    }
  });

  it('outbound: POST /calls places the call with the agent and variables; a sipp UAS answers', async () => {
    await agentFile(
      'caller',
      'agent: { name: NAME, kind: scripted, config: { steps: [{ say: "Hello {{ data.name }}, this is a test." }] } }',
    );
    const uas = startSipp({
      scenario: 'uas-answer-wait-bye.xml',
      localPort: BASE + 3,
      mediaPort: BASE + 14,
      timeoutMs: 30_000,
    });
    await uas.ready;
    const placed = await api('POST', '/calls', {
      agent: 'caller',
      to: `sip:callee@127.0.0.1:${BASE + 3}`,
      variables: { name: 'Ada' },
    });
    expect(placed.status).toBe(202);
    const callId = String(placed.body.call_id);
    const result = await uas.done;
    expect(result.code, sippFailure(result)).toBe(0);
    const call = await until(async () =>
      (await server.store.calls.require(callId)).state === 'ended'
        ? await server.store.calls.require(callId)
        : undefined,
    );
    expect(call).toMatchObject({
      direction: 'outbound',
      variables: { name: 'Ada' },
      outcome: 'completed',
      hangup_by: 'agent',
    });
    const said = (await server.store.callEvents.list(callId, { limit: 50 })).items.find(
      (e) => e.type === 'transcript',
    );
    expect(said?.data.text).toBe('Hello Ada, this is a test.');
  });

  it('outbound to a DNC number is refused with a clear error and nothing is dialled (sipp sees no INVITE)', async () => {
    await server.store.contacts.create({
      phone: '+14155550123',
      dnc: true,
      dnc_reason: 'asked not to be called',
    });
    const messages = path.join(dir.dir, 'sipp-dnc-messages.log');
    const uas = startSipp({
      scenario: 'uas-answer-wait-bye.xml',
      localPort: BASE + 4,
      mediaPort: BASE + 16,
      timeoutMs: 3000,
      extraArgs: ['-trace_msg', '-message_file', messages],
    });
    await uas.ready;
    const refused = await api('POST', '/calls', { agent: 'caller', to: '+14155550123', trunk: 'local' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'DNC' });
    expect(String(refused.body.message)).toMatch(
      /Do-Not-Call list .*asked not to be called.*call was not placed/,
    );
    const result = await uas.done;
    expect(result.code).not.toBe(0);
    expect(existsSync(messages) ? readFileSync(messages, 'utf8') : '').not.toMatch(/INVITE sip:/);
    expect(
      (await server.store.calls.list({ limit: 100 })).items.some((c) => c.to_number === '+14155550123'),
    ).toBe(false);
  });
});

describe('after-call work across a restart', () => {
  it('queued in the call-end transaction, delivered once by the restarted server', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      await agentFile(
        'e2e',
        `
agent: { name: NAME, kind: scripted, config: { steps: [{ say: Thanks for calling. }] } }
actions:
  - { name: notify_crm, type: webhook, config: { url: '${url}', event: call.ended } }
attachments:
  - { action: notify_crm, stage: after }
`,
      );
      // The worker of this server stops now, so the row the call's end writes waits in the outbox.
      await server.actions.stop();
      const result = await runSipp({
        scenario: 'uac-invite-expect-server-bye.xml',
        remote: sipTarget,
        service: '2000',
        localPort: BASE + 5,
        mediaPort: BASE + 18,
        timeoutMs: 30_000,
      });
      expect(result.code, sippFailure(result)).toBe(0);
      const call = await until(async () =>
        (await lastCall())?.state === 'ended' ? await lastCall() : undefined,
      );
      const outbox = () =>
        server.store.db.prepare('SELECT status, attempts FROM outbox WHERE call_id = ?').all(call!.id);
      expect(outbox()).toEqual([{ status: 'pending', attempts: 0 }]);
      await server.stop();
      expect(received).toEqual([]);

      server = await boot();
      await until(() => received.length === 1).catch((e: unknown) => {
        const rows = server.store.db.prepare('SELECT status, attempts, last_error FROM outbox').all();
        throw new Error(`${String(e)}: ${JSON.stringify(rows)}`);
      });
      await until(() => (outbox() as Array<{ status: string }>)[0]?.status === 'delivered');
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]!)).toMatchObject({ type: 'call.ended' });
      expect(runsOf(call!.id).map((r) => [r.action_type, r.stage, r.status])).toEqual([
        ['webhook', 'after', 'succeeded'],
      ]);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
