/**
 * Which calls are recorded, and in what order, over the real call layer (store, engine, CallManager)
 * and the fake telephony port: the agent's setting with its consent prompt first, a number's
 * `never`/`always`, an outbound call's `record`, the pause/resume actions, and the upload and
 * recording-ready rows written with the call's end.
 */
import pino from 'pino';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingServices } from '../../../src/calls/recording/recording-services.js';
import { callsFixture, until } from './calls-fixture.js';
import { testConfig } from '../../helpers/temp.js';

const SCRIPT = `steps:
  - say: Hello there.
  - action: pause_card
  - say: Your card number please.
  - action: resume_card
  - hangup: { say: Goodbye. }
`;

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function fixture() {
  const fx = callsFixture({}, undefined, {
    recording: (store, dir) =>
      new RecordingServices(testConfig(dir), {
        store,
        logger: pino({ level: 'silent' }),
        publicUrl: 'http://127.0.0.1:1',
      }),
  });
  cleanup = fx.cleanup;
  const agent = await fx.store.agents.create({
    name: 'rec',
    kind: 'scripted',
    config: { steps: [] },
    recording: { enabled: true, consent_prompt: 'This call from {{ call.from }} is recorded.' },
  } as never);
  return { fx, agent };
}

function outboxKinds(fx: Awaited<ReturnType<typeof fixture>>['fx'], callId: string) {
  return fx.store.db
    .prepare('SELECT kind, blocked, next_key FROM outbox WHERE call_id = ? ORDER BY id')
    .all(callId) as Array<{ kind: string; blocked: number; next_key: string | null }>;
}

describe('whole-call recording options', () => {
  it("records an agent's calls after its consent prompt, marks the paused span, and queues upload then recording-ready", async () => {
    const { fx, agent } = await fixture();
    await fx.store.agents.update(agent.id, { config: parse(SCRIPT) as Record<string, unknown> });
    await fx.attach(agent.id, 'pause_card', 'pause-recording', {}, 'during', [{ kind: 'tool' }]);
    await fx.attach(agent.id, 'resume_card', 'resume-recording', {}, 'during', [{ kind: 'tool' }]);
    await fx.store.numbers.create({ number: '+14155550199', agent_id: agent.id });
    const { call, handled } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    await handled;
    await leg.ended;
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    // The consent prompt (rendered) is played before the recording starts.
    expect(leg.ops.slice(0, 2)).toEqual([
      'play:speech:This call from +14155550100 is recorded.',
      'recordCall',
    ]);
    expect(leg.callRecordings[0]?.marks).toEqual(['pause', 'resume']);
    const types = (await fx.events(row.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('recording-'))).toEqual([
      'recording-consent',
      'recording-started',
      'recording-paused',
      'recording-resumed',
      'recording-stopped',
    ]);
    expect((await fx.store.calls.require(row.id)).recording_status).toBe('uploading');
    expect(outboxKinds(fx, row.id)).toEqual([
      { kind: 'recording-upload', blocked: 0, next_key: `${row.id}:recording-ready` },
      { kind: 'recording-ready', blocked: 1, next_key: null },
    ]);
    const runs = fx.runs(row.id).filter((r) => r.action_type.endsWith('-recording'));
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([
      ['pause-recording', 'succeeded'],
      ['resume-recording', 'succeeded'],
    ]);
  });

  it('a number set to never is not recorded though the agent records; no consent prompt, no rows', async () => {
    const { fx, agent } = await fixture();
    await fx.store.agents.update(agent.id, { config: { steps: [{ hangup: { say: 'Bye.' } }] } });
    await fx.store.numbers.create({ number: '+14155550198', agent_id: agent.id, record: 'never' } as never);
    const { call, handled } = fx.telephony.incoming('+14155550100', '+14155550198');
    const leg = await call.answered;
    await handled;
    await leg.ended;
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    expect(leg.ops).not.toContain('recordCall');
    expect(leg.spoken).toEqual(['Bye.']);
    expect((await fx.store.calls.require(row.id)).recording_status).toBeNull();
    expect(outboxKinds(fx, row.id)).toEqual([]);
  });

  it('an outbound call with record: true is recorded for an agent that does not record', async () => {
    const { fx, agent } = await fixture();
    await fx.store.agents.update(agent.id, {
      recording: {},
      config: { steps: [{ hangup: { say: 'Bye.' } }] },
    } as never);
    const { call_id } = await fx.manager.placeCall({
      agent: agent.id,
      to: 'sip:bob@example.com',
      record: true,
    });
    await until(async () => (await fx.store.calls.require(call_id)).state === 'ended');
    const leg = fx.telephony.answered[0]!;
    expect(leg.ops[0]).toBe('recordCall');
    await until(() => outboxKinds(fx, call_id).length === 2);
  });
});
