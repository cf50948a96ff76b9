import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from './engine-fixture.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

describe('action engine: order and chaining', () => {
  it('runs three actions in attachment order, each seeing the outputs of the ones before', async () => {
    fx = await engineFixture();
    // Attached out of creation order on purpose: position decides.
    const c = await fx.attach('crm_log', 'test-echo', { text: 'log {{ actions.send_sms.text }}' }, 'during');
    const a = await fx.attach('schedule', 'test-echo', { text: 'booked', slot: '{{ data.slot }}' }, 'during');
    const b = await fx.attach(
      'send_sms',
      'test-echo',
      { text: 'See you at {{ actions.schedule.slot }}' },
      'during',
    );
    await fx.store.attachments.update(a.att.id, { position: 0 });
    await fx.store.attachments.update(b.att.id, { position: 1 });
    await fx.store.attachments.update(c.att.id, { position: 2 });
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, data: { slot: '10:30' } });
    const result = await s.runStage('during');
    expect(result.runs.map((r) => r.action)).toEqual(['schedule', 'send_sms', 'crm_log']);
    expect(fx.log.map((l) => l.config.text)).toEqual(['booked', 'See you at 10:30', 'log See you at 10:30']);
    expect(s.outputs.crm_log).toMatchObject({ text: 'log See you at 10:30' });
  });
});

describe('templates', () => {
  it('fails the run with an error naming the missing variable, and a default makes it pass', async () => {
    fx = await engineFixture();
    await fx.attach('greet', 'test-echo', { text: 'Hi {{ contact.first_name }}' }, 'during');
    await fx.attach(
      'greet2',
      'test-echo',
      { text: 'Hi {{ contact.first_name | default: "there" }}' },
      'during',
    );
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const r = await s.runStage('during');
    expect(r.runs[0]?.status).toBe('failed');
    expect(r.runs[0]?.error?.code).toBe('TEMPLATE');
    expect(r.runs[0]?.error?.message).toContain('"contact.first_name"');
    expect(r.runs[0]?.error?.message).toContain('config.text');
    expect(r.runs[1]?.outputs.text).toBe('Hi there');
  });

  it('refuses a definition whose template does not parse, naming the field', async () => {
    fx = await engineFixture();
    await expect(
      fx.engine.definitions.create({ name: 'bad', type: 'custom-reply', config: { text: 'Hi {{ x' } }),
    ).rejects.toThrow(/config\.text/);
    await expect(
      fx.engine.definitions.create({ name: 'bad', type: 'add-contact-tags', config: { tags: [] } }),
    ).rejects.toThrow(/config\.tags: got \[\], expected at least 1 items/);
  });
});

describe('failure policies', () => {
  it('retries N times with backoff and then succeeds', async () => {
    fx = await engineFixture();
    await fx.attach('flaky', 'test-flaky', { failures: 2 }, 'during', {
      failure_policy: { retries: 2, backoff_ms: 5 },
    });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const r = await s.runStage('during');
    expect(r.runs[0]).toMatchObject({ status: 'succeeded', attempts: 3, outputs: { attempt: 3 } });
  });

  it('continue: the next action still runs after the retries are used up', async () => {
    fx = await engineFixture();
    await fx.attach('flaky', 'test-flaky', { failures: 5 }, 'during', {
      failure_policy: { retries: 1, backoff_ms: 1, on_failure: 'continue' },
    });
    await fx.attach('next', 'test-echo', { text: 'after' }, 'during');
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const r = await session.runStage('during');
    expect(r.runs.map((x) => [x.action, x.status, x.attempts])).toEqual([
      ['flaky', 'failed', 2],
      ['next', 'succeeded', 1],
    ]);
    expect(r.aborted).toBe(false);
  });

  it('abort: the rest of the stage does not run', async () => {
    fx = await engineFixture();
    await fx.attach('flaky', 'test-flaky', { failures: 5 }, 'during', {
      failure_policy: { on_failure: 'abort' },
    });
    await fx.attach('next', 'test-echo', { text: 'after' }, 'during');
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const r = await session.runStage('during');
    expect(r.aborted).toBe(true);
    expect(r.runs.map((x) => x.action)).toEqual(['flaky']);
  });

  it('fallback: says the fallback message and the agent gets the typed failure of a tool call', async () => {
    fx = await engineFixture();
    await fx.attach('lookup', 'test-flaky', { failures: 5, permanent: true }, 'during', {
      triggers: [{ kind: 'tool' }],
      failure_policy: {
        retries: 3,
        on_failure: 'fallback',
        fallback_message: 'Sorry, {{ error.code }} - I will call you back.',
      },
    });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const res = await s.callTool('lookup', {});
    expect(res).toEqual({
      ok: false,
      action: 'lookup',
      error: { code: 'UPSTREAM', message: 'attempt 1 failed', retryable: false },
      say: 'Sorry, UPSTREAM - I will call you back.',
    });
    // Not retryable: one attempt only despite retries: 3.
    expect(fx.log).toHaveLength(1);
  });
});

describe('history and stats', () => {
  it('stores each run with redacted inputs, outputs, status, attempts and duration; stats sum them', async () => {
    fx = await engineFixture();
    const ok = await fx.attach(
      'notify',
      'test-echo',
      { text: 'hello', note: 'call {{ call.from }} now', phone: '{{ call.from }}' },
      'during',
    );
    await fx.attach('flaky', 'test-flaky', { failures: 9 }, 'during', {
      failure_policy: { retries: 1, backoff_ms: 1 },
    });
    const call = await fx.call('+14155550123');
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550123' });
    await s.runStage('during');
    await s.runStage('during');
    const runs = await fx.engine.history.list({ callId: call.id });
    expect(runs.total).toBe(4);
    const notify = runs.items.find((r) => r.action_id === ok.def.id)!;
    expect(notify.status).toBe('succeeded');
    expect(notify.attempts).toBe(1);
    expect(notify.duration_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(notify.inputs)).not.toContain('4155550123');
    expect(notify.inputs).toEqual({
      config: { text: '[redacted]', note: 'call [number] now', phone: '[redacted]' },
      args: {},
    });
    expect(notify.outputs).toMatchObject({ note: 'call +14155550123 now' });
    const failed = runs.items.find((r) => r.status === 'failed')!;
    expect(failed).toMatchObject({ attempts: 2, error: 'UPSTREAM: attempt 2 failed' });
    const stats = await fx.engine.history.stats(ok.def.id);
    expect(stats).toMatchObject({ runs: 2, succeeded: 2, failed: 0, success_rate: 1 });
    expect(stats.p50_ms).not.toBeNull();
    expect(await fx.engine.history.stats(failed.action_id!)).toMatchObject({
      runs: 2,
      succeeded: 0,
      success_rate: 0,
    });
  });
});

describe('enable/disable', () => {
  it('never runs a disabled definition, in any stage, by any trigger', async () => {
    fx = await engineFixture();
    const d = await fx.attach('off', 'test-echo', { text: 'x' }, 'during', {
      enabled: false,
      triggers: [{ kind: 'tool' }],
    });
    await fx.attach('off2', 'test-echo', { text: 'y' }, 'during', { enabled: false });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    await s.runStage('during');
    expect((await s.callTool('off')).ok).toBe(false);
    expect(s.tools()).toEqual([]);
    // Disabled after the session loaded its plan: the runner checks again.
    const e = await fx.attach('later', 'test-echo', { text: 'z' }, 'during');
    const s2 = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    await fx.engine.definitions.setEnabled(e.def.id, false);
    await s2.runStage('during');
    expect(fx.log).toEqual([]);
    expect((await fx.engine.history.list({ actionId: d.def.id })).total).toBe(0);
  });
});

describe('before stage budget', () => {
  it('kills what is still running when the budget runs out and the call proceeds', async () => {
    fx = await engineFixture({ beforeBudgetMs: 100 });
    await fx.attach('fast', 'test-echo', { text: 'ok' }, 'before');
    await fx.attach('slow', 'test-hang', {}, 'before');
    await fx.attach('never', 'test-echo', { text: 'never' }, 'before');
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const started = Date.now();
    const r = await s.runStage('before');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.timedOut).toBe(true);
    expect(r.runs.map((x) => [x.action, x.status])).toEqual([
      ['fast', 'succeeded'],
      ['slow', 'cancelled'],
    ]);
    expect(fx.log.map((l) => l.name)).toEqual(['fast', 'slow', 'slow:killed']);
    expect((await fx.engine.history.list({ status: 'cancelled' })).total).toBe(1);
  });
});
