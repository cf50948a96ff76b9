/**
 * Two campaigns on one trunk, end to end: a real `callwright start` (embedded backend) dialling a real
 * sipp UAS that plays every callee. The trunk's own limits (`max_concurrent_calls: 2`,
 * `max_calls_per_second: 2`) are tighter than either campaign's; measured at the callees (sipp's
 * -trace_msg log) the two campaigns together never exceed them, admission never refuses one of their
 * calls, they share the trunk in turns, a contact in both campaigns is never called twice at once,
 * and the campaign metrics on /metrics move with them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { dataPaths } from '../../../src/config/load.js';
import { Store } from '../../../src/store/store.js';
import { scrape, type Scrape } from '../../helpers/prometheus-scrape.js';
import { startSipp } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import {
  api,
  apiKey,
  calleeCalls,
  hoursAroundNow,
  maxOverlap,
  maxPerSecond,
  seed,
  startCallwright,
  until,
  type ContactResult,
  type Progress,
} from './campaign-harness.js';

// Ports of this file: API 54600, SIP 54601, sipp 54611 (media 54612), RTP 54700-54899.
const PORTS = { api: 54600, sip: 54601, rtpMin: 54700, rtpMax: 54899 };
const SIPP_PORT = 54611;

const cleanups: Array<() => unknown> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

// +44207183 K NNN: K = 1 answers, 2 busy, 3 no answer (the sipp scenario's rule).
const num = (kind: 1 | 2 | 3, n: number): string => `+44207183${kind}${String(400 + n)}`;

const REFUSAL_REASONS = ['concurrency', 'rate', 'overload', 'rtp-ports', 'draining'];
const HOLDS = ['none', 'campaign-concurrency', 'campaign-rate', 'trunk-concurrency', 'trunk-rate', 'server'];

describe('campaigns sharing a trunk', () => {
  it('two campaigns on a trunk limited to 2 calls at once and 2 calls/s: never more at the callees, no 503, turns shared, metrics moving', async () => {
    const dir = tempDir('callwright-campaign-trunk-');
    cleanups.push(dir.cleanup);
    const trace = path.join(dir.dir, 'callees.log');
    const sipp = startSipp({
      scenario: 'uas-campaign-callees.xml',
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 1,
      calls: 1000,
      timeoutMs: 150_000,
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    cleanups.push(() => sipp.kill());
    await sipp.ready;
    const server = await startCallwright(
      dir.dir,
      PORTS,
      [
        {
          name: 'carrier',
          host: '127.0.0.1',
          port: SIPP_PORT,
          max_concurrent_calls: 2,
          max_calls_per_second: 2,
        },
      ],
      hoursAroundNow(),
      children,
    );
    const key = apiKey(server);
    const store = Store.open(dataPaths(testConfig(dir.dir)).database);
    cleanups.push(() => store.close());

    // Two contacts head both campaigns; each campaign has answering callees of its own, and one a
    // pair of busy callees, the other a pair that ring unanswered.
    const shared = [num(1, 0), num(1, 1)];
    const north = [...shared, ...[2, 3, 4, 5, 6, 7].map((n) => num(1, n)), num(2, 0), num(2, 1)];
    const south = [...shared, ...[8, 9, 10, 11, 12, 13].map((n) => num(1, n)), num(3, 0), num(3, 1)];
    await seed(
      store,
      north.map((phone) => ({ phone })),
      'north',
    );
    await seed(
      store,
      south.map((phone) => ({ phone })),
      'south',
    );

    const body = (name: string) => ({
      name,
      agent: 'campaigner',
      contacts: { tag: name },
      trunk: 'carrier',
      // Each campaign alone would go faster than the trunk allows.
      calls_per_second: 2,
      max_concurrent: 3,
      ring_timeout_ms: 1000,
    });
    const a = await api<{ id: string }>(server, key, 'POST', '/campaigns', body('north'));
    const b = await api<{ id: string }>(server, key, 'POST', '/campaigns', body('south'));
    expect([a.status, b.status]).toEqual([201, 201]);

    // While they run: the in-flight gauge (by trunk) and the contacts gauge (by campaign) move.
    let inFlightMax = 0;
    const seen = new Set<string>();
    const done = await until(
      async () => {
        const s = await scrape(`${server.apiUrl}/metrics`);
        inFlightMax = Math.max(
          inFlightMax,
          s.value('callwright_campaign_calls_in_flight', { trunk: 'carrier' }),
        );
        for (const m of s.families.get('callwright_campaign_contacts')?.metrics ?? [])
          if (Number(m.value) > 0) seen.add(`${m.labels?.campaign}:${m.labels?.status}`);
        const both = await Promise.all(
          [a.body.id, b.body.id].map(
            async (id) => (await api<Progress>(server, key, 'GET', `/campaigns/${id}`)).body,
          ),
        );
        return both.every((c) => c.status === 'completed') ? { both, s } : undefined;
      },
      100_000,
      'both campaigns to complete',
    );
    expect(done.both.map((c) => c.progress.by_status)).toEqual([
      { answered: 8, busy: 2 },
      { answered: 8, 'no-answer': 2 },
    ]);

    // At the callees: every contact called once per campaign, within the trunk's limits.
    const calls = calleeCalls(trace);
    expect(calls).toHaveLength(20);
    expect(calls.every((c) => c.end !== undefined)).toBe(true);
    for (const p of shared) expect(calls.filter((c) => c.number === p)).toHaveLength(2);
    const overlap = maxOverlap(calls);
    expect(overlap).toBeLessThanOrEqual(2);
    expect(overlap).toBe(2);
    expect(maxPerSecond(calls)).toBeLessThanOrEqual(2);
    // A contact in both campaigns is never called by both at once.
    for (const p of shared) expect(maxOverlap(calls.filter((c) => c.number === p))).toBe(1);

    // The campaigns took turns: the second one's first claim came before the first one's third.
    const claims = async (id: string): Promise<number[]> =>
      (
        await api<{ items: ContactResult[] }>(server, key, 'GET', `/campaigns/${id}/contacts?limit=100`)
      ).body.items
        .flatMap((r) => r.history.map((h) => Date.parse(h.claimed_at)))
        .sort((x, y) => x - y);
    const [northClaims, southClaims] = [await claims(a.body.id), await claims(b.body.id)];
    expect(southClaims[0]!).toBeLessThan(northClaims[2]!);

    // Nothing was refused by admission: every call waited for its place instead.
    const after = await until(
      async () => {
        const s = await scrape(`${server.apiUrl}/metrics`);
        return s.value('callwright_campaign_calls_in_flight', { trunk: 'carrier' }) === 0 ? s : undefined;
      },
      10_000,
      'no campaign call in flight',
    );
    for (const reason of REFUSAL_REASONS)
      expect(after.value('callwright_admission_refusals_total', { reason }), reason).toBe(0);
    expectCampaignMetrics(after, { inFlightMax, seen });
    expect(server.output()).not.toMatch(/admission refused/);
  }, 150_000);
});

function expectCampaignMetrics(s: Scrape, during: { inFlightMax: number; seen: Set<string> }): void {
  expect(during.inFlightMax).toBeGreaterThanOrEqual(1);
  expect(during.inFlightMax).toBeLessThanOrEqual(2);
  expect(during.seen).toContain('north:pending');
  expect(during.seen).toContain('south:answered');
  expect(s.value('callwright_campaign_attempts_started_total')).toBe(20);
  const finished = (outcome: string): number =>
    s.value('callwright_campaign_attempts_finished_total', { outcome });
  expect([finished('answered'), finished('busy'), finished('no-answer'), finished('released')]).toEqual([
    16, 2, 2, 0,
  ]);
  // Every claim observed its wait; the trunk held some of them (its limits are below the campaigns').
  const waits = HOLDS.map((held_by) => s.count('callwright_campaign_slot_wait_seconds', { held_by }));
  expect(waits.reduce((x, y) => x + y, 0)).toBe(20);
  expect(
    s.count('callwright_campaign_slot_wait_seconds', { held_by: 'trunk-concurrency' }) +
      s.count('callwright_campaign_slot_wait_seconds', { held_by: 'trunk-rate' }),
  ).toBeGreaterThan(0);
  // Finished campaigns leave the per-campaign gauge; the count by status keeps them.
  expect(s.families.get('callwright_campaign_contacts')?.metrics ?? []).toEqual([]);
  expect(s.value('callwright_campaigns', { status: 'completed' })).toBe(2);
  expect(s.value('callwright_campaigns', { status: 'running' })).toBe(0);
}
