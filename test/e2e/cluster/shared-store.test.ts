/**
 * Two nodes (in-process servers on the embedded backend, each its own SIP, RTP and API ports and data
 * folder) sharing one PostgreSQL store (docs/scaling.md):
 *   - a Do-Not-Call mark made through node A's API refuses a call out through node B at once;
 *   - API requests about a live call sent to the node that does not hold it reach the one that does
 *     (hang-up: the caller gets the BYE; the live view streams from the holder);
 *   - a call out asked of a draining node is placed on the other one;
 *   - both nodes are in the `nodes` table with their heartbeat, and a node that stops leaves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { EmbeddedTelephony } from '../../../src/telephony/embedded/index.js';
import { startSipp } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { until } from '../../helpers/until.js';

// Port block of this file: 63300-63349 for sipp (63300, media 63302) and the trunk nobody answers
// (63310); RTP of node A 63350-63399, of node B 63400-63449. SIP and API ports are the OS's.
const SIPP_PORT = 63300;
const TRUNK_PORT = 63310;
const io = { out: () => undefined, err: () => undefined, tty: false };

async function startNode(name: string, dir: string, url: string, rtpMin: number): Promise<RunningServer> {
  const server = await startServer(
    testConfig(dir, {
      data: { postgres_url: url },
      sip: {
        address: '127.0.0.1',
        port: 0,
        trunks: [{ name: 'carrier', host: '127.0.0.1', port: TRUNK_PORT }],
      },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: rtpMin,
        rtp_port_max: rtpMin + 49,
      },
      calls: {
        demo_agent: false,
        // Calls out at any hour of any day the test runs.
        calling_hours: {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: '00:00',
          end: '23:59',
        },
      },
      admission: { auto: false },
      cluster: { node_id: name, heartbeat_ms: 300, lease_ms: 5000 },
    }),
    { io },
  );
  if (!(server.telephony instanceof EmbeddedTelephony)) throw new Error('expected the embedded backend');
  return server;
}

async function api(
  server: RunningServer,
  key: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${server.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

describe('two nodes sharing one PostgreSQL store', () => {
  const tmp = tempDir('callwright-shared-');
  let a: RunningServer;
  let b: RunningServer;
  let key: string;
  let agentId: string;

  beforeAll(async () => {
    const url = await testPostgresDatabase('shared');
    a = await startNode('a', `${tmp.dir}/a`, url, 63350);
    b = await startNode('b', `${tmp.dir}/b`, url, 63400);
    key = (await a.store.apiKeys.create('shared-store test')).token;
    const agent = await api(a, key, 'POST', '/agents', {
      name: 'listener',
      kind: 'scripted',
      config: { steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 60000 } }, { hangup: true }] },
    });
    agentId = String(agent.body.id);
    await api(a, key, 'POST', '/numbers', { number: '+14155552000', agent_id: agentId });
  }, 60_000);

  afterAll(async () => {
    await a?.stopNow();
    await b?.stopNow();
    tmp.cleanup();
  });

  it('lists both nodes with their heartbeat', async () => {
    const nodes = await until(
      async () => {
        const rows = await a.store.sql.all<{ id: string; api_url: string }>(
          'SELECT id, api_url FROM nodes ORDER BY id',
        );
        return rows.length === 2 ? rows : undefined;
      },
      5000,
      'both nodes in the nodes table',
    );
    expect(nodes).toEqual([
      { id: 'a', api_url: a.apiUrl },
      { id: 'b', api_url: b.apiUrl },
    ]);
  });

  it('a DNC mark made through node A refuses a call out through node B at once', async () => {
    const contact = await api(b, key, 'POST', '/contacts', { phone: '+14155550123', first_name: 'Dee' });
    expect(contact.status).toBe(201);
    const marked = await api(a, key, 'PUT', `/contacts/${String(contact.body.id)}/dnc`, {
      reason: 'asked on the phone',
    });
    expect(marked.status).toBe(200);
    const call = await api(b, key, 'POST', '/calls', {
      to: '+14155550123',
      agent: agentId,
      trunk: 'carrier',
    });
    expect(call.status).toBe(409);
    expect(call.body.code).toBe('DNC');
  });

  it('a hang-up sent to the node that does not hold the call reaches the one that does', async () => {
    const sipp = startSipp({
      scenario: 'uac-invite-wait-for-hangup.xml',
      remote: `127.0.0.1:${(a.telephony as EmbeddedTelephony).port}`,
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 2,
      service: '+14155552000',
      calls: 1,
      timeoutMs: 40_000,
    });
    const call = await until(
      async () =>
        (await a.store.calls.live()).find((c) => c.to_number === '+14155552000' && c.state === 'answered'),
      15_000,
      'the call answered on node A',
    );
    expect(call.node_id).toBe('a');
    // The live view asked of B streams from A (the holder's own change feed).
    const live = await fetch(`${b.apiUrl}/calls/${call.id}/live`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(live.status).toBe(200);
    expect(live.headers.get('x-callwright-node')).toBe('a');
    const reader = live.body!.getReader();
    // The stream opens with its `retry:` line; the call's first event follows.
    let first = '';
    while (!first.includes(call.id)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      first += new TextDecoder().decode(chunk.value);
    }
    expect(first).toContain(call.id);
    await reader.cancel();

    const hung = await api(b, key, 'POST', `/calls/${call.id}/hangup`);
    expect(hung.status).toBe(202);
    expect(hung.headers.get('x-callwright-node')).toBe('a');
    const result = await sipp.done;
    expect(result.code, result.errors).toBe(0);
    const ended = await until(
      async () => {
        const row = await b.store.calls.get(call.id);
        return row?.ended_at ? row : undefined;
      },
      10_000,
      'the call ended',
    );
    expect(ended.hangup_by).not.toBe('caller');
  }, 60_000);

  it('a call out asked of a draining node is placed on the other', async () => {
    b.admission.startDrain();
    await until(
      async () =>
        (await a.store.sql.get<{ draining: number }>("SELECT draining FROM nodes WHERE id = 'b'"))
          ?.draining === 1,
      5000,
      "node B's heartbeat to say it drains",
    );
    const call = await api(b, key, 'POST', '/calls', {
      to: '+14155550199',
      agent: agentId,
      trunk: 'carrier',
    });
    expect(call.status, JSON.stringify(call.body)).toBe(202);
    expect(call.headers.get('x-callwright-node')).toBe('a');
    const row = await a.store.calls.require(String(call.body.call_id ?? call.body.id));
    expect(row.node_id).toBe('a');
    await api(a, key, 'POST', `/calls/${row.id}/hangup`);
  }, 30_000);

  it('a node that stops leaves the nodes table', async () => {
    await b.stopNow();
    const rows = await a.store.sql.all<{ id: string }>('SELECT id FROM nodes ORDER BY id');
    expect(rows).toEqual([{ id: 'a' }]);
  }, 30_000);
});
