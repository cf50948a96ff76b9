/**
 * Campaigns on several nodes sharing one PostgreSQL store (docs/campaigns.md#several-nodes), each node
 * its own `callwright start` process dialling a real sipp UAS that plays every callee
 * (sipp-scenarios/uas-campaign-callees.xml); what the callees saw is read from sipp's message log:
 *   - two campaigns over the same people run on both nodes at once: every node dials (each within its
 *     own admission limit), every person is called once per campaign and never twice at once;
 *   - a node starting while others are dialling leaves their attempts alone; a node killed with SIGKILL
 *     has its attempts resolved by the survivors once its lease ran out, each by one survivor.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src/store/store.js';
import { CampaignRepository, type NewCampaign } from '../../../src/campaigns/campaign-repository.js';
import type { CampaignAttemptRecord } from '../../../src/campaigns/campaign-types.js';
import { startSipp } from '../../helpers/sipp.js';
import { tempDir } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { startNodeProcess, type NodeProcess } from '../../helpers/node-process.js';
import { calleeCalls, hoursAroundNow, maxOverlap, seed, until } from './campaign-harness.js';

// Port block of this file: 62700-62899. sipp 62700 (media 62702); node a SIP 62710 and API 62711, b 62720
// and 62721, c 62730 and 62731; RTP of a 62740-62789, of b 62790-62839, of c 62840-62889.
const SIPP_PORT = 62700;
const NODES = {
  a: { sip: 62710, api: 62711, rtp: 62740 },
  b: { sip: 62720, api: 62721, rtp: 62790 },
  c: { sip: 62730, api: 62731, rtp: 62840 },
};
/** Heartbeat lease: short so the survivors take over within the test, long enough for a loaded machine. */
const LEASE_MS = 5000;
/** Calls each node holds at once (admission): more than one node's worth of work is asked for. */
const NODE_LIMIT = 2;

type Name = keyof typeof NODES;

describe('campaigns on several nodes sharing one PostgreSQL store', () => {
  const tmp = tempDir('callwright-campaign-nodes-');
  const trace = path.join(tmp.dir, 'callees.log');
  let url: string;
  let store: Store;
  let repo: CampaignRepository;
  let agentId: string;
  let sipp: ReturnType<typeof startSipp>;
  const nodes = new Map<Name, NodeProcess>();

  function start(name: Name): Promise<NodeProcess> {
    const n = NODES[name];
    mkdirSync(path.join(tmp.dir, name), { recursive: true });
    return startNodeProcess(
      name,
      {
        'data.dir': path.join(tmp.dir, name),
        'data.postgres_url': url,
        'api.host': '127.0.0.1',
        'api.port': n.api,
        'sip.address': '127.0.0.1',
        'sip.port': n.sip,
        'sip.trunks': JSON.stringify([{ name: 'carrier', host: '127.0.0.1', port: SIPP_PORT }]),
        'media.address': '127.0.0.1',
        'media.advertised_address': '127.0.0.1',
        'media.rtp_port_min': n.rtp,
        'media.rtp_port_max': n.rtp + 49,
        'speech.recognizer': 'none',
        'calls.demo_agent': false,
        'calls.default_timezone': 'UTC',
        'calls.calling_hours': JSON.stringify(hoursAroundNow()),
        'admission.auto': false,
        'admission.max_concurrent_calls': NODE_LIMIT,
        'cluster.node_id': name,
        'cluster.heartbeat_ms': 300,
        'cluster.lease_ms': LEASE_MS,
        'log.level': 'info',
      },
      { timeoutMs: 60_000 },
    ).then((p) => {
      nodes.set(name, p);
      return p;
    });
  }

  /** A campaign over `phones` (contacts tagged by the seed), made in the store: the runners find it. */
  async function campaign(name: string, phones: string[], extra: Partial<NewCampaign> = {}): Promise<string> {
    const ids: string[] = [];
    for (const phone of phones) ids.push((await store.contacts.findBy('phone', phone))!.id);
    const created = await repo.create(
      {
        name,
        agent_id: agentId,
        audience: { contact_ids: ids },
        trunk: 'carrier',
        from_number: null,
        variables: {},
        start_at: null,
        end_by: null,
        calls_per_second: 5,
        max_concurrent: 4,
        ring_timeout_ms: 20_000,
        retry: {},
        ...extra,
      },
      ids,
    );
    return created.id;
  }

  const attemptsOf = (campaignId: string): Promise<CampaignAttemptRecord[]> =>
    store.sql.all<CampaignAttemptRecord>('SELECT * FROM campaign_attempts WHERE campaign_id = ?', [
      campaignId,
    ]);

  beforeAll(async () => {
    url = await testPostgresDatabase('campaign_nodes');
    store = await Store.connect({ url });
    repo = new CampaignRepository(store.sql);
    sipp = startSipp({
      scenario: 'uas-campaign-callees.xml',
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 2,
      calls: 1000,
      timeoutMs: 240_000,
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    await sipp.ready;
    await Promise.all([start('a'), start('b')]);
    // +44207183 K NNN: K = 1 answers (the agent listens 1.5 s, then hangs up), 3 rings until cancelled.
    await seed(
      store,
      [...answering(), ...ringing()].map((phone) => ({ phone })),
    );
    agentId = (await store.agents.byIdOrName('campaigner'))!.id;
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes.values()) await n.kill('SIGKILL');
    sipp?.kill();
    await store?.close();
    tmp.cleanup();
  });

  it('shares two campaigns over the same people between the nodes: each called once per campaign, never twice at once', async () => {
    const people = answering();
    const spring = await campaign('spring', people);
    const autumn = await campaign('autumn', people);
    await until(
      async () =>
        (await repo.get(spring))?.status === 'completed' && (await repo.get(autumn))?.status === 'completed',
      120_000,
      'both campaigns to complete',
    );
    for (const id of [spring, autumn])
      expect(await repo.progress(id)).toEqual({
        total: people.length,
        done: people.length,
        by_status: { answered: people.length },
      });
    const attempts = [...(await attemptsOf(spring)), ...(await attemptsOf(autumn))];
    expect(attempts).toHaveLength(2 * people.length);
    expect(new Set(attempts.map((a) => a.node_id))).toEqual(new Set(['a', 'b']));

    // At the callees: one INVITE per person per campaign, and one person's two calls never overlap.
    const calls = calleeCalls(trace).filter((c) => people.includes(c.number));
    for (const phone of people) {
      const theirs = calls.filter((c) => c.number === phone);
      expect(theirs, phone).toHaveLength(2);
      expect(maxOverlap(theirs), phone).toBe(1);
    }
  }, 180_000);

  it("leaves other nodes' attempts to them at start, and resolves a killed node's attempts once", async () => {
    // Four people whose phones ring for 20 s: two calls on each node, up until their ring timer.
    const people = ringing();
    const id = await campaign('winter', people);
    const held = await until(
      async () => {
        const open = (await attemptsOf(id)).filter((a) => a.status === 'dialling' && a.call_id);
        return open.length === people.length ? open : undefined;
      },
      60_000,
      'every contact dialling',
    );
    expect(held.filter((a) => a.node_id === 'a')).toHaveLength(NODE_LIMIT);
    expect(held.filter((a) => a.node_id === 'b')).toHaveLength(NODE_LIMIT);

    // A third node starting now resolves its own left-open attempts (none): a's and b's ring on.
    const c = await start('c');
    expect((await attemptsOf(id)).filter((a) => a.status === 'dialling')).toHaveLength(people.length);

    await nodes.get('a')!.kill('SIGKILL');
    const ofA = held.filter((a) => a.node_id === 'a').map((a) => a.id);
    await until(
      async () => {
        const now = await attemptsOf(id);
        return ofA.every((a) => now.find((x) => x.id === a)?.status === 'ended');
      },
      30_000,
      "the killed node's attempts to be resolved",
    );
    const after = await attemptsOf(id);
    for (const a of after.filter((x) => ofA.includes(x.id)))
      expect(a).toMatchObject({ status: 'ended', outcome: 'failed', node_id: 'a' });
    // Closed by the survivors from their closed calls (node-lost): each by exactly one of them.
    for (const a of ofA) {
      const call = await store.calls.get(after.find((x) => x.id === a)!.call_id!);
      expect(call).toMatchObject({ end_reason: 'node-lost' });
    }
    const resolvedBy = (n: NodeProcess): number =>
      n
        .output()
        .split('\n')
        .filter((l) => l.includes('attempt of a dead node resolved')).length;
    expect(resolvedBy(nodes.get('b')!) + resolvedBy(c)).toBe(ofA.length);
    // b's attempts were never touched: still ringing, or ended by their own ring timer.
    for (const a of after.filter((x) => x.node_id === 'b'))
      expect(a.status === 'dialling' || a.outcome === 'no-answer', a.id).toBe(true);
  }, 180_000);
});

function answering(): string[] {
  return Array.from({ length: 8 }, (_, i) => `+442071831${String(700 + i)}`);
}

function ringing(): string[] {
  return Array.from({ length: 4 }, (_, i) => `+442071833${String(700 + i)}`);
}
