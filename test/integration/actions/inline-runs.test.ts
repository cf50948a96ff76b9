import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from './engine-fixture.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

describe('inline runs (an agent command with no definition)', () => {
  it('run through the runner: a history row with action_id NULL, the type, the rendered config and the command', async () => {
    fx = await engineFixture();
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });
    const run = await s.runInline({
      type: 'test-echo',
      config: { text: 'x', label: 'for {{ call.direction }}' },
      firedBy: { kind: 'command', command: 'transfer' },
    });
    expect(run).toMatchObject({
      status: 'succeeded',
      actionId: null,
      attachmentId: null,
      type: 'test-echo',
      outputs: { label: 'for inbound' },
    });
    const rows = (await fx.engine.history.list({ callId: call.id })).items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: run.runId,
      action_id: null,
      attachment_id: null,
      action_type: 'test-echo',
      status: 'succeeded',
      trigger: { kind: 'command', command: 'transfer' },
      inputs: { config: { label: 'for inbound' } },
    });
    // No made-up definition id reaches the key sent with external effects: like every run, its key is the run's own.
    expect(fx.log[0]?.key).toBe(`${call.id}:${run.runId}`);
  });

  it('a config the type rejects is a failed run naming the field, recorded like any other', async () => {
    fx = await engineFixture();
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const run = await s.runInline({
      type: 'test-flaky',
      config: { failures: 'many' },
      firedBy: { kind: 'command', command: 'voicemail' },
    });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'VALIDATION', retryable: false });
    expect(run.error?.message).toContain('config.failures');
    expect(fx.log).toEqual([]);
    expect((await fx.engine.history.list({ callId: call.id })).items[0]).toMatchObject({
      action_id: null,
      status: 'failed',
    });
  });

  it('an unknown type fails as unavailable without a run', async () => {
    fx = await engineFixture();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const run = await s.runInline({
      type: 'cold-transfer',
      config: {},
      firedBy: { kind: 'command', command: 'transfer' },
    });
    expect(run.error).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
