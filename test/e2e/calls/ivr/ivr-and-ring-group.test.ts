import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp, sippFailure } from '../../../helpers/sipp.js';
import { startFlowRig, type FlowRig } from '../transfer/flow-fixture.js';
import { resolveTarget } from '../../../../src/calls/targets/target-resolver.js';
import { dialTarget } from '../../../../src/calls/targets/dial-target.js';

// Port block for this file: 37500-37999 (peers 37500-37599, RTP 37600-37999).
const BASE = 37500;
const TRUNK_PORT = BASE + 10;

describe('IVR navigation and ring groups on the embedded backend with sipp', () => {
  let rig: FlowRig;

  beforeAll(async () => {
    rig = await startFlowRig(BASE, {
      sip: {
        trunks: [
          { name: 'carrier', host: '127.0.0.1', port: TRUNK_PORT, transport: 'udp', dtmf_method: 'info' },
        ],
      },
    });
    rig.attach('menu', 'ivr-navigate', { sequence: '1w2ww#', tone_ms: 80 });
  });
  afterAll(async () => rig?.stop());

  it('an outbound call navigates the IVR: the sipp UAS checks 1, 2, # by INFO in order', async () => {
    const peer = startSipp({
      scenario: 'ivr-uas-expect-info-1-2-hash.xml',
      localPort: TRUNK_PORT,
      mediaPort: BASE + 50,
      timeoutMs: 20_000,
    });
    await peer.ready;
    const dialled = await rig.telephony.dial({
      target: '+14155550123',
      trunk: 'carrier',
      callerId: '+14155550100',
    });
    expect(dialled.outcome).toBe('answered');
    if (dialled.outcome !== 'answered') return;
    const call = rig.adopt(dialled.leg);
    const stage = await call.session.runStage('during');
    expect(stage.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { sequence: '1w2ww#', sent: '12#', method: 'info', status: 'completed' },
    });
    await dialled.leg.hangup();
    const result = await peer.done;
    expect(result.code, sippFailure(result)).toBe(0);
    expect(rig.store.callEvents.list(call.callId).items).toMatchObject([
      { type: 'ivr-navigation', data: { sent: '12#' } },
    ]);
  });

  it('ring group in order: the first member rings out its timeout (CANCEL), the second answers', async () => {
    const first = startSipp({
      scenario: 'uas-ring-no-answer.xml',
      localPort: BASE + 20,
      mediaPort: BASE + 60,
      timeoutMs: 20_000,
    });
    const second = startSipp({
      scenario: 'uas-answer-wait-bye.xml',
      localPort: BASE + 21,
      mediaPort: BASE + 70,
      timeoutMs: 20_000,
    });
    await Promise.all([first.ready, second.ready]);
    const { store } = rig;
    const ann = store.users.create({ name: 'ann', sip_uri: `sip:ann@127.0.0.1:${BASE + 20}` });
    const ben = store.users.create({ name: 'ben', sip_uri: `sip:ben@127.0.0.1:${BASE + 21}` });
    const group = store.ringGroups.create({
      name: 'support',
      strategy: 'sequential',
      member_timeout_secs: 10,
    });
    store.ringGroupMembers.replace(group.id, [{ user_id: ann.id, timeout_secs: 1 }, { user_id: ben.id }]);
    const r = await dialTarget(rig.telephony, resolveTarget(store, 'ring_group:support'), {
      callerId: '+14155550100',
    });
    expect(r.attempts).toEqual([
      { member: 'user ann', outcome: 'no-answer', status: 487 },
      { member: 'user ben', outcome: 'answered' },
    ]);
    expect(r.outcome).toBe('answered');
    if (r.outcome === 'answered') await r.leg.hangup();
    for (const peer of [first, second]) {
      const result = await peer.done;
      expect(result.code, sippFailure(result)).toBe(0);
    }
  });
});
