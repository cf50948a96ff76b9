/**
 * bench:cluster's setups: the nodes (`callwright start` children on SQLite or the shared PostgreSQL
 * database), their agent and webhook, and Kamailio in front of them. What is measured is in cluster.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKamailio, type RunningKamailio } from '../test/helpers/kamailio.js';
import { clusterPorts, type ClusterOptions, type Setup } from './cluster-options.js';
import type { BenchStore, SetupDatabase } from './cluster-store.js';
import { startServerChild, type ServerChild, type webhookReceiver } from './server-child.js';

export type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;

export interface Cluster {
  nodes: ServerChild[];
  /** The setup's shared PostgreSQL database (undefined: each node its own SQLite file). */
  database?: SetupDatabase;
  proxy?: RunningKamailio;
  /** Where sipp sends its INVITEs. */
  target: string;
  scenario: string;
  stop(): Promise<void>;
}

/** Node `i` of the setup; on PostgreSQL named `node-i`, the id its calls are stamped with. */
async function startNode(i: number, opts: ClusterOptions, database?: SetupDatabase): Promise<ServerChild> {
  const ports = clusterPorts(opts.basePort).node(i);
  return startServerChild({
    apiPort: ports.api,
    ...(database ? { apiKey: database.apiKey } : {}),
    config: {
      log: { level: 'error' },
      ...(database ? { data: { postgres_url: database.url }, cluster: { node_id: `node-${i}` } } : {}),
      sip: { address: '127.0.0.1', port: ports.sip, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: ports.rtpMin,
        rtp_port_max: ports.rtpMax,
        timeout_ms: 0,
      },
      speech: { recognizer: 'none' },
      calls: { demo_agent: false, default_agent: 'cluster' },
      http: { allow_hosts: ['127.0.0.1'] },
    },
  });
}

/** The agent every call gets (calls.default_agent) and its after-call webhook, through `node`'s API. */
async function configure(node: ServerChild, receiver: Receiver): Promise<void> {
  const agent = await node.api<{ id: string }>('POST', '/agents', {
    name: 'cluster',
    kind: 'scripted',
    // A call sipp gave up on (a failed step) ends by itself after 10 s instead of loading the next step.
    config: {
      steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 10_000 } }, { hangup: true }],
    },
  });
  await node.api('POST', '/actions', {
    name: 'cluster_webhook',
    type: 'webhook',
    config: { url: receiver.url, event: 'call.ended' },
  });
  await node.api('POST', `/agents/${agent.id}/actions`, { action_id: 'cluster_webhook', stage: 'after' });
}

/**
 * The setup's nodes, configured: each through its own API on SQLite, once through the first on
 * PostgreSQL (the store is shared).
 */
async function startNodes(
  count: number,
  opts: ClusterOptions,
  receiver: Receiver,
  database?: SetupDatabase,
): Promise<ServerChild[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startNode(i, opts, database)),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const node of database ? nodes.slice(0, 1) : nodes) await configure(node, receiver);
    return nodes;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}

export async function startCluster(
  setup: Setup,
  opts: ClusterOptions,
  receiver: Receiver,
  store: BenchStore,
): Promise<Cluster> {
  const count = setup === 'kamailio-2' ? 2 : 1;
  const database = await store.database();
  let nodes: ServerChild[];
  try {
    nodes = await startNodes(count, opts, receiver, database);
  } catch (err) {
    await database?.close();
    throw err;
  }
  const sipOf = (i: number): string => `127.0.0.1:${clusterPorts(opts.basePort).node(i).sip}`;
  const stopNodes = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database?.close();
  };
  const base = { nodes, ...(database ? { database } : {}) };
  if (setup === 'direct') {
    return { ...base, target: sipOf(0), scenario: 'uac-invite-answer-hangup.xml', stop: stopNodes };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-cluster-bench-'));
  let proxy: RunningKamailio;
  try {
    // Log level 1 (notices): the configuration logs every dispatched INVITE at info.
    proxy = await startKamailio({
      dir,
      port: clusterPorts(opts.basePort).proxy,
      nodes: nodes.map((_, i) => sipOf(i)),
      pingIntervalS: 1,
      logLevel: 1,
    });
  } catch (err) {
    await stopNodes();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...base,
    proxy,
    target: proxy.target,
    scenario: 'uac-invite-via-proxy-answer-hangup.xml',
    async stop() {
      // Nodes first: a call still ending needs the proxy for its BYE.
      await stopNodes();
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
