import { afterEach, describe, expect, it } from 'vitest';
import { answeredCall, startRig, twoServerSettings, waitFor, type Rig } from './harness.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

describe('freeswitch backend: inbound calls', () => {
  it('describes the INVITE, rings once and answers onto a FreeSWITCH endpoint', async () => {
    rig = await startRig();
    const { req, res } = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
    const call = rig.calls[0]!;
    expect(call.info).toMatchObject({
      direction: 'inbound',
      from: { uri: 'sip:+14155550100@198.51.100.7', user: '+14155550100', displayName: 'Alice' },
      to: { user: '+15550001111' },
      requestUri: req.uri,
      remoteAddress: '198.51.100.7:5060',
      headers: { 'x-campaign': 'spring' },
      sipCallId: req.get('Call-ID'),
    });
    await call.ring();
    await call.ring();
    const leg = await call.answer();
    expect(res.sent.map((s) => s.status)).toEqual([180, 200]);
    expect(leg.active).toBe(true);
    expect(rig.telephony.stats().activeCalls).toBe(1);
  });

  it('rejects with the given status and reason', async () => {
    rig = await startRig();
    const { res } = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
    await rig.calls[0]!.reject(486, 'Busy Here');
    expect(res.sent).toEqual([{ status: 486, reason: 'Busy Here' }]);
    await expect(rig.calls[0]!.reject(200)).rejects.toThrow(/300-699/);
  });

  it('reports a CANCEL before the answer and refuses to answer afterwards', async () => {
    rig = await startRig();
    const { req } = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
    req.emit('cancel');
    await rig.calls[0]!.cancelled;
    await expect(rig.calls[0]!.answer()).rejects.toThrow(/cancelled/);
  });

  it('answers 480 when no handler is registered', async () => {
    rig = await startRig();
    rig.telephony.onInbound(undefined as never);
    const { res } = rig.fake.srf.incoming();
    expect(res.finalStatus).toBe(480);
  });

  it('tries the next media server when endpoint creation fails on the first', async () => {
    rig = await startRig({
      settings: twoServerSettings(),
    });
    rig.fake.mrf.latest('10.0.0.11').failCreate = 'Connection timeout';
    rig.fake.mrf.latest('10.0.0.12').failCreate = undefined;
    const { ms, res } = await answeredCall(rig);
    expect(ms.address).toBe('10.0.0.12');
    expect(res.finalStatus).toBe(200);
  });

  it('answers 503 and throws UNAVAILABLE when every media server fails to create an endpoint', async () => {
    rig = await startRig();
    rig.fake.mrf.latest('10.0.0.11').failCreate = 'Connection timeout';
    const { res } = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
    await expect(rig.calls[0]!.answer()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(res.finalStatus).toBe(503);
  });

  it('answers 500 when the inbound handler throws', async () => {
    rig = await startRig();
    rig.telephony.onInbound(() => {
      throw new Error('flow bug');
    });
    const { res } = rig.fake.srf.incoming();
    await waitFor(() => res.finished);
    expect(res.finalStatus).toBe(500);
  });
});
