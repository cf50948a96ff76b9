/**
 * Campaign attempts on several nodes sharing one database, on both store engines (two connections to one
 * SQLite file; two pools on one PostgreSQL database):
 *   - a person is claimed once at a time even by two campaigns on two nodes (a guarded write, not a read);
 *   - a node's recovery at start resolves its own (and unowned) attempts and leaves the others' alone;
 *   - a dead node's attempts are resolved once however many survivors look, from their closed calls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Store } from '../../../src/store/store.js';
import { CampaignRepository, type NewCampaign } from '../../../src/campaigns/campaign-repository.js';
import { AttemptRecovery } from '../../../src/campaigns/attempt-recovery.js';
import { createLogger } from '../../../src/logging/logger.js';
import { tempDir } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';

const logger = createLogger({ level: 'silent', redact_pii: true });

interface Node {
  store: Store;
  repo: CampaignRepository;
  recovery: AttemptRecovery;
}

function nodeOn(store: Store, id: string | null): Node {
  store.nodeId = id;
  const repo = new CampaignRepository(store.sql);
  return { store, repo, recovery: new AttemptRecovery({ store, repo, logger, now: () => new Date() }) };
}

interface Opened {
  stores: [Store, Store];
  cleanup: () => void;
  /**
   * Runs two nodes' work: at once on PostgreSQL; one after the other on SQLite, where two connections in
   * one process cannot hold transactions at once (two processes would wait on the file's lock).
   */
  both: <T>(x: () => Promise<T>, y: () => Promise<T>) => Promise<[T, T]>;
}

const engines: Array<[string, () => Promise<Opened>]> = [
  [
    'SQLite',
    () => {
      const dir = tempDir();
      const file = path.join(dir.dir, 'cw.db');
      return Promise.resolve({
        stores: [Store.open(file), Store.open(file)],
        cleanup: () => dir.cleanup(),
        both: async (x, y) => [await x(), await y()],
      });
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const url = await testPostgresDatabase('campaign_nodes');
      const first = await Store.connect({ url });
      return {
        stores: [first, await Store.connect({ url })],
        cleanup: () => undefined,
        both: (x, y) => Promise.all([x(), y()]),
      };
    },
  ],
];

describe.each(engines)('campaign attempts of several nodes on %s', (_engine, open) => {
  let a: Node;
  let b: Node;
  let cleanup: () => void;
  let both: Opened['both'];

  beforeEach(async () => {
    const opened = await open();
    cleanup = opened.cleanup;
    both = opened.both;
    a = nodeOn(opened.stores[0], 'node-a');
    b = nodeOn(opened.stores[1], 'node-b');
  });
  afterEach(async () => {
    await a.store.close();
    await b.store.close();
    cleanup();
  });

  /** Two campaigns over the same contacts, made through node A. */
  async function twoCampaigns(phones: string[]): Promise<{ ids: [string, string]; contactIds: string[] }> {
    const agent = await a.store.agents.create({ name: 'campaigner', kind: 'scripted' });
    const contactIds: string[] = [];
    for (const phone of phones) contactIds.push((await a.store.contacts.create({ phone })).id);
    const input = (name: string): NewCampaign => ({
      name,
      agent_id: agent.id,
      audience: { contact_ids: contactIds },
      trunk: null,
      from_number: null,
      variables: {},
      start_at: null,
      end_by: null,
      calls_per_second: 1,
      max_concurrent: 2,
      ring_timeout_ms: null,
      retry: { failed: { delay_s: 1, max_attempts: 2 } },
    });
    const first = await a.repo.create(input('spring'), contactIds);
    const second = await a.repo.create(input('autumn'), contactIds);
    return { ids: [first.id, second.id], contactIds };
  }

  it('claims a person once at a time, even for two campaigns on two nodes', async () => {
    const { ids, contactIds } = await twoCampaigns(['+442071830201', '+442071830202']);
    const now = new Date().toISOString();
    // Both read the same person as due (neither has claimed yet): the read is no guard.
    const seenA = (await a.repo.nextDue(ids[0], now))!;
    const seenB = (await b.repo.nextDue(ids[1], now))!;
    expect([seenA.contact_id, seenB.contact_id]).toEqual([contactIds[0], contactIds[0]]);
    const claims = await both(
      () => a.repo.claim(seenA, 'node-a'),
      () => b.repo.claim(seenB, 'node-b'),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const won = claims.find(Boolean)!;
    expect(won).toMatchObject({ contact_id: contactIds[0], attempt: 1, status: 'dialling' });
    // The loser's contact is still pending (no attempt used up) and it takes the next person.
    const loser = won.campaign_id === ids[0] ? 1 : 0;
    expect(await a.repo.contact(ids[loser], contactIds[0]!)).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect((await b.repo.nextDue(ids[loser], now))?.contact_id).toBe(contactIds[1]);
    // Once the attempt ends, the other campaign may call that person.
    await a.recovery.end(won, { outcome: 'answered', reason: 'call completed', callId: null });
    const again = (await b.repo.nextDue(ids[loser], now))!;
    expect(again.contact_id).toBe(contactIds[0]);
    expect(await b.repo.claim(again, 'node-b')).toMatchObject({ node_id: 'node-b', attempt: 1 });
  });

  it("resolves at start its own and unowned attempts, never another live node's", async () => {
    const { ids, contactIds } = await twoCampaigns(['+442071830211', '+442071830212', '+442071830213']);
    const now = new Date().toISOString();
    const claim = async (n: Node, nodeId: string | null): Promise<string> =>
      (await n.repo.claim((await n.repo.nextDue(ids[0], now))!, nodeId))!.id;
    const own = await claim(a, 'node-a');
    const theirs = await claim(b, 'node-b');
    const unowned = await claim(a, null);
    // Node B's attempt has a call ringing on node B.
    const call = await b.store.calls.create({
      direction: 'outbound',
      from_number: '+1',
      to_number: '+2',
      started_at: now,
    });
    await b.repo.setCall(theirs, call.id);

    expect(await a.recovery.recoverOwn('node-a')).toBe(2);
    expect(await a.repo.attempt(own)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(await a.repo.attempt(unowned)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(await a.repo.attempt(theirs)).toMatchObject({ status: 'dialling', node_id: 'node-b' });
    expect(await a.repo.contact(ids[0], contactIds[1]!)).toMatchObject({ status: 'dialling' });
    // Retried as new attempts later (the failed rule), never re-dialled as the same attempt.
    expect(await a.repo.contact(ids[0], contactIds[0]!)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it("resolves a dead node's attempts once, from their closed calls, whoever looks", async () => {
    const { ids, contactIds } = await twoCampaigns(['+442071830221', '+442071830222']);
    const now = new Date().toISOString();
    const dead = nodeOn(a.store, 'node-dead');
    const answered = (await dead.repo.claim((await dead.repo.nextDue(ids[0], now))!, 'node-dead'))!;
    const noCall = (await dead.repo.claim((await dead.repo.nextDue(ids[0], now))!, 'node-dead'))!;
    const call = await a.store.calls.create({
      direction: 'outbound',
      from_number: '+1',
      to_number: '+2',
      started_at: now,
      node_id: 'node-dead',
    });
    await a.repo.setCall(answered.id, call.id);
    // Still open (its call not closed yet): left for the next look.
    expect(await b.recovery.resolveNode('node-dead')).toBe(1);
    expect(await b.repo.attempt(answered.id)).toMatchObject({ status: 'dialling' });
    expect(await b.repo.attempt(noCall.id)).toMatchObject({ status: 'ended', outcome: 'failed' });
    // The call is closed as the dead node's (answered, then lost with the node): two survivors look at once.
    await a.store.calls.update(call.id, {
      answered_at: now,
      ended_at: new Date().toISOString(),
      outcome: 'completed',
      end_reason: 'node-lost',
    });
    const ended = await both(
      () => a.recovery.resolveNode('node-dead'),
      () => b.recovery.resolveNode('node-dead'),
    );
    expect(ended[0] + ended[1]).toBe(1);
    expect(await a.repo.attempt(answered.id)).toMatchObject({
      status: 'ended',
      outcome: 'answered',
      call_id: call.id,
    });
    expect(await a.repo.contact(ids[0], contactIds[0]!)).toMatchObject({ status: 'answered', attempts: 1 });
    expect(await a.repo.openAttemptsOf('node-dead')).toEqual([]);
  });
});
