/**
 * Campaign claims between two server processes sharing one database (two connections to one SQLite
 * file here): a contact both saw as due is claimed once, and a contact one of them claimed is not moved
 * by the other's DNC or calling-hours decision made on what it read before the claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Store } from '../../../src/store/store.js';
import { CampaignRepository, type NewCampaign } from '../../../src/campaigns/campaign-repository.js';
import { tempDir } from '../../helpers/temp.js';

let dir: ReturnType<typeof tempDir>;
let stores: Store[];
let repos: CampaignRepository[];

beforeEach(() => {
  dir = tempDir();
  const file = path.join(dir.dir, 'cw.db');
  stores = [Store.open(file), Store.open(file)];
  repos = stores.map((s) => new CampaignRepository(s.sql));
});
afterEach(async () => {
  for (const s of stores) await s.close();
  dir.cleanup();
});

async function campaign(phones: string[]): Promise<{ id: string; contactIds: string[] }> {
  const [store] = stores as [Store];
  const agent = await store.agents.create({ name: 'campaigner', kind: 'scripted' });
  const contactIds: string[] = [];
  for (const phone of phones) contactIds.push((await store.contacts.create({ phone })).id);
  const input: NewCampaign = {
    name: 'spring',
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
    retry: {},
  };
  const created = await repos[0]!.create(input, contactIds);
  return { id: created.id, contactIds };
}

describe('campaign claims across processes', () => {
  it('claims a contact both processes saw as due exactly once', async () => {
    const { id, contactIds } = await campaign(['+442071830001', '+442071830002']);
    const now = new Date().toISOString();
    const seen = await Promise.all(repos.map((r) => r.nextDue(id, now)));
    expect(seen.map((c) => c?.contact_id)).toEqual([contactIds[0], contactIds[0]]);
    // One after the other: two connections in one process cannot hold SQLite transactions at once.
    const claims = [await repos[0]!.claim(seen[0]!), await repos[1]!.claim(seen[1]!)];
    expect(claims[1]).toBeUndefined();
    expect(claims[0]).toMatchObject({
      contact_id: contactIds[0],
      attempt: 1,
      status: 'dialling',
    });
    expect(await repos[1]!.openAttempts(null)).toHaveLength(1);
    // The loser takes the next contact instead.
    expect((await repos[1]!.nextDue(id, now))?.contact_id).toBe(contactIds[1]);
  });

  it("leaves a contact claimed since it was read alone: the claim's attempt decides", async () => {
    const { id, contactIds } = await campaign(['+442071830003']);
    const now = new Date().toISOString();
    const read = (await repos[1]!.nextDue(id, now))!;
    const attempt = (await repos[0]!.claim((await repos[0]!.nextDue(id, now))!))!;
    expect(await repos[1]!.movePending(read, 'dnc', null, 'on the Do-Not-Call list; not called')).toBe(false);
    expect(await repos[1]!.contact(id, contactIds[0]!)).toMatchObject({ status: 'dialling', attempts: 1 });
    expect(
      await repos[0]!.finish(
        attempt,
        { outcome: 'answered', reason: 'answered', callId: null },
        { status: 'answered', retryAt: null },
      ),
    ).toBe(true);
    expect(await repos[1]!.contact(id, contactIds[0]!)).toMatchObject({ status: 'answered' });
    expect(await repos[1]!.progress(id)).toEqual({ total: 1, done: 1, by_status: { answered: 1 } });
  });

  it('lists the attempts of many contacts in contact then attempt order', async () => {
    const phones = Array.from({ length: 3 }, (_, i) => `+44207183010${i}`);
    const { id, contactIds } = await campaign(phones);
    // Every contact busy twice: retried an hour later, then given up.
    const start = Date.now();
    const retryAt = new Date(start + 3_600_000).toISOString();
    for (const round of [0, 1]) {
      const now = new Date(start + round * 7_200_000).toISOString();
      for (let due = await repos[0]!.nextDue(id, now); due; due = await repos[0]!.nextDue(id, now)) {
        const a = (await repos[0]!.claim(due))!;
        await repos[0]!.finish(
          a,
          { outcome: 'busy', reason: 'busy', callId: null },
          round === 0 ? { status: 'pending', retryAt } : { status: 'busy', retryAt: null },
        );
      }
    }
    const attempts = await repos[1]!.attempts(id, [...contactIds].reverse());
    expect(attempts.map((a) => [a.contact_id, a.attempt])).toEqual(
      [...contactIds].sort().flatMap((c) => [
        [c, 1],
        [c, 2],
      ]),
    );
  });
});
