/**
 * drachtio-fsmrf 4.1.2 under overload: FreeSWITCH's outbound event-socket connection for a new
 * endpoint does not come within 4 s, and fsmrf's timeoutFn destroys the already released dialog
 * without a catch (ENODIALOG). The process must live on: no unhandled rejection, the call that hit
 * it gets a typed outcome, and other calls go on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundCall } from '../../../../src/telephony/port.js';
import { FakeMediaServer } from './drachtio-fakes.js';
import { startRig, waitFor, type Rig } from './harness.js';

let rig: Rig | undefined;
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  await rig?.telephony.stop();
  rig = undefined;
});

/** Long enough for fsmrf's 4 s timer, its destroy() and the rejection's turn to be reported. */
const afterFsmrfTimeout = (): Promise<void> =>
  new Promise((r) => setTimeout(r, FakeMediaServer.ESL_CONNECT_TIMEOUT_MS + 300));

describe('freeswitch backend: endpoint connection timeout under overload', () => {
  it('an inbound call whose endpoint never connects gets 503, fires no unhandledRejection, and the next call is answered', async () => {
    rig = await startRig({ prepare: (f) => (f.mrf.eslConnection = 'never') });
    const ms = rig.fake.mrf.latest('10.0.0.11');

    const first = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length > 0);
    const failing = rig.calls.shift() as InboundCall;
    await expect(failing.answer()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(first.res.finalStatus).toBe(503);
    // The INVITE fsmrf sent to FreeSWITCH went through the Srf it was given.
    expect(rig.fake.srf.uacCalls.map((c) => c.uri)).toContain('sip:drachtio@10.0.0.11');

    ms.eslConnection = 'arrives';
    const second = rig.fake.srf.incoming();
    await waitFor(() => rig!.calls.length > 0);
    const leg = await (rig.calls.shift() as InboundCall).answer();
    expect(second.res.finalStatus).toBe(200);

    await afterFsmrfTimeout();
    const released = rig.fake.srf.dialogs.filter((d) => d.goneOnServer);
    expect(released).toHaveLength(1);
    expect(released[0]?.byeSent).toBe(true); // fsmrf did call destroy(), and it rejected
    expect(unhandled).toEqual([]);
    await leg.hangup();
  }, 10_000);

  it('an outbound dial whose endpoint never connects is failed(media endpoint …), with no unhandledRejection', async () => {
    rig = await startRig({ prepare: (f) => (f.mrf.eslConnection = 'never') });
    const outcome = await rig.telephony.dial({ target: 'sip:bob@pbx.test' });
    expect(outcome).toMatchObject({ outcome: 'failed' });
    expect(outcome.outcome === 'failed' && outcome.error).toMatch(/^media endpoint on fs1: /);
    await afterFsmrfTimeout();
    expect(unhandled).toEqual([]);
  }, 10_000);
});
