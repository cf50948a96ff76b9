import { describe, expect, it, vi } from 'vitest';
import { ReferTracker } from '../../../../src/telephony/embedded/refer-tracker.js';
import { parseSipMessage } from '../../../../src/telephony/embedded/sip/sip-parser.js';
import type { SipRequest } from '../../../../src/telephony/embedded/sip/sip-message.js';
import { TimerRegistry } from '../../../../src/telephony/embedded/sip/timer-registry.js';

function notify(frag: string, state = 'active'): SipRequest {
  const body = `SIP/2.0 ${frag}\r\n`;
  const text = `NOTIFY sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\nEvent: refer\r\nSubscription-State: ${state}\r\nContent-Type: message/sipfrag\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const r = parseSipMessage(Buffer.from(text));
  if (!('message' in r)) throw new Error(r.error);
  return r.message as SipRequest;
}

describe('ReferTracker (RFC 3515)', () => {
  it('completes on a 2xx sipfrag, reporting each status as progress', async () => {
    const progress: number[] = [];
    const t = new ReferTracker(new TimerRegistry(), 1000, (s) => progress.push(s));
    t.referAnswered({ status: 202, reason: 'Accepted' });
    t.notify(notify('100 Trying'));
    t.notify(notify('200 OK', 'terminated'));
    expect(await t.outcome).toEqual({ outcome: 'completed', status: 200 });
    expect(progress).toEqual([100, 200]);
  });

  it('fails at the refer stage on a non-2xx answer and at the notify stage on a final sipfrag', async () => {
    const a = new ReferTracker(new TimerRegistry(), 1000, () => undefined);
    a.referAnswered({ status: 603, reason: 'Decline' });
    expect(await a.outcome).toEqual({ outcome: 'failed', stage: 'refer', status: 603, reason: 'Decline' });
    const b = new ReferTracker(new TimerRegistry(), 1000, () => undefined);
    b.referAnswered({ status: 202, reason: 'Accepted' });
    b.notify(notify('486 Busy Here', 'terminated'));
    expect(await b.outcome).toEqual({ outcome: 'failed', stage: 'notify', status: 486, reason: 'Busy Here' });
  });

  it('times out without a final NOTIFY, keeping the last status; and when the REFER itself timed out', async () => {
    vi.useFakeTimers();
    const timers = new TimerRegistry();
    const t = new ReferTracker(timers, 1000, () => undefined);
    t.referAnswered({ status: 202, reason: 'Accepted' });
    t.notify(notify('180 Ringing'));
    vi.advanceTimersByTime(1000);
    expect(await t.outcome).toEqual({ outcome: 'timeout', stage: 'notify', lastStatus: 180 });
    expect(timers.size).toBe(0);
    vi.useRealTimers();
    const r = new ReferTracker(new TimerRegistry(), 1000, () => undefined);
    r.referAnswered('timeout');
    expect(await r.outcome).toEqual({ outcome: 'timeout', stage: 'refer' });
  });
});

describe('ReferTracker follows the shared REFER rule', () => {
  it('a REFER answered 408 is a timeout at the refer stage, as on the freeswitch backend', async () => {
    const t = new ReferTracker(new TimerRegistry(), 1000, () => undefined);
    t.referAnswered({ status: 408, reason: 'Request Timeout' });
    expect(await t.outcome).toEqual({ outcome: 'timeout', stage: 'refer' });
  });

  it('a leg ending after the REFER was accepted is a timeout at the notify stage', async () => {
    const t = new ReferTracker(new TimerRegistry(), 1000, () => undefined);
    t.referAnswered({ status: 202, reason: 'Accepted' });
    t.cancel();
    expect(await t.outcome).toEqual({ outcome: 'timeout', stage: 'notify' });
  });
});
