import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from './engine-fixture.js';
import { defineActionType } from '../../../src/actions/action-type.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

/** A type whose work a hang-up ends: it finishes `after` ms after the session's hang-up, or never. */
function finisher(release: { now?: () => void }) {
  return defineActionType({
    name: 'test-finisher',
    title: 'Finisher',
    description: 'Completes when released, like a recording the hang-up ends',
    configSchema: Type.Object({}),
    stages: ['during'],
    completesOnHangup: true,
    exec: (ctx) =>
      new Promise((resolve, reject) => {
        release.now = () => resolve({ kept: true });
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  });
}

function statuses(callId: string) {
  return (
    fx.store.db
      .prepare('SELECT action_type, status FROM action_runs WHERE call_id = ? ORDER BY rowid')
      .all(callId) as Array<{ action_type: string; status: string }>
  ).map((r) => `${r.action_type}:${r.status}`);
}

describe('runs whose type completes on hang-up', () => {
  it('finish after the hang-up, their outputs reach after-call actions, and later runs do not start', async () => {
    fx = await engineFixture();
    const release: { now?: () => void } = {};
    fx.registry.register(finisher(release));
    await fx.attach('rec', 'test-finisher', {}, 'during');
    await fx.attach('next', 'test-echo', { text: 'not after the hang-up' }, 'during');
    await fx.attach('after', 'test-echo', { text: 'kept={{ actions.rec.kept }}' }, 'after');
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const stage = s.runStage('during');
    await new Promise((r) => setTimeout(r, 10));
    const settling = s.settleOnHangup('call ended', 5000);
    expect(settling).toBeInstanceOf(Promise);
    release.now!();
    await settling;
    expect(s.outputs.rec).toEqual({ kept: true });
    const ended = await fx.engine.endCall(s, { endReason: 'normal' });
    expect(ended.queued).toHaveLength(1);
    expect((await stage).runs.map((r) => r.status)).toEqual(['succeeded']);
    expect(statuses(call.id)).toEqual(['test-finisher:succeeded', 'test-echo:queued']);
    const payload = fx.store.db.prepare('SELECT payload FROM outbox').get() as { payload: string };
    expect(JSON.parse(payload.payload)).toMatchObject({ scope: { actions: { rec: { kept: true } } } });
  });

  it('one still running when the completion timeout passes is killed and recorded cancelled', async () => {
    fx = await engineFixture();
    fx.registry.register(finisher({}));
    await fx.attach('rec', 'test-finisher', {}, 'during');
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const stage = s.runStage('during');
    await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await s.settleOnHangup('call ended', 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await fx.engine.endCall(s, { endReason: 'normal' });
    expect((await stage).runs.map((r) => r.status)).toEqual(['cancelled']);
    expect(statuses(call.id)).toEqual(['test-finisher:cancelled']);
  });

  it('with none running the hang-up has nothing to wait for; other runs are cancelled at once', async () => {
    fx = await engineFixture();
    await fx.attach('wait', 'test-hang', {}, 'during');
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const stage = s.runStage('during');
    await new Promise((r) => setTimeout(r, 10));
    expect(s.settleOnHangup('call ended')).toBeUndefined();
    expect((await stage).runs.map((r) => r.status)).toEqual(['cancelled']);
    await fx.engine.endCall(s);
    expect(fx.log.map((l) => l.name)).toEqual(['wait', 'wait:killed']);
  });
});
