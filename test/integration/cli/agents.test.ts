import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliHarness } from './cli-harness.js';

let h: ReturnType<typeof cliHarness>;
beforeEach(() => {
  h = cliHarness();
});
afterEach(() => h.cleanup());

describe('callwright agents', () => {
  it('lists agents by name, one per line', async () => {
    const store = h.openStore();
    await store.agents.create({ name: 'front-desk', kind: 'scripted', description: 'reception' });
    await store.agents.create({ name: 'collections', kind: 'webhook' });
    await store.close();
    const res = await h.run('agents', 'list');
    expect(res.code).toBe(0);
    expect(res.out).toHaveLength(2);
    expect(res.out[0]).toMatch(/^agt_\w+\tcollections\twebhook\t$/);
    expect(res.out[1]).toMatch(/^agt_\w+\tfront-desk\tscripted\treception$/);
  });

  it('says so when there are no agents', async () => {
    const res = await h.run('agents', 'list');
    expect(res).toMatchObject({ code: 0, out: [], err: ['no agents yet'] });
  });

  it('shows one agent by name or id, with its numbers and attached actions', async () => {
    const store = h.openStore();
    const agent = await store.agents.create({
      name: 'front-desk',
      kind: 'scripted',
      targets: { sales: { type: 'number', number: '+14155550100' } },
    });
    await store.numbers.create({ number: '+14155550199', agent_id: agent.id });
    const action = await store.actions.create({ name: 'log-crm', type: 'http', config: {} });
    await store.attachments.create({ agent_id: agent.id, action_id: action.id, stage: 'after', position: 0 });
    await store.close();

    const byName = await h.run('agents', 'show', 'front-desk');
    expect(byName.code).toBe(0);
    const shown = parse(byName.out.join('\n'));
    expect(shown).toMatchObject({
      id: agent.id,
      name: 'front-desk',
      kind: 'scripted',
      targets: { sales: { type: 'number', number: '+14155550100' } },
      numbers: ['+14155550199'],
      actions: [{ stage: 'after', position: 0, action: 'log-crm', type: 'http' }],
    });
    const byId = await h.run('agents', 'show', agent.id);
    expect(parse(byId.out.join('\n')).name).toBe('front-desk');
  });

  it("shows each attached action's triggers and failure policy", async () => {
    const store = h.openStore();
    const agent = await store.agents.create({ name: 'front-desk', kind: 'scripted' });
    const action = await store.actions.create({ name: 'tag-callback', type: 'add-contact-tags', config: {} });
    const triggers = [
      { kind: 'intent', phrases: ['call me back'] },
      { kind: 'dtmf', digits: '2' },
    ];
    const policy = { retries: 2, on_failure: 'continue' };
    await store.attachments.create({
      agent_id: agent.id,
      action_id: action.id,
      stage: 'during',
      position: 0,
      triggers,
      failure_policy: policy,
    });
    await store.close();
    const res = await h.run('agents', 'show', 'front-desk');
    expect(res.code).toBe(0);
    expect(parse(res.out.join('\n'))).toMatchObject({
      actions: [{ action: 'tag-callback', stage: 'during', triggers, failure_policy: policy }],
    });
  });

  it('fails with a clear message for an unknown agent', async () => {
    const res = await h.run('agents', 'show', 'nobody');
    expect(res.code).toBe(1);
    expect(res.err.join('\n')).toContain('error [NOT_FOUND]: agent "nobody" not found');
  });
});
