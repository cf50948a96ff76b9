import { existsSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from '../calls-fixture.js';
import type { FakeLeg } from '../../../helpers/fake-port.js';
import type { RecordOptions, RecordOutcome } from '../../../../src/telephony/port.js';
import { createOutboxWorker } from '../../../../src/delivery/outbox-service.js';
import { voicemailsOf } from '../../../../src/calls/voicemail/voicemail-repository.js';

let fx: ReturnType<typeof callsFixture>;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
  await fx?.cleanup();
});

const AGENT = 'steps: [{ say: Hello }]';
const VOICEMAIL = { notify_to: ['team@example.com'], max_duration_ms: 30000 };

/**
 * The caller speaks for `ms`, then hangs up; as on the real backends, the recording resolves (reason
 * `hangup`) only after the hang-up reached the call, i.e. while the call is ending.
 */
function hangsUpWhileSpeaking(leg: FakeLeg, ms: number): void {
  const record = leg.record.bind(leg);
  leg.record = async (options: RecordOptions): Promise<RecordOutcome> => {
    const written = await record(options);
    leg.remoteHangup();
    await new Promise((r) => setTimeout(r, 50));
    return { ...written, reason: 'hangup', durationMs: ms };
  };
}

function worker() {
  const { worker } = createOutboxWorker({
    store: fx.store,
    logger: pino({ level: 'silent' }),
    handlers: [fx.engine.deliveryHandler()],
    settings: {
      poll_interval_ms: 10,
      lease_ms: 5000,
      max_attempts: 3,
      backoff_base_ms: 5,
      backoff_max_ms: 20,
      concurrency: 2,
      delivery_timeout_ms: 2000,
    },
  });
  stop = () => worker.stop();
  return worker;
}

function runRows(callId: string) {
  return fx.store.db
    .prepare('SELECT action_type, stage, status, outputs FROM action_runs WHERE call_id = ? ORDER BY rowid')
    .all(callId) as Array<{ action_type: string; stage: string; status: string; outputs: string | null }>;
}

async function callThatHangsUp(ms: number) {
  const { call } = fx.telephony.incoming('+14155550100', '+14155550199');
  const leg = await call.answered;
  hangsUpWhileSpeaking(leg, ms);
  const id = (await fx.store.calls.all())[0]!.id;
  await until(async () => (await fx.store.calls.require(id)).ended_at !== null && fx.manager.active === 0);
  return { id, leg };
}

describe('a voicemail the caller ends by hanging up', () => {
  it('is a succeeded run with the saved outcome, and after-call actions render its voicemail_id', async () => {
    fx = callsFixture({ default_agent: 'vm' });
    const agent = await fx.agent('vm', AGENT);
    await fx.attach(agent.id, 'vm', 'leave-voicemail', VOICEMAIL, 'during');
    await fx.attach(agent.id, 'log_vm', 'test-echo', { text: 'left {{ actions.vm.voicemail_id }}' }, 'after');
    const { id } = await callThatHangsUp(1500);

    const [vm] = (await voicemailsOf(fx.store.sql).list({ limit: 10 })).items;
    expect(vm).toMatchObject({ call_id: id, duration_ms: 1500 });
    expect(existsSync(vm!.recording_path)).toBe(true);
    const runs = runRows(id);
    expect(runs.map(({ action_type, stage, status }) => ({ action_type, stage, status }))).toEqual([
      { action_type: 'leave-voicemail', stage: 'during', status: 'succeeded' },
      { action_type: 'test-echo', stage: 'after', status: 'queued' },
    ]);
    expect(JSON.parse(runs[0]!.outputs!)).toMatchObject({
      saved: true,
      voicemail_id: vm!.id,
      duration_ms: 1500,
      end: 'hangup',
      email: { status: 'skipped' },
    });
    // voicemail-left is still a call event; the call ended when the caller hung up.
    expect((await fx.events(id)).find((e) => e.type === 'voicemail-left')?.data).toEqual({
      voicemail_id: vm!.id,
      duration_ms: 1500,
      end: 'hangup',
    });
    expect(await fx.store.calls.require(id)).toMatchObject({ state: 'ended', hangup_by: 'caller' });

    worker().start();
    await until(() => fx.log.some((l) => l.name === 'log_vm'));
    expect(fx.log.find((l) => l.name === 'log_vm')?.config).toEqual({ text: `left ${vm!.id}` });
  });

  it('too short to keep: a completed run with the "not saved" outcome, not a cancelled one', async () => {
    fx = callsFixture({ default_agent: 'vm' });
    const agent = await fx.agent('vm', AGENT);
    await fx.attach(agent.id, 'vm', 'leave-voicemail', { ...VOICEMAIL, min_duration_ms: 2000 }, 'during');
    const { id } = await callThatHangsUp(800);
    const runs = runRows(id);
    expect(runs.map((r) => r.status)).toEqual(['succeeded']);
    expect(JSON.parse(runs[0]!.outputs!)).toEqual({ saved: false, reason: 'too-short' });
    expect((await voicemailsOf(fx.store.sql).list({ limit: 10 })).items).toEqual([]);
    expect((await fx.events(id)).find((e) => e.type === 'voicemail-discarded')?.data).toMatchObject({
      reason: 'too-short',
      end: 'hangup',
    });
  });

  it('draining the server waits for a message its hang-up ended, and for the call end written after it', async () => {
    fx = callsFixture({ default_agent: 'vm' });
    const agent = await fx.agent('vm', AGENT);
    await fx.attach(agent.id, 'vm', 'leave-voicemail', VOICEMAIL, 'during');
    const { call } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    let recording = false;
    const record = leg.record.bind(leg);
    // The caller is still speaking when the drain timeout hangs the call up; the recording then ends.
    leg.record = async (options: RecordOptions): Promise<RecordOutcome> => {
      recording = true;
      const written = await record(options);
      await until(() => !leg.active);
      await new Promise((r) => setTimeout(r, 50));
      return { ...written, reason: 'hangup' };
    };
    await until(() => recording);
    await fx.manager.drain();
    const id = (await fx.store.calls.all())[0]!.id;
    expect(await fx.store.calls.require(id)).toMatchObject({ state: 'ended', outcome: 'shutdown' });
    expect((await fx.store.calls.require(id)).ended_at).not.toBeNull();
    expect(runRows(id).map((r) => r.status)).toEqual(['succeeded']);
    expect((await voicemailsOf(fx.store.sql).list({ limit: 10 })).items).toHaveLength(1);
  });

  it('a run of another type in progress at the hang-up is still cancelled, and the call ends at once', async () => {
    fx = callsFixture({ default_agent: 'slow' });
    const agent = await fx.agent('slow', AGENT);
    await fx.attach(agent.id, 'wait', 'test-hang', {}, 'during');
    const { call } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    await until(() => fx.log.some((l) => l.name === 'wait'));
    leg.remoteHangup();
    const id = (await fx.store.calls.all())[0]!.id;
    await until(
      async () => (await fx.store.calls.require(id)).state === 'ended' && fx.manager.active === 0,
      1000,
    );
    expect(runRows(id).map((r) => ({ type: r.action_type, status: r.status }))).toEqual([
      { type: 'test-hang', status: 'cancelled' },
    ]);
    expect(fx.log.map((l) => l.name)).toEqual(['wait', 'wait:killed']);
  });
});
