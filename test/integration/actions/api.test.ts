import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../api/harness.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

describe('action engine API', () => {
  let agentId = '';
  let defId = '';

  it('creates definitions validated by their type, naming the bad field', async () => {
    const bad = await h.call('POST', '/actions', {
      name: 'tag_vip',
      type: 'add-contact-tags',
      config: { tags: 'vip' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: 'config.tags', value: 'vip', expected: 'array' }],
    });
    const unknown = await h.call('POST', '/actions', { name: 'x', type: 'teleport' });
    expect(unknown.body.issues[0]).toMatchObject({ field: 'type', value: 'teleport' });
    const ok = await h.call('POST', '/actions', {
      name: 'reply',
      type: 'custom-reply',
      description: 'Tells the caller the opening hours',
      config: { text: 'We open at {{ data.opens | default: "9" }}' },
    });
    expect(ok.status).toBe(201);
    defId = ok.body.id;
    expect((await h.call('GET', '/actions/reply')).body.id).toBe(defId);
    expect((await h.call('GET', '/actions?type=custom-reply')).body.total).toBe(1);
    expect((await h.call('GET', `/actions/${defId}/tool`)).body).toMatchObject({
      name: 'reply',
      description: 'Tells the caller the opening hours',
    });
    const types = await h.call('GET', '/action-types');
    expect(types.body.items.map((t: { name: string }) => t.name)).toContain('set-dnc');
  });

  it('attaches with stage, triggers and failure policy; refuses bad ones', async () => {
    agentId = (await h.call('POST', '/agents', { name: 'front-desk', kind: 'scripted' })).body.id;
    const wrongStage = await h.call('POST', `/agents/${agentId}/actions`, {
      action_id: defId,
      stage: 'before',
    });
    expect(wrongStage.status).toBe(400);
    expect(wrongStage.body.issues[0]).toMatchObject({ field: 'stage', expected: 'one of during' });
    const badTrigger = await h.call('POST', `/agents/${agentId}/actions`, {
      action_id: defId,
      stage: 'during',
      triggers: [{ kind: 'condition', expression: 'contact.tags has' }],
    });
    expect(badTrigger.body.issues[0].field).toBe('triggers.0.expression');
    const ok = await h.call('POST', `/agents/${agentId}/actions`, {
      action_id: 'reply',
      stage: 'during',
      triggers: [{ kind: 'intent', phrases: ['opening hours'] }, { kind: 'tool' }],
      failure_policy: { retries: 1 },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ position: 0, failure_policy: { retries: 1, on_failure: 'continue' } });
    const dup = await h.call('POST', `/agents/${agentId}/actions`, { action_id: defId, stage: 'during' });
    expect(dup.status).toBe(409);
    const patched = await h.call('PATCH', `/agents/${agentId}/actions/${ok.body.id}`, { position: 5 });
    expect(patched.body.position).toBe(5);
    expect((await h.call('GET', `/agents/${agentId}/actions`)).body.items).toHaveLength(1);
    expect((await h.call('GET', `/agents/${agentId}/tools`)).body.items[0].name).toBe('reply');
  });

  it('simulates a script without side effects', async () => {
    const res = await h.call('POST', `/agents/${agentId}/simulate`, {
      call: { data: { opens: '8' } },
      events: ['answered', { say: 'what are your opening hours?' }, 'ended'],
    });
    expect(res.status).toBe(200);
    expect(res.body.runs).toEqual([
      expect.objectContaining({
        step: 2,
        action: 'reply',
        payload: { text: 'We open at 8' },
        trigger: expect.objectContaining({ kind: 'intent' }),
      }),
    ]);
    expect(res.body.say).toEqual(['We open at 8']);
    expect((await h.call('GET', '/action-runs')).body.total).toBe(0);
  });

  it('lists runs and stats; disables a definition', async () => {
    const runs = await h.call('GET', `/action-runs?action_id=${defId}&limit=10`);
    expect(runs.body).toMatchObject({ items: [], total: 0, limit: 10 });
    expect((await h.call('GET', '/action-runs?status=nope')).status).toBe(400);
    expect((await h.call('GET', `/actions/${defId}/stats`)).body).toMatchObject({
      runs: 0,
      success_rate: null,
    });
    expect((await h.call('PATCH', `/actions/${defId}`, { enabled: false })).body.enabled).toBe(false);
    const sim = await h.call('POST', `/agents/${agentId}/simulate`, {
      events: ['answered', { say: 'opening hours' }],
    });
    expect(sim.body.runs).toEqual([]);
  });

  it('lists the outbox and replays dead rows, one or all', async () => {
    const queue = new OutboxQueue(h.store.sql, { maxAttempts: 1 });
    const payload = { url: 'http://127.0.0.1:9/hook', body: null };
    const ids = await queue.enqueueMany(
      ['a', 'b', 'c'].map((k) => ({ idempotencyKey: k, kind: 'http' as const, payload })),
    );
    await h.store.sql.run(
      `UPDATE outbox SET status = 'dead', attempts = 1, last_error = 'HTTP 500' WHERE id IN (?, ?, ?)`,
      ids,
    );
    const list = await h.call('GET', '/outbox?status=dead');
    expect(list.body).toMatchObject({ total: 3, counts: { dead: 3 } });
    const one = await h.call('POST', `/outbox/${ids[0]}/replay`);
    expect(one.body).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await h.call('POST', `/outbox/${ids[0]}/replay`)).status).toBe(409);
    expect((await h.call('POST', '/outbox/replay-dead')).body).toEqual({ replayed: 2 });
    expect((await h.call('POST', '/outbox/999/replay')).status).toBe(404);
  });
});
