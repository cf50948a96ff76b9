import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { integrationFixture } from '../integrations/integration-fixture.js';
import { recoverOpenCalls, SERVER_RESTART } from '../../../src/actions/call-recovery.js';
import type { ActionEngine } from '../../../src/actions/action-engine.js';

const logger = pino({ level: 'silent' });
let fx: Awaited<ReturnType<typeof integrationFixture>>;
beforeEach(async () => {
  fx = await integrationFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const rowsFor = (callId: string) =>
  (fx.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE call_id = ?').get(callId) as { n: number }).n;

describe('recovery of calls left open', () => {
  it('closes ringing, answered and agent-less calls once, queueing the after-call chain; ended calls are left alone', async () => {
    await fx.attach('hook', 'webhook', { url: 'http://127.0.0.1:9/calls' }, 'after');
    await fx.attach('note', 'webhook', { url: 'http://127.0.0.1:9/notes' }, 'after');
    const answered = await fx.call('+14155550100', {
      answered_at: new Date(Date.now() - 5000).toISOString(),
    });
    await fx.store.callEvents.append(answered.id, 'transcript', { speaker: 'caller', text: 'Hello?' });
    const ringing = await fx.call('+14155550101', { state: 'ringing' });
    const orphan = await fx.call('+14155550102', { agent_id: null });
    const done = await fx.call('+14155550103', { state: 'ended', ended_at: new Date().toISOString() });

    const recovered = await recoverOpenCalls({ store: fx.store, engine: fx.engine, logger });

    expect(recovered.map((r) => [r.callId, r.state, r.queued.length])).toEqual([
      [answered.id, 'answered', 2],
      [ringing.id, 'ringing', 2],
      [orphan.id, 'answered', 0],
    ]);
    for (const id of [answered.id, ringing.id, orphan.id]) {
      expect(await fx.store.calls.require(id)).toMatchObject({
        state: 'ended',
        end_reason: SERVER_RESTART,
        hangup_by: 'system',
      });
    }
    expect((await fx.store.calls.require(ringing.id)).outcome).toBe('failed');
    expect((await fx.store.calls.require(answered.id)).outcome).toBe('completed');
    // Ended at its last sign of life, not at the restart.
    const events = await fx.store.callEvents.list(answered.id, { limit: 10 });
    const lastEvent = events.items.find((e) => e.type === 'transcript')!;
    expect((await fx.store.calls.require(answered.id)).ended_at).toBe(lastEvent.at);
    expect(rowsFor(done.id)).toBe(0);
    expect((await fx.store.calls.require(done.id)).end_reason).toBeNull();

    // A second start finds nothing open.
    expect(await recoverOpenCalls({ store: fx.store, engine: fx.engine, logger })).toEqual([]);
    expect([rowsFor(answered.id), rowsFor(ringing.id)]).toEqual([2, 2]);
  });

  it('a crash during recovery leaves each call either closed with its chain or open without one, and the next start finishes', async () => {
    await fx.attach('hook', 'webhook', { url: 'http://127.0.0.1:9/calls' }, 'after');
    const a = await fx.call('+14155550100');
    const b = await fx.call('+14155550101');
    let ends = 0;
    const crashing: Pick<ActionEngine, 'session' | 'endCall'> = {
      session: (init) => fx.engine.session(init),
      endCall: async (session, end) => {
        if (++ends === 2) throw new Error('process killed');
        return fx.engine.endCall(session, end);
      },
    };
    await expect(recoverOpenCalls({ store: fx.store, engine: crashing, logger })).rejects.toThrow(
      'process killed',
    );
    expect((await fx.store.calls.require(a.id)).state).toBe('ended');
    expect(await fx.store.calls.require(b.id)).toMatchObject({ state: 'answered', ended_at: null });
    expect([rowsFor(a.id), rowsFor(b.id)]).toEqual([1, 0]);
    const bEvents = await fx.store.callEvents.list(b.id, { limit: 10 });
    expect(bEvents.items.filter((e) => e.type === 'hangup')).toEqual([]);

    const again = await recoverOpenCalls({ store: fx.store, engine: fx.engine, logger });
    expect(again.map((r) => r.callId)).toEqual([b.id]);
    expect([rowsFor(a.id), rowsFor(b.id)]).toEqual([1, 1]);
    const afterRuns = (await fx.engine.history.list({ status: 'queued' })).items;
    expect(afterRuns.map((r) => r.call_id).sort()).toEqual([a.id, b.id].sort());
  });
});
