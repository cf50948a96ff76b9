/**
 * Several nodes on one PostgreSQL store behind Kamailio (docs/scaling.md), each node its own process
 * (`callwright start`) with its own ports and data folder, on a real PostgreSQL server and a real
 * Kamailio with the project's dispatcher configuration:
 *   - sipp sends 200 calls through Kamailio; every answered call has an after-call webhook (a slow
 *     receiver, so deliveries are in flight); both nodes take calls;
 *   - node A is killed with SIGKILL mid-run: node B closes A's open calls once A's heartbeat lease has
 *     run out (`end_reason` node-lost) and delivers A's unfinished after-call work once A's outbox
 *     leases have run out: every call's webhook arrives, a repeated delivery always carries the same
 *     idempotency key (`webhook-id`), and nothing is left pending or dead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src/store/store.js';
import { startKamailio, type RunningKamailio } from '../../helpers/kamailio.js';
import { startSipp } from '../../helpers/sipp.js';
import { tempDir } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { until } from '../../helpers/until.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { startNodeProcess, type NodeProcess } from '../../helpers/node-process.js';
import { callApi } from '../../helpers/api-client.js';

// Port block of this file: 63500-63999. Kamailio 63500; sipp 63510 (media 63512); node A SIP 63520 and
// API 63521, node B SIP 63530 and API 63531; RTP of node A 63600-63749, of node B 63750-63899.
const KAMAILIO_PORT = 63500;
const SIPP_PORT = 63510;
const NODES = {
  a: { sip: 63520, api: 63521, rtp: 63600 },
  b: { sip: 63530, api: 63531, rtp: 63750 },
};
const CALLS = 200;
const OUTPUT = path.resolve('test-output');
/** Heartbeat and outbox leases, short so the survivor takes over within the test. */
const LEASE_MS = 3000;

function nodeSettings(name: 'a' | 'b', dir: string, url: string): Record<string, string | number | boolean> {
  const n = NODES[name];
  return {
    'data.dir': path.join(dir, name),
    'data.postgres_url': url,
    'api.host': '127.0.0.1',
    'api.port': n.api,
    'sip.address': '127.0.0.1',
    'sip.port': n.sip,
    'media.address': '127.0.0.1',
    'media.advertised_address': '127.0.0.1',
    'media.rtp_port_min': n.rtp,
    'media.rtp_port_max': n.rtp + 149,
    'speech.recognizer': 'none',
    'calls.demo_agent': false,
    'admission.auto': false,
    'http.allow_private': true,
    'outbox.lease_ms': LEASE_MS,
    'cluster.node_id': name,
    'cluster.heartbeat_ms': 500,
    'cluster.lease_ms': LEASE_MS,
    'log.level': 'warn',
  };
}

describe('two nodes on PostgreSQL behind Kamailio', () => {
  const tmp = tempDir('callwright-pg-cluster-');
  let store: Store;
  let key: string;
  let receiver: HttpReceiver;
  let kamailio: RunningKamailio | undefined;
  const nodes: NodeProcess[] = [];

  beforeAll(async () => {
    const url = await testPostgresDatabase('cluster');
    store = await Store.connect({ url });
    key = (await store.apiKeys.create('cluster test')).token;
    // Slow answers: a node killed while delivering has requests in flight.
    receiver = await startHttpReceiver(() => ({ status: 200, body: {}, delayMs: 800 }));
    for (const name of ['a', 'b'] as const) mkdirSync(path.join(tmp.dir, name), { recursive: true });
    nodes.push(
      ...(await Promise.all(
        (['a', 'b'] as const).map((name) =>
          startNodeProcess(name, nodeSettings(name, tmp.dir, url), { timeoutMs: 60_000 }),
        ),
      )),
    );
    const api = `http://127.0.0.1:${NODES.a.api}`;
    const hook = await callApi<{ id: string }>(api, key, 'POST', '/actions', {
      name: 'ended_hook',
      type: 'webhook',
      config: { url: `${receiver.url}/ended`, event: 'call.ended' },
    });
    // Each call is held about four seconds, then the agent hangs up (its BYE passes the proxy).
    const agent = await callApi<{ id: string }>(api, key, 'POST', '/agents', {
      name: 'holder',
      kind: 'scripted',
      config: { steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 4000 } }, { hangup: true }] },
    });
    await callApi(api, key, 'POST', `/agents/${agent.id}/actions`, { action_id: hook.id, stage: 'after' });
    await callApi(api, key, 'POST', '/numbers', { number: '+14155552000', agent_id: agent.id });
    kamailio = await startKamailio({
      dir: tmp.dir,
      port: KAMAILIO_PORT,
      nodes: [`127.0.0.1:${NODES.a.sip}`, `127.0.0.1:${NODES.b.sip}`],
      pingIntervalS: 1,
      nodeTimeoutMs: 1000,
    });
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.kill('SIGKILL');
    await kamailio?.stop();
    await receiver?.close();
    await store?.close();
    tmp.cleanup();
  });

  it('both nodes take calls; after SIGKILL of one, the other closes its calls and delivers every webhook', async () => {
    const sipp = startSipp({
      scenario: 'uac-invite-via-proxy-expect-server-bye.xml',
      remote: `127.0.0.1:${KAMAILIO_PORT}`,
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 2,
      service: '+14155552000',
      calls: CALLS,
      rate: 20,
      limit: 120,
      timeoutMs: 150_000,
    });
    // Kill A once it holds calls and has delivered some of its calls' webhooks (others are in flight).
    await until(
      async () => {
        const open = await store.sql.get<{ n: number }>(
          "SELECT count(*) AS n FROM calls WHERE node_id = 'a' AND ended_at IS NULL",
        );
        return (open?.n ?? 0) >= 10 && receiver.requests.length >= 5;
      },
      90_000,
      'node A to hold calls and deliver webhooks',
      200,
    );
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    await a.kill('SIGKILL');
    const killedAt = Date.now();
    const sent = await sipp.done;

    // B closes A's open calls after the lease and drains the outbox, A's claims included.
    await until(
      async () => {
        const open = await store.sql.get<{ n: number }>(
          'SELECT count(*) AS n FROM calls WHERE ended_at IS NULL',
        );
        const busy = await store.sql.get<{ n: number }>(
          "SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'processing')",
        );
        return open?.n === 0 && busy?.n === 0;
      },
      90_000,
      'every call closed and the outbox empty',
      200,
    );
    const closedAfterMs = Date.now() - killedAt;
    expect(closedAfterMs).toBeGreaterThanOrEqual(LEASE_MS);
    expect(b.child.exitCode).toBeNull();

    const byNode = await store.sql.all<{ node_id: string; end_reason: string | null; n: number }>(
      'SELECT node_id, end_reason, count(*) AS n FROM calls GROUP BY node_id, end_reason ORDER BY node_id, end_reason',
    );
    const count = (node: string, reason?: string): number =>
      byNode
        .filter((r) => r.node_id === node && (reason === undefined || r.end_reason === reason))
        .reduce((s, r) => s + r.n, 0);
    expect(count('a'), JSON.stringify(byNode)).toBeGreaterThan(0);
    expect(count('b'), JSON.stringify(byNode)).toBeGreaterThan(0);
    // A's calls open at the kill were closed by B, as lost with their node.
    expect(count('a', 'node-lost'), JSON.stringify(byNode)).toBeGreaterThan(0);
    expect(count('b', 'node-lost')).toBe(0);
    // Calls the killed node could not finish fail for sipp; B's calls and those retried to B succeed.
    expect(sent.stdout + sent.stderr).toBeTruthy();

    // Every call's after-call webhook arrived; a repeat carries the same idempotency key.
    const calls = await store.sql.all<{ id: string }>('SELECT id FROM calls');
    const byCall = new Map<string, Set<string>>();
    for (const r of receiver.requests) {
      const body = JSON.parse(r.body) as { data: { call: { id: string } } };
      const ids = byCall.get(body.data.call.id) ?? new Set<string>();
      ids.add(String(r.headers['webhook-id']));
      byCall.set(body.data.call.id, ids);
    }
    const missing = calls.filter((c) => !byCall.has(c.id)).map((c) => c.id);
    expect(missing).toEqual([]);
    for (const [callId, ids] of byCall) expect(ids.size, callId).toBe(1);
    const dead = await store.sql.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'dead'");
    expect(dead?.n).toBe(0);
    // Deliveries A had in flight when it died were made again by B (same key, at least once).
    expect(receiver.requests.length).toBeGreaterThan(calls.length);
    // What happened, for docs/scaling.md and a failing run's reader.
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(
      path.join(OUTPUT, 'postgres-cluster.json'),
      JSON.stringify(
        {
          calls: calls.length,
          byNode,
          webhooks: receiver.requests.length,
          repeatedCalls: [...byCall.keys()].filter(
            (id) => receiver.requests.filter((r) => r.body.includes(`"id":"${id}"`)).length > 1,
          ).length,
          closedAfterKillMs: closedAfterMs,
          sippExit: sent.code,
        },
        null,
        2,
      ),
    );
  }, 300_000);
});
