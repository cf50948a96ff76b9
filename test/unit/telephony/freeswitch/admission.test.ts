/**
 * Admission control on the freeswitch backend, at the drachtio-srf boundary (fakes): INVITEs over a
 * limit get 503 + Retry-After as our first response (drachtio-server has sent 100 Trying itself),
 * before the call layer sees them; OPTIONS answers 503 while full or draining; places are held until
 * the leg ends; BYEs of a shutdown carry a Reason header.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../../../src/calls/admission.js';
import type { FakeDrachtio } from './drachtio-fakes.js';
import { answeredCall, dialogOf, settings, startRig, waitFor, type Rig } from './harness.js';

let rig: Rig | undefined;
let admission: AdmissionControl | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  admission?.close();
  rig = admission = undefined;
});

async function rigWith(max: number, prepare?: (f: FakeDrachtio) => void): Promise<Rig> {
  admission = new AdmissionControl({
    max_concurrent_calls: max,
    max_calls_per_second: 0,
    retry_after_s: 6,
    auto: false,
  });
  const r = await startRig({ ...(prepare ? { prepare } : {}) });
  r.telephony.setAdmissionGate(admission);
  return r;
}

const RETRY_503 = { status: 503, opts: { headers: { 'Retry-After': '6' } } };

describe('freeswitch backend: admission', () => {
  it('refuses an INVITE over max_concurrent_calls with 503 + Retry-After before any provisional, unseen by the call layer', async () => {
    rig = await rigWith(1);
    const first = await answeredCall(rig);
    expect(admission!.stats().active).toBe(1);
    const { res } = rig.fake.srf.incoming();
    expect(res.sent).toEqual([RETRY_503]);
    expect(rig.calls).toHaveLength(0); // answeredCall took the first; the call layer never saw this one
    expect(admission!.stats().refusals.concurrency).toBe(1);
    // The place frees when the answered leg ends.
    dialogOf(first.leg).remoteBye();
    await waitFor(() => admission!.stats().active === 0);
    rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
  });

  it('frees the place of a call the call layer rejects or the caller cancels', async () => {
    rig = await rigWith(1);
    rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 1);
    await rig.calls[0]!.reject(486);
    expect(admission!.stats().active).toBe(0);
    const { req } = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length === 2);
    expect(admission!.stats().active).toBe(1);
    req.emit('cancel');
    await rig.calls[1]!.cancelled;
    expect(admission!.stats().active).toBe(0);
  });

  it('answers OPTIONS 200, then 503 + Retry-After while full and while draining', async () => {
    rig = await rigWith(1);
    expect(rig.fake.srf.probe().sent[0]?.status).toBe(200);
    const call = await answeredCall(rig);
    expect(rig.fake.srf.probe().sent).toEqual([RETRY_503]);
    dialogOf(call.leg).remoteBye();
    await waitFor(() => admission!.stats().active === 0);
    expect(rig.fake.srf.probe().sent[0]?.status).toBe(200);
    admission!.startDrain();
    expect(rig.fake.srf.probe().sent).toEqual([RETRY_503]);
    const { res } = rig.fake.srf.incoming();
    expect(res.sent).toEqual([RETRY_503]);
    expect(admission!.stats().refusals.draining).toBe(1);
  });

  it('refuses with 503 + Retry-After before ringing when no media server is connected', async () => {
    const address = settings().media_servers[0]!.address;
    rig = await rigWith(0, (f) => f.mrf.reachable.set(address, false));
    const { res } = rig.fake.srf.incoming();
    expect(res.sent).toEqual([RETRY_503]);
    expect(rig.calls).toHaveLength(0);
    expect(admission!.stats()).toMatchObject({ active: 0, refusals: { 'rtp-ports': 1 } });
  });

  it('hangs up with cause shutdown by a BYE carrying Reason: SIP ;cause=503', async () => {
    rig = await rigWith(0);
    const { leg } = await answeredCall(rig);
    await leg.hangup('shutdown');
    expect(dialogOf(leg).byeOptions).toEqual({
      headers: { Reason: 'SIP ;cause=503 ;text="Server shutting down"' },
    });
  });
});
