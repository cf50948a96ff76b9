import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp, sippFailure } from '../../../helpers/sipp.js';
import { startFlowRig, type FlowRig } from './flow-fixture.js';

// Port block for this file: 36000-36499 (peers 36000-36099, RTP 36100-36499).
const BASE = 36000;

describe('cold transfer on the embedded backend with sipp', () => {
  let rig: FlowRig;

  beforeAll(async () => {
    rig = await startFlowRig(BASE);
    rig.store.agents.update(rig.agentId, {
      targets: { desk: { type: 'sip', uri: `sip:desk@127.0.0.1:${BASE + 20}` } },
    });
    rig.attach('say-wait', 'custom-reply', { text: 'Transferring you now.' }, [
      { kind: 'dtmf', digits: '1' },
    ]);
    rig.attach(
      'to-desk',
      'cold-transfer',
      { target: 'desk', disposition: 'transferred', ring_timeout_ms: 5000 },
      [{ kind: 'dtmf', digits: '1' }],
    );
  });
  afterAll(async () => rig?.stop());

  it('caller presses 1 → REFER accepted and completed; call row has disposition, transfer and runs in order', async () => {
    const answered = rig.nextCall();
    const caller = startSipp({
      scenario: 'transfer-uac-press-1-accept-refer.xml',
      remote: rig.target,
      service: '+14155550199',
      localPort: BASE + 1,
      timeoutMs: 20_000,
    });
    const call = await answered;
    const result = await caller.done;
    expect(result.code, sippFailure(result)).toBe(0);
    await expect.poll(() => call.results.length).toBe(1);
    const stage = await call.results[0];
    expect(stage?.runs.map((r) => [r.action, r.status])).toEqual([
      ['say-wait', 'succeeded'],
      ['to-desk', 'succeeded'],
    ]);
    expect(stage?.runs[1]?.outputs).toMatchObject({
      method: 'refer',
      refer: { outcome: 'completed', status: 200 },
      result: 'completed',
    });
    const row = rig.store.calls.require(call.callId);
    expect(row.call_disposition).toBe('transferred');
    expect(row.transfer).toMatchObject({ kind: 'cold', method: 'refer', result: 'completed' });
    const runs = rig.engine.history.list({ callId: call.callId }).items.reverse();
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([
      ['custom-reply', 'succeeded'],
      ['cold-transfer', 'succeeded'],
    ]);
    expect(await call.leg.ended).toEqual({ by: 'local', cause: 'transferred' });
  });

  it('REFER declined with 603 → the target is dialled and bridged; the outcome says both', async () => {
    const target = startSipp({
      scenario: 'uas-answer-wait-bye.xml',
      localPort: BASE + 20,
      mediaPort: BASE + 40,
      timeoutMs: 20_000,
    });
    await target.ready;
    const answered = rig.nextCall();
    const caller = startSipp({
      scenario: 'transfer-uac-press-1-reject-refer-603.xml',
      remote: rig.target,
      service: '+14155550199',
      localPort: BASE + 2,
      timeoutMs: 20_000,
    });
    const call = await answered;
    const [callerResult, targetResult] = await Promise.all([caller.done, target.done]);
    expect(callerResult.code, sippFailure(callerResult)).toBe(0);
    expect(targetResult.code, sippFailure(targetResult)).toBe(0);
    const stage = await call.results[0];
    expect(stage?.runs[1]?.outputs).toMatchObject({
      method: 'bridge',
      refer: { outcome: 'failed', stage: 'refer', status: 603 },
      target: 'desk (sip:desk@127.0.0.1:36020)',
      bridge: { outcome: 'answered', member: 'sip:desk@127.0.0.1:36020' },
      result: 'connected',
    });
    expect(rig.store.calls.require(call.callId).transfer).toMatchObject({
      method: 'bridge',
      result: 'connected',
    });
  });
});
