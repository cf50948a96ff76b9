import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
const callIds: string[] = [];
beforeAll(async () => {
  h = await apiHarness();
  for (let i = 0; i < 4; i++) {
    const call = await h.store.calls.create({
      direction: i === 3 ? 'outbound' : 'inbound',
      from_number: '+14155550100',
      to_number: '+14155550199',
      state: 'ended',
      started_at: `2026-01-0${i + 1}T10:00:00.000Z`,
    });
    callIds.push(call.id);
  }
  for (let i = 0; i < 7; i++)
    await h.store.callEvents.append(callIds[0] as string, 'transcript', { line: i });
});
afterAll(async () => h.close());

describe('call history', () => {
  it('pages calls newest first with a total', async () => {
    const page = await h.call('GET', '/calls?limit=3');
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(4);
    expect(page.body.items.map((c: Json) => c.id)).toEqual([callIds[3], callIds[2], callIds[1]]);
    const rest = await h.call('GET', '/calls?limit=3&offset=3');
    expect(rest.body.items.map((c: Json) => c.id)).toEqual([callIds[0]]);
  });

  it('filters calls by direction', async () => {
    const out = await h.call('GET', '/calls?direction=outbound');
    expect(out.body.total).toBe(1);
    expect(out.body.items[0].id).toBe(callIds[3]);
    const bad = await h.call('GET', '/calls?direction=sideways');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('query.direction');
  });

  it('reads one call, and 404 for an unknown one', async () => {
    const one = await h.call('GET', `/calls/${callIds[0]}`);
    expect(one.body).toMatchObject({ id: callIds[0], direction: 'inbound', variables: {}, outcome: null });
    expect((await h.call('GET', '/calls/call_nope')).status).toBe(404);
  });

  it("pages a call's events in order", async () => {
    const first = await h.call('GET', `/calls/${callIds[0]}/events?limit=5`);
    expect(first.body.total).toBe(7);
    expect(first.body.items.map((e: Json) => e.data.line)).toEqual([0, 1, 2, 3, 4]);
    const second = await h.call('GET', `/calls/${callIds[0]}/events?limit=5&offset=5`);
    expect(second.body.items.map((e: Json) => e.data.line)).toEqual([5, 6]);
    expect((await h.call('GET', '/calls/call_nope/events')).status).toBe(404);
  });

  it('has no write routes for the history (POST /calls places an outbound call instead)', async () => {
    // POST /calls is the outbound-call route (call flows): a history-shaped body is refused by its schema.
    expect((await h.call('POST', '/calls', { direction: 'inbound' })).status).toBe(400);
    expect((await h.call('DELETE', `/calls/${callIds[0]}`)).status).toBe(404);
  });
});
