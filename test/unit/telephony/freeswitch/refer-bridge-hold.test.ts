import { afterEach, describe, expect, it } from 'vitest';
import { answeredCall, dialogOf, startRig, twoServerSettings, waitFor, type Rig } from './harness.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

describe('freeswitch call leg: REFER (RFC 3515)', () => {
  it('completes on a 2xx sipfrag and reports every NOTIFY as progress', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = (r) => (r.method === 'REFER' ? { status: 202 } : { status: 200 });
    const progress: number[] = [];
    leg.on('refer-progress', (p) => progress.push(p.status));
    const outcome = leg.refer('sip:agent@pbx.test', { referredBy: 'sip:bot@callwright.test' });
    await waitFor(() => dialog.requests.length === 1);
    expect(dialog.requests[0]!.headers).toMatchObject({
      'Refer-To': '<sip:agent@pbx.test>',
      'Referred-By': '<sip:bot@callwright.test>',
    });
    await new Promise((r) => setImmediate(r));
    expect(dialog.remoteNotify('SIP/2.0 100 Trying\r\n').finalStatus).toBe(200);
    dialog.remoteNotify('SIP/2.0 200 OK\r\n', 'terminated;reason=noresource');
    expect(await outcome).toEqual({ outcome: 'completed', status: 200 });
    expect(progress).toEqual([100, 200]);
  });

  it('routes an E.164 target through the default trunk', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = () => ({ status: 603, reason: 'Declined' });
    await leg.refer('+14155550123');
    expect(dialog.requests[0]!.headers!['Refer-To']).toBe('<sip:+14155550123@203.0.113.5>');
  });

  it('REFER rejected: failed at stage refer with the status', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    dialogOf(leg).responder = () => ({ status: 403, reason: 'Forbidden' });
    expect(await leg.refer('sip:x@y')).toEqual({
      outcome: 'failed',
      stage: 'refer',
      status: 403,
      reason: 'Forbidden',
    });
  });

  it('NOTIFY with a failure sipfrag: failed at stage notify', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = () => ({ status: 202 });
    const outcome = leg.refer('sip:x@y');
    await waitFor(() => dialog.requests.length === 1);
    await new Promise((r) => setImmediate(r));
    dialog.remoteNotify('SIP/2.0 486 Busy Here\r\n', 'terminated');
    expect(await outcome).toEqual({ outcome: 'failed', stage: 'notify', status: 486, reason: 'Busy Here' });
  });

  it('no final NOTIFY in time: timeout at stage notify with the last status seen', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = () => ({ status: 202 });
    const outcome = leg.refer('sip:x@y', { notifyTimeoutMs: 80 });
    await waitFor(() => dialog.requests.length === 1);
    await new Promise((r) => setImmediate(r));
    dialog.remoteNotify('SIP/2.0 180 Ringing\r\n');
    expect(await outcome).toEqual({ outcome: 'timeout', stage: 'notify', lastStatus: 180 });
  });

  it('a NOTIFY ending the subscription on a provisional sipfrag ends the REFER at once: timeout(notify)', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = () => ({ status: 202 });
    const outcome = leg.refer('sip:x@y', { notifyTimeoutMs: 60_000 });
    await waitFor(() => dialog.requests.length === 1);
    await new Promise((r) => setImmediate(r));
    dialog.remoteNotify('SIP/2.0 180 Ringing\r\n', 'terminated;reason=timeout');
    expect(await outcome).toEqual({ outcome: 'timeout', stage: 'notify', lastStatus: 180 });
  });

  it('REFER answered 408 by drachtio-server: timeout at stage refer', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    dialogOf(leg).responder = () => ({ status: 408 });
    expect(await leg.refer('sip:x@y')).toEqual({ outcome: 'timeout', stage: 'refer' });
  });

  it('a leg that ends while waiting for NOTIFY gives timeout without waiting out the timer', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.responder = () => ({ status: 202 });
    const outcome = leg.refer('sip:x@y', { notifyTimeoutMs: 60_000 });
    await waitFor(() => dialog.requests.length === 1);
    dialog.remoteBye();
    expect(await outcome).toEqual({ outcome: 'timeout', stage: 'notify' });
  });
});

describe('freeswitch call leg: bridge, whisper, hold', () => {
  it('bridges two legs on one media server with uuid_bridge and unbridges', async () => {
    rig = await startRig();
    const a = await answeredCall(rig);
    const b = await answeredCall(rig);
    await a.leg.bridge(b.leg);
    expect(a.ep.bridgedTo).toBe(b.ep.uuid);
    await a.leg.unbridge();
    expect(a.ep.log).toContain(`api uuid_transfer ${a.ep.uuid} -both park inline`);
  });

  it('whisper: a play on the target before bridging is heard only on that endpoint', async () => {
    rig = await startRig();
    const caller = await answeredCall(rig);
    const agent = await answeredCall(rig);
    await agent.leg.play({ kind: 'silence', durationMs: 20 });
    await caller.leg.bridge(agent.leg);
    expect(agent.ep.log.filter((l) => l.startsWith('playback'))).toEqual(['playback silence_stream://20']);
    expect(caller.ep.log.filter((l) => l.startsWith('playback'))).toEqual([]);
  });

  it('bridging a leg on another media server first moves its media here', async () => {
    rig = await startRig({
      settings: twoServerSettings(),
    });
    const a = await answeredCall(rig);
    const b = await answeredCall(rig);
    expect(a.ms).not.toBe(b.ms); // least-loaded placement spread them
    await a.leg.bridge(b.leg);
    const moved = [...a.ms.endpoints].find((e) => e !== a.ep)!;
    expect(dialogOf(b.leg).modifiedWith).toEqual([moved.local.sdp]);
    expect(b.ep.connected).toBe(false);
    expect(a.ep.bridgedTo).toBe(moved.uuid);
  });

  it('hold plays looped music until unhold, then restores the bridge', async () => {
    rig = await startRig();
    const a = await answeredCall(rig);
    const b = await answeredCall(rig);
    await a.leg.bridge(b.leg);
    a.ep.playMs = 150;
    await a.leg.hold();
    // Pass after pass of `playback` (a uuid_break does not stop endless_playback in FreeSWITCH).
    await waitFor(() => a.ep.log.filter((l) => l === 'playback tone_stream://%(200,3800,440)').length >= 2);
    expect(a.ep.pending?.app).toBe('playback');
    expect(a.ep.log.some((l) => l.startsWith('endless_playback'))).toBe(false);
    expect(a.ep.bridgedTo).toBeUndefined();
    await a.leg.unhold();
    expect(a.ep.pending).toBeUndefined();
    expect(a.ep.bridgedTo).toBe(b.ep.uuid);
  });

  it('hold audio whose pass ends at once (unreadable file) is not repeated', async () => {
    rig = await startRig();
    const a = await answeredCall(rig);
    a.ep.playMs = 0;
    await a.leg.hold();
    await new Promise((r) => setTimeout(r, 200));
    expect(a.ep.log.filter((l) => l.startsWith('playback')).length).toBe(1);
    await a.leg.unhold();
    expect(a.leg.active).toBe(true);
  });

  it('the partner of a bridged leg that hangs up stays up', async () => {
    rig = await startRig();
    const a = await answeredCall(rig);
    const b = await answeredCall(rig);
    await a.leg.bridge(b.leg);
    dialogOf(a.leg).remoteBye();
    await a.leg.ended;
    expect(b.leg.active).toBe(true);
    await b.leg.unbridge(); // nothing bridged any more: no command
    expect(b.ep.log.some((l) => l.startsWith('api uuid_transfer'))).toBe(false);
  });
});
