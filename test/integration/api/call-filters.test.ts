/** GET /calls filters: number, agent, outcome, disposition, date range; bad values named with what is accepted. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await apiHarness();
  const sales = await h.store.agents.create({ name: 'sales', kind: 'scripted', config: { steps: [] } });
  const support = await h.store.agents.create({ name: 'support', kind: 'scripted', config: { steps: [] } });
  const rows = [
    ['a', '+14155550100', sales.id, 'completed', 'sale', '2026-03-01T09:00:00.000Z'],
    ['b', '+14155550111', sales.id, 'no-answer', null, '2026-03-02T09:00:00.000Z'],
    ['c', '+442071838750', support.id, 'completed', 'resolved', '2026-03-03T09:00:00.000Z'],
    ['d', '+14155550100', support.id, 'transferred', 'sale', '2026-03-04T23:30:00.000Z'],
  ] as const;
  for (const [key, from, agent, outcome, disposition, started] of rows) {
    ids[key] = (
      await h.store.calls.create({
        direction: 'inbound',
        from_number: from,
        to_number: '2000',
        agent_id: agent,
        state: 'ended',
        outcome,
        call_disposition: disposition,
        started_at: started,
      })
    ).id;
  }
  ids.sales = sales.id;
});
afterAll(async () => h.close());

async function found(query: string): Promise<string[]> {
  const res = await h.call('GET', `/calls?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  return res.body.items.map((c: Json) => byId[c.id]);
}

describe('GET /calls filters', () => {
  it.each([
    ['number=5550100', ['d', 'a']],
    ['number=%2B44', ['c']],
    ['number=%25', []],
    ['outcome=completed', ['c', 'a']],
    ['disposition=sale', ['d', 'a']],
    ['started_after=2026-03-02&started_before=2026-03-04', ['c', 'b']],
    ['started_after=2026-03-04T23:00:00%2B00:00', ['d']],
    ['started_before=2026-03-02T09:00:00Z', ['a']],
    ['outcome=completed&disposition=sale', ['a']],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(expected);
  });

  it('filters by agent and pages the result with its total', async () => {
    const res = await h.call('GET', `/calls?agent_id=${ids.sales}&limit=1`);
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((c: Json) => c.id)).toEqual([ids.b]);
  });

  it.each([
    ['started_after=yesterday', 'query.started_after', 'yesterday', 'a date (2026-12-06'],
    ['started_before=2026-02-30T10:00', 'query.started_before', '2026-02-30T10:00', 'ISO 8601 date-time'],
    [
      'started_after=2026-03-04&started_before=2026-03-01',
      'query.started_before',
      '2026-03-01',
      'a time after started_after',
    ],
    ['state=sleeping', 'query.state', 'sleeping', 'one of "ringing", "answered", "handed-off", "ended"'],
    ['outcome=', 'query.outcome', '', 'at least 1 characters'],
    ['colour=red', 'query.colour', undefined, 'no such field'],
  ])(
    'refuses %s naming the parameter, the value and what is accepted',
    async (query, field, value, expected) => {
      const res = await h.call('GET', `/calls?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION');
      const issue = res.body.issues.find((i: Json) => i.field === field);
      expect(issue, JSON.stringify(res.body)).toBeDefined();
      if (value !== undefined) expect(issue.value).toBe(value);
      expect(issue.expected).toContain(expected);
      expect(res.body.message).toContain(field);
    },
  );
});

describe('hang-up and transfer without telephony', () => {
  it('validates the transfer body before anything else', async () => {
    const res = await h.call('POST', `/calls/${ids.a}/transfer`, { target: '', mode: 'lukewarm' });
    expect(res.status).toBe(400);
    const fields = res.body.issues.map((i: Json) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['body.target', 'body.mode']));
  });

  it('answers 503 when no telephony runs in the process', async () => {
    const res = await h.call('POST', `/calls/${ids.a}/hangup`);
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('no telephony backend');
  });
});
