/**
 * Two Callwright nodes (embedded backend, each its own SQLite file and ports) behind a real Kamailio
 * running docker/kamailio/kamailio.cfg, driven by sipp on loopback:
 *   - 100 calls through the proxy are spread over both nodes, each ended by the caller's BYE on the
 *     node that answered it (the node's store says so);
 *   - a node's own BYE, and a cold transfer's REFER, NOTIFYs and BYE, pass the proxy;
 *   - a node answering 503 to an INVITE (full) or not answering at all: the call goes to another node;
 *     with no node in, the proxy answers 503 + Retry-After itself;
 *   - requests for other domains, forged in-dialog requests, other methods are refused;
 *   - a draining node answers OPTIONS 503, the dispatcher takes it out, new calls all go to the other
 *     node, and the draining node's calls still end through the proxy.
 * Two proxies share the nodes: K1 probes every second (drain) and reaches the nodes from a second
 * socket (another port, as in docker compose: double Record-Route); K2 probes every 30 s, so its
 * INVITE failover is not pre-empted by a probe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type DrainReport, type RunningServer } from '../../../src/server.js';
import { EmbeddedTelephony } from '../../../src/telephony/embedded/index.js';
import { startKamailio, type RunningKamailio } from '../../helpers/kamailio.js';
import { runSipp, sippFailure, startSipp, type RunningSipp, type SippOptions } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { until } from '../../helpers/until.js';
import { RawSipClient, request } from '../telephony/raw-sip-client.js';

// Port block of this file: 58500-58999. Kamailio K1 58500 (58503 towards the nodes), K2 58501, K3 58504; 58502 is a node that never
// answers (nothing listens there); sipp 58530-58538 (media 58540-58558); RTP of node A 58600-58749,
// of node B 58750-58899. The nodes' SIP and API ports are the OS's (port 0).
const K1_PORT = 58500;
const K2_PORT = 58501;
const K1_NODE_SIDE_PORT = 58503;
/** A proxy whose only node is out. */
const K3_PORT = 58504;
const DEAD_NODE = '127.0.0.1:58502';
/** Node B's limit of calls at once: the INVITE-failover test fills it. */
const B_MAX_CALLS = 8;
/** The transfer target in the REFER (the caller accepts it without calling it). */
const DESK = 'sip:desk@127.0.0.1:58539';

const io = { out: () => undefined, err: () => undefined, tty: false };

interface Node {
  name: string;
  server: RunningServer;
  sip: string;
  drained?: Promise<DrainReport>;
}

async function startNode(name: string, dir: string, rtpMin: number, admission: object): Promise<Node> {
  const config = testConfig(dir, {
    sip: { address: '127.0.0.1', port: 0 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: rtpMin,
      rtp_port_max: rtpMin + 149,
    },
    calls: { demo_agent: false, default_agent: 'listener' },
    admission: { auto: false, retry_after_s: 2, ...admission },
  });
  const server = await startServer(config, { io });
  if (!(server.telephony instanceof EmbeddedTelephony)) throw new Error('expected the embedded backend');
  // Each node has its own store, so each gets the same agents. The listener waits for the caller's
  // BYE; number 2000 hangs up at once (the node's own BYE); number 3000 transfers the caller by REFER
  // when it presses 1.
  const agents = server.store.agents;
  await agents.create({
    name: 'listener',
    kind: 'scripted',
    config: { steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 60000 } }, { hangup: true }] },
  });
  const closer = await agents.create({
    name: 'closer',
    kind: 'scripted',
    config: { steps: [{ hangup: true }] },
  });
  await server.store.numbers.create({ number: '2000', agent_id: closer.id });
  const transferrer = await agents.create({
    name: 'transferrer',
    kind: 'scripted',
    config: {
      steps: [
        { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 10000 } },
        { transfer: { target: DESK } },
      ],
    },
  });
  await server.store.numbers.create({ number: '3000', agent_id: transferrer.id });
  return { name, server, sip: `127.0.0.1:${server.telephony.port}` };
}

interface CallRow {
  sip_call_id: string;
  to_number: string;
  transfer: string | null;
  state: string;
  end_reason: string | null;
  hangup_by: string | null;
}

function calls(node: Node): CallRow[] {
  return node.server.store.db
    .prepare(`SELECT sip_call_id, to_number, state, end_reason, hangup_by, transfer FROM calls`)
    .all() as CallRow[];
}

/** sipp through `proxy` with the Record-Route-following scenarios. */
function sippVia(proxy: RunningKamailio, localPort: number, options: Partial<SippOptions>): SippOptions {
  return {
    scenario: 'uac-invite-via-proxy-answer-hangup.xml',
    remote: proxy.target,
    service: '1000',
    localPort,
    mediaPort: localPort + 10,
    timeoutMs: 40_000,
    ...options,
  };
}

function refusals(node: Node): Record<string, number> {
  return { ...node.server.admission.stats().refusals };
}

describe('two nodes behind Kamailio (dispatcher, OPTIONS probing, Record-Route)', () => {
  const tmp = tempDir('callwright-cluster-');
  let a: Node;
  let b: Node;
  let k1: RunningKamailio;
  let k2: RunningKamailio;
  const sipps: RunningSipp[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startNode('a', `${tmp.dir}/a`, 58600, {}),
      startNode('b', `${tmp.dir}/b`, 58750, { max_concurrent_calls: B_MAX_CALLS }),
    ]);
    [k1, k2] = await Promise.all([
      startKamailio({
        dir: tmp.dir,
        port: K1_PORT,
        nodes: [a.sip, b.sip],
        pingIntervalS: 1,
        nodeSocket: `udp:127.0.0.1:${K1_NODE_SIDE_PORT}`,
      }),
      startKamailio({
        dir: tmp.dir,
        port: K2_PORT,
        nodes: [a.sip, b.sip, DEAD_NODE],
        pingIntervalS: 30,
        nodeTimeoutMs: 1000,
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sipps) s.kill();
    // Nodes first: a draining node's calls may still need the proxy for their BYE.
    await Promise.all(
      [a, b].map(async (n) => {
        if (!n) return;
        if (!n.drained) return n.server.stop();
        await n.server.stopNow();
        await n.drained;
      }),
    );
    await Promise.all([k1?.stop(), k2?.stop()]);
    tmp.cleanup();
  }, 30_000);

  it('spreads 100 calls over both nodes; every BYE reaches the node that answered', async () => {
    const result = await runSipp(
      sippVia(k1, 58530, { calls: 100, rate: 50, limit: B_MAX_CALLS, extraArgs: ['-d', '300'] }),
    );
    expect(result.code, sippFailure(result)).toBe(0);
    const [onA, onB] = [calls(a), calls(b)];
    expect(onA.length + onB.length).toBe(100);
    // Round robin over two healthy nodes: about half each.
    expect(onA.length).toBeGreaterThan(30);
    expect(onB.length).toBeGreaterThan(30);
    const ids = new Set([...onA, ...onB].map((c) => c.sip_call_id));
    expect(ids.size).toBe(100);
    for (const row of [...onA, ...onB]) {
      expect(row).toMatchObject({ state: 'ended', end_reason: 'normal', hangup_by: 'caller' });
    }
  }, 60_000);

  it("sends a node's own BYE to the caller through the proxy", async () => {
    const result = await runSipp(
      sippVia(k1, 58531, {
        scenario: 'uac-invite-via-proxy-expect-server-bye.xml',
        service: '2000',
        calls: 4,
      }),
    );
    expect(result.code, sippFailure(result)).toBe(0);
    const byAgent = [...calls(a), ...calls(b)].filter((c) => c.hangup_by === 'agent');
    expect(byAgent).toHaveLength(4);
  }, 40_000);

  it('transfers a call by REFER through the proxy: REFER, NOTIFYs and BYE all pass it', async () => {
    const result = await runSipp(
      sippVia(k1, 58535, {
        scenario: 'transfer-uac-via-proxy-press-1-accept-refer.xml',
        service: '3000',
        calls: 2,
        rate: 10,
      }),
    );
    expect(result.code, sippFailure(result)).toBe(0);
    const transferred = [...calls(a), ...calls(b)].filter((c) => c.end_reason === 'transferred');
    expect(transferred).toHaveLength(2);
    for (const row of transferred) {
      expect(JSON.parse(row.transfer ?? '{}')).toMatchObject({
        method: 'refer',
        refer: { outcome: 'completed', status: 200 },
      });
    }
  }, 40_000);

  it('relays nothing but calls for its own service: 403 for other domains and foreign dialogs, 483, 405', async () => {
    const client = await RawSipClient.open('127.0.0.1', 0);
    const proxy = { host: '127.0.0.1', port: K1_PORT };
    const status = async (text: string): Promise<number | undefined> =>
      (await client.send(text, proxy, 500))[0]?.status;
    try {
      expect(await status(request('INVITE', 'sip:+14155550100@example.com', client))).toBe(403);
      expect(await status(request('OPTIONS', `sip:127.0.0.1:${K1_PORT}`, client))).toBe(200);
      // The service domain (SERVICE_DOMAIN, default callwright.invalid) is the proxy's own too.
      expect(await status(request('OPTIONS', 'sip:callwright.invalid', client))).toBe(200);
      expect(await status(request('REGISTER', `sip:127.0.0.1:${K1_PORT}`, client))).toBe(405);
      const noHops = request('INVITE', `sip:1000@127.0.0.1:${K1_PORT}`, client).replace(
        'Max-Forwards: 70',
        'Max-Forwards: 0',
      );
      expect(await status(noHops)).toBe(483);
      // A forged in-dialog request that routes itself through the proxy to a host that is no node.
      const forged = request('BYE', 'sip:victim@192.0.2.1', client, {
        headers: [`Route: <sip:127.0.0.1:${K1_PORT};lr>`],
      }).replace(/^To: (.*)$/m, 'To: $1;tag=forged');
      expect(await status(forged)).toBe(403);
    } finally {
      client.close();
    }
  });

  it('answers 503 + Retry-After itself when no node is in', async () => {
    const k3 = await startKamailio({
      dir: tmp.dir,
      port: K3_PORT,
      nodes: [DEAD_NODE],
      outAtStart: [DEAD_NODE],
      pingIntervalS: 30,
    });
    const client = await RawSipClient.open('127.0.0.1', 0);
    try {
      const [reply] = await client.send(request('INVITE', `sip:1000@127.0.0.1:${K3_PORT}`, client), {
        host: '127.0.0.1',
        port: K3_PORT,
      });
      expect(reply?.status).toBe(503);
      expect(reply?.text).toMatch(/^Retry-After: 5\r$/m);
    } finally {
      client.close();
      await k3.stop();
    }
  });

  it('moves a call to another node when a node answers 503 (full) or does not answer', async () => {
    const before = refusals(b).concurrency ?? 0;
    const [aBefore, bBefore] = [calls(a).length, calls(b).length];
    // 30 callers at once for 4 s: B's half is more than it may take, the dead node answers nothing.
    const result = await runSipp(
      sippVia(k2, 58532, { calls: 30, rate: 60, limit: 30, extraArgs: ['-d', '4000'] }),
    );
    expect(result.code, sippFailure(result)).toBe(0);
    expect((refusals(b).concurrency ?? 0) - before).toBeGreaterThan(0);
    expect(calls(b).length - bBefore).toBeLessThanOrEqual(B_MAX_CALLS);
    expect(calls(a).length - aBefore + (calls(b).length - bBefore)).toBe(30);
    // The node that never answered is out until a probe succeeds; the two real ones are in.
    const flags = Object.fromEntries(k2.destinations().map((d) => [d.uri, d.flags]));
    expect(flags[`sip:${DEAD_NODE}`]).toMatch(/^I/);
    expect(flags[`sip:${a.sip}`]).toMatch(/^A/);
  }, 60_000);

  it('takes a draining node out after one probe: new calls all go to the other node, its own calls still end', async () => {
    // B must be back in K1 (it may have been full a moment ago).
    await until(() => k1.destinations().every((d) => d.flags.startsWith('A')), 10_000, 'both nodes in');
    // Four long calls: two on each node.
    const long = startSipp(sippVia(k1, 58533, { calls: 4, rate: 20, limit: 4, extraArgs: ['-d', '8000'] }));
    sipps.push(long);
    const active = (n: Node): number => n.server.telephony.stats().activeCalls;
    await until(() => active(a) + active(b) === 4 && active(b) > 0, 10_000, 'the long calls, one on B');
    b.drained = b.server.drain();
    await until(
      () =>
        k1
          .destinations()
          .find((d) => d.uri === `sip:${b.sip}`)
          ?.flags.startsWith('I') ?? false,
      10_000,
      'node B taken out by the probe',
    );
    const bRefused = refusals(b).draining ?? 0;
    // Number 1001 (the listener answers every number) tells these calls apart from the long ones.
    const result = await runSipp(
      sippVia(k1, 58534, { service: '1001', calls: 40, rate: 40, limit: 10, extraArgs: ['-d', '200'] }),
    );
    expect(result.code, sippFailure(result)).toBe(0);
    expect(calls(a).filter((c) => c.to_number === '1001')).toHaveLength(40);
    expect(calls(b).filter((c) => c.to_number === '1001')).toHaveLength(0);
    // Not even refused: no INVITE reached B once it was out.
    expect(refusals(b).draining ?? 0).toBe(bRefused);
    // The long calls end with the callers' BYE through the proxy, B's among them; then B stops.
    const longResult = await long.done;
    expect(longResult.code, sippFailure(longResult)).toBe(0);
    const report = await b.drained;
    expect(report).toMatchObject({ callsHungUp: 0 });
    expect(report.calls).toBeGreaterThan(0);
  }, 60_000);
});
