/**
 * Controls of a live call over the public API, against a real SIP caller (sipp): POST
 * /calls/{id}/transfer hands the call over by REFER (sipp accepts, reports NOTIFY 200, gets the BYE)
 * and records the run in the call's action history; a call that has ended refuses hang-up and
 * transfer with 409. Port block: 55200-55399 (sipp 55201, server RTP 55300-55399; API and SIP on port 0).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServer, type RunningServer } from '../../../src/server.js';
import { importAgent } from '../../../src/agent/agent-import.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { sippFailure, startSipp } from '../../helpers/sipp.js';
import type { Json } from '../../integration/api/harness.js';

const AGENT = `
agent:
  name: control-test
  kind: scripted
  config:
    steps:
      - say: Hello.
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 60000, into: key }
      - gather: { input: dtmf, max_digits: 1, timeout_ms: 60000, into: again }
      - hangup: true
`;

let dir: { dir: string; cleanup: () => void };
let server: RunningServer;
let key: string;

beforeAll(async () => {
  dir = tempDir('callwright-e2e-call-control-');
  const config = testConfig(dir.dir, {
    sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: 55300,
      rtp_port_max: 55399,
    },
    calls: { demo_agent: false, default_agent: 'control-test' },
  });
  server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
  await importAgent(server.store, server.actions.engine, parse(AGENT));
  key = (await server.store.apiKeys.create('control')).token;
}, 60_000);
afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
}, 60_000);

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(server.apiUrl + url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('transfers a live call by REFER over the API, then refuses to hang up or transfer the ended call', async () => {
  const sipTarget = `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`;
  const sipp = startSipp({
    scenario: 'transfer-uac-press-1-accept-refer.xml',
    remote: sipTarget,
    service: '2000',
    localPort: 55201,
    timeoutMs: 60_000,
  });
  try {
    // The caller pressed 1 and waits for the REFER: the call is answered and the agent gathers again.
    const call = await until(async () => {
      const c = (await server.store.calls.list({ limit: 1 })).items[0];
      return c && (await server.store.callEvents.ofType(c.id, 'dtmf')).length ? c : undefined;
    });
    const bad = await api('POST', `/calls/${call.id}/transfer`, { target: 'line:nowhere' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({ field: 'body.target', value: 'line:nowhere' });

    const res = await api('POST', `/calls/${call.id}/transfer`, { target: 'sip:desk@127.0.0.1:55250' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ ok: true, outcome: { flow: 'transfer', handed_off: true } });
    const result = await sipp.done;
    expect(result.code, sippFailure(result)).toBe(0);

    const ended = await until(async () => {
      const c = await server.store.calls.get(call.id);
      return c?.ended_at ? c : undefined;
    });
    expect(ended.outcome).toBe('transferred');
    const runs = (await server.actions.engine.history.list({ callId: call.id })).items;
    expect(runs.map((r) => [r.action_type, r.status, r.trigger])).toEqual([
      ['cold-transfer', 'succeeded', { kind: 'command', command: 'transfer' }],
    ]);

    const hangup = await api('POST', `/calls/${call.id}/hangup`);
    expect(hangup.status).toBe(409);
    expect(hangup.body).toMatchObject({ code: 'PRECONDITION', message: `call ${call.id} is not live` });
    const again = await api('POST', `/calls/${call.id}/transfer`, { target: 'sip:desk@127.0.0.1:55250' });
    expect(again.status).toBe(409);
    expect((await api('POST', '/calls/call_nope/hangup')).status).toBe(404);
  } finally {
    sipp.kill();
    await sipp.done;
  }
}, 90_000);
