/**
 * The SIP rules the freeswitch backend now shares with the embedded one (src/telephony/sip/), seen
 * through the backend: trunk matching by IPv6 range, E.164 Request-URIs, allow_refer, INFO DTMF
 * bodies and digit strings with pauses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SipTrunkSettings } from '../../../../src/config/schema.js';
import type { DtmfEvent, InboundCall } from '../../../../src/telephony/port.js';
import { answeredCall, dialogOf, startRig, TRUNKS, waitFor, type Rig } from './harness.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

const carrier = TRUNKS[0] as SipTrunkSettings;
const trunk = (overrides: Partial<SipTrunkSettings>): SipTrunkSettings => ({ ...carrier, ...overrides });

describe('freeswitch backend: shared SIP rules', () => {
  it('an inbound call from an IPv6 address in a trunk inbound_allow range carries that trunk', async () => {
    rig = await startRig({ trunks: [trunk({ inbound_allow: ['2001:db8:5::/48'] })] });
    rig.fake.srf.incoming({ source: '2001:db8:5::77' });
    await waitFor(() => rig!.calls.length > 0);
    expect((rig.calls[0] as InboundCall).info.trunk).toBe('carrier');
  });

  it('refuses a malformed inbound_allow entry at start, naming the field, as the embedded backend does', async () => {
    await expect(startRig({ trunks: [trunk({ inbound_allow: ['10.0.0.0/33'] })] })).rejects.toThrow(
      'sip.trunks[0].inbound_allow[0]: got "10.0.0.0/33", expected an IP address or CIDR',
    );
  });

  it.each([
    [{ port: 5060 }, 'sip:+14155550123@203.0.113.5'],
    [{ port: 5070 }, 'sip:+14155550123@203.0.113.5:5070'],
    [{ port: 5060, transport: 'tcp' as const }, 'sip:+14155550123@203.0.113.5;transport=tcp'],
    [{ host: '2001:db8::5', port: 5060 }, 'sip:+14155550123@[2001:db8::5]'],
  ])('dials +14155550123 on a trunk %j as %s', async (overrides, uri) => {
    rig = await startRig({ trunks: [trunk(overrides)] });
    await rig.telephony.dial({ target: '+14155550123' });
    expect(rig.fake.srf.uacCalls[0]?.uri).toBe(uri);
  });

  it('refer() on a leg whose trunk has allow_refer: false is refused without sending a REFER', async () => {
    rig = await startRig({ trunks: [trunk({ allow_refer: false })] });
    const { leg } = await answeredCall(rig);
    expect(leg.info.trunk).toBe('carrier');
    expect(await leg.refer('sip:agent@pbx.test')).toEqual({
      outcome: 'refused',
      reason: 'trunk-disallows-refer',
      trunk: 'carrier',
    });
    expect(dialogOf(leg).requests.filter((r) => r.method === 'REFER')).toEqual([]);
  });

  it('an outbound leg through a trunk with allow_refer: false is refused too', async () => {
    rig = await startRig({ trunks: [trunk({ allow_refer: false })] });
    const out = await rig.telephony.dial({ target: '+14155550123' });
    if (out.outcome !== 'answered') throw new Error(JSON.stringify(out));
    expect(await out.leg.refer('sip:agent@pbx.test')).toMatchObject({ outcome: 'refused' });
  });

  it('reports INFO application/dtmf digits and Signal=10 as *, and answers other bodies 415', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    const digits: DtmfEvent[] = [];
    leg.on('dtmf', (d) => digits.push(d));
    expect((await dialog.remoteInfo('7', 'application/dtmf')).finalStatus).toBe(200);
    expect((await dialog.remoteInfo('Signal=10\r\nDuration=90\r\n')).finalStatus).toBe(200);
    const other = await dialog.remoteInfo('<xml/>', 'application/media_control+xml');
    expect(other.sent).toEqual([
      { status: 415, opts: { headers: { Accept: 'application/dtmf-relay, application/dtmf' } } },
    ]);
    expect(digits).toEqual([
      { digit: '7', method: 'info' },
      { digit: '*', method: 'info', durationMs: 90 },
    ]);
  });

  it('sends INFO digits with w/W pauses between them', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    const started = Date.now();
    await leg.sendDtmf('1w2', { method: 'info', durationMs: 40 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(dialog.requests.map((r) => r.body)).toEqual([
      'Signal=1\r\nDuration=40\r\n',
      'Signal=2\r\nDuration=40\r\n',
    ]);
  });

  it('refuses a bad digit string with the same VALIDATION error as the embedded backend', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await expect(leg.sendDtmf('12x')).rejects.toMatchObject({
      code: 'VALIDATION',
      message:
        'digits: got "12x", "x" is not allowed; expected digits 0-9, A-D, * and #, with w (500 ms) and W (1 s) pauses',
    });
  });
});
