import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';
import { loadAgentPlan } from '../../../src/actions/agent-plan.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { testConfig } from '../../helpers/temp.js';

let h: ApiHarness;
let agentId: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await apiHarness();
  agentId = (
    await h.call('POST', '/agents', {
      name: 'ordered',
      kind: 'scripted',
      config: { steps: [{ say: 'Hi.' }] },
    })
  ).body.id;
  for (const name of ['first', 'second', 'third', 'late']) {
    const def = await h.call('POST', '/actions', {
      name,
      type: 'add-contact-tags',
      config: { tags: [name] },
    });
    expect(def.status, JSON.stringify(def.body)).toBe(201);
    const stage = name === 'late' ? 'after' : 'before';
    const att = await h.call('POST', `/agents/${agentId}/actions`, { action_id: name, stage });
    expect(att.status, JSON.stringify(att.body)).toBe(201);
    ids[name] = att.body.id;
  }
});
afterAll(async () => h.close());

const order = async (): Promise<string[]> =>
  (await h.call('GET', `/agents/${agentId}/actions`)).body.items.map((a: Json) => a.action);

describe('PUT /agents/{id}/attachments/order', () => {
  it('sets a stage’s order in one request; GET and the plan a call loads follow it', async () => {
    expect(await order()).toEqual(['first', 'second', 'third', 'late']);
    const res = await h.call('PUT', `/agents/${agentId}/attachments/order`, {
      before: [ids.third, ids.first, ids.second],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.map((a: Json) => [a.action, a.stage, a.position])).toEqual([
      ['third', 'before', 0],
      ['first', 'before', 1],
      ['second', 'before', 2],
      ['late', 'after', 0],
    ]);
    expect(await order()).toEqual(['third', 'first', 'second', 'late']);
    const engine = testActionEngine(h.store, testConfig(h.dir));
    expect((await loadAgentPlan(h.store, engine.registry, agentId)).map((p) => p.definition.name)).toEqual([
      'third',
      'first',
      'second',
      'late',
    ]);
  });

  it('refuses a list that leaves out, repeats or borrows an attachment, changing nothing', async () => {
    const before = await order();
    const missing = await h.call('PUT', `/agents/${agentId}/attachments/order`, {
      before: [ids.first, ids.second],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('VALIDATION');
    expect(missing.body.issues[0]).toMatchObject({ field: 'body.before' });
    expect(missing.body.issues[0].expected).toContain(ids.third);

    const twice = await h.call('PUT', `/agents/${agentId}/attachments/order`, {
      before: [ids.first, ids.first, ids.second, ids.third],
    });
    expect(twice.body.issues[0]).toEqual({
      field: 'body.before.1',
      value: ids.first,
      expected: 'each attachment id once',
    });

    const borrowed = await h.call('PUT', `/agents/${agentId}/attachments/order`, {
      before: [ids.first, ids.second, ids.third, ids.late],
    });
    expect(borrowed.body.issues[0]).toMatchObject({ field: 'body.before.3', value: ids.late });
    expect(await order()).toEqual(before);
  });

  it('refuses an empty body, an unknown stage and an unknown agent', async () => {
    const empty = await h.call('PUT', `/agents/${agentId}/attachments/order`, {});
    expect(empty.status).toBe(400);
    const stage = await h.call('PUT', `/agents/${agentId}/attachments/order`, { early: [] });
    expect(stage.status).toBe(400);
    expect(stage.body.issues[0]).toMatchObject({ field: 'body.early' });
    const agent = await h.call('PUT', '/agents/agt_nope/attachments/order', { before: [] });
    expect(agent.status).toBe(404);
  });
});
