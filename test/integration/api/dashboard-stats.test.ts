import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';
import { RunHistory } from '../../../src/actions/run-history.js';

let h: ApiHarness;
let agentId: string;
let tagId: string;
let hookId: string;

/** A finished run of `actionId` at `startedAt`, taking `ms`. */
async function run(
  history: RunHistory,
  actionId: string,
  startedAt: string,
  ok: boolean,
  ms: number,
): Promise<void> {
  const id = await history.start({
    actionId,
    agentId,
    actionType: 'x',
    stage: 'after',
    trigger: {},
    inputs: {},
  });
  await history.finish(id, { status: ok ? 'succeeded' : 'failed', attempts: 1, durationMs: ms });
  h.store.db.prepare('UPDATE action_runs SET started_at = ? WHERE id = ?').run(startedAt, id);
}

function call(id: string, startedAt: string, outcome: string | null): void {
  h.store.db
    .prepare(
      `INSERT INTO calls (id, direction, started_at, created_at, outcome, ended_at)
       VALUES (?, 'inbound', ?, ?, ?, ?)`,
    )
    .run(id, startedAt, startedAt, outcome, outcome ? startedAt : null);
}

beforeAll(async () => {
  h = await apiHarness();
  agentId = (
    await h.call('POST', '/agents', {
      name: 'measured',
      kind: 'scripted',
      config: { steps: [{ say: 'Hi.' }] },
    })
  ).body.id;
  tagId = (
    await h.call('POST', '/actions', { name: 'tag', type: 'add-contact-tags', config: { tags: ['a'] } })
  ).body.id;
  hookId = (
    await h.call('POST', '/actions', {
      name: 'hook',
      type: 'webhook',
      config: { url: 'https://example.com/h' },
    })
  ).body.id;
  await h.call('POST', `/agents/${agentId}/actions`, { action_id: 'tag', stage: 'after' });
  const history = new RunHistory(h.store.sql);
  // 20 runs of "tag" on 1 June: 19 succeed in 10..190 ms, one fails in 1000 ms.
  for (let i = 1; i <= 19; i++)
    await run(history, tagId, `2026-06-01T10:${String(i).padStart(2, '0')}:00.000Z`, true, i * 10);
  await run(history, tagId, '2026-06-01T11:00:00.000Z', false, 1000);
  await run(history, hookId, '2026-05-01T10:00:00.000Z', true, 50);
  call('cal_1', '2026-06-01T10:05:00.000Z', 'completed');
  call('cal_2', '2026-06-01T10:45:00.000Z', 'completed');
  call('cal_3', '2026-06-01T12:10:00.000Z', 'no-answer');
  call('cal_4', '2026-06-01T12:20:00.000Z', null);
  call('cal_5', '2026-05-01T12:20:00.000Z', 'completed');
});
afterAll(async () => h.close());

describe('GET /actions/stats', () => {
  it('gives every definition its runs, success rate and p95, over all time', async () => {
    const res = await h.call('GET', '/actions/stats');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        action_id: hookId,
        name: 'hook',
        type: 'webhook',
        enabled: true,
        runs: 1,
        succeeded: 1,
        failed: 0,
        success_rate: 1,
        p50_ms: 50,
        p95_ms: 50,
      },
      expect.objectContaining({
        name: 'tag',
        runs: 20,
        succeeded: 19,
        failed: 1,
        success_rate: 0.95,
        p95_ms: 190,
      }),
    ]);
  });

  it('narrows to one agent’s attached actions (by id or name) and to a window', async () => {
    const byName = await h.call('GET', '/actions/stats?agent=measured&since=2026-06-01T10:10:00Z');
    expect(byName.body.items).toEqual([
      expect.objectContaining({ name: 'tag', runs: 11, failed: 1, p50_ms: 150, p95_ms: 1000 }),
    ]);
    const quiet = await h.call('GET', `/actions/stats?agent=${agentId}&until=2026-01-01T00:00:00Z`);
    expect(quiet.body.items).toEqual([
      expect.objectContaining({ name: 'tag', runs: 0, success_rate: null, p95_ms: null }),
    ]);
  });

  it('refuses an unknown agent, a malformed instant, a window that ends before it starts, an unknown key', async () => {
    const agent = await h.call('GET', '/actions/stats?agent=nobody');
    expect(agent.status).toBe(400);
    expect(agent.body.issues).toEqual([
      { field: 'query.agent', value: 'nobody', expected: 'the id or name of an agent' },
    ]);
    const since = await h.call('GET', '/actions/stats?since=yesterday');
    expect(since.status).toBe(400);
    expect(since.body.issues[0]).toMatchObject({ field: 'query.since', value: 'yesterday' });
    const backwards = await h.call(
      'GET',
      '/actions/stats?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z',
    );
    expect(backwards.body.issues[0]).toMatchObject({ field: 'query.since', value: '2026-06-02T00:00:00Z' });
    expect((await h.call('GET', '/actions/stats?agnet=x')).status).toBe(400);
  });
});

describe('GET /stats/overview', () => {
  it('counts calls per UTC hour (quiet hours as zero) and by outcome, with the actions in the window', async () => {
    const res = await h.call('GET', '/stats/overview?since=2026-06-01T10:00:00Z&until=2026-06-01T13:00:00Z');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      since: '2026-06-01T10:00:00.000Z',
      until: '2026-06-01T13:00:00.000Z',
      calls: 4,
      calls_per_hour: [
        { hour: '2026-06-01T10:00:00.000Z', calls: 2 },
        { hour: '2026-06-01T11:00:00.000Z', calls: 0 },
        { hour: '2026-06-01T12:00:00.000Z', calls: 2 },
      ],
      outcomes: [
        { outcome: 'completed', calls: 2 },
        { outcome: 'in progress', calls: 1 },
        { outcome: 'no-answer', calls: 1 },
      ],
    });
    expect(res.body.actions.map((a: Json) => [a.name, a.runs])).toEqual([
      ['hook', 0],
      ['tag', 20],
    ]);
  });

  it('serves nothing without a key', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/stats/overview' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/actions/stats' })).statusCode).toBe(401);
  });

  it('defaults to the last 24 hours', async () => {
    const res = await h.call('GET', '/stats/overview');
    expect(res.status).toBe(200);
    expect(res.body.calls_per_hour.length).toBeGreaterThanOrEqual(24);
    expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(24 * 3_600_000);
  });

  it('refuses a window longer than 31 days or ending before it starts, and a malformed instant', async () => {
    const long = await h.call('GET', '/stats/overview?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z');
    expect(long.status).toBe(400);
    expect(long.body.issues[0]).toMatchObject({
      field: 'query.since',
      expected: expect.stringContaining('31 days'),
    });
    const backwards = await h.call(
      'GET',
      '/stats/overview?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z',
    );
    expect(backwards.status).toBe(400);
    const bad = await h.call('GET', '/stats/overview?until=2026-13-01');
    expect(bad.body.issues[0]).toMatchObject({ field: 'query.until', value: '2026-13-01' });
  });
});
