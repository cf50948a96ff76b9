import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logging/logger.js';
import { createTelephony } from '../../../../src/telephony/index.js';
import { validateConfig, loadConfig } from '../../../../src/config/load.js';
import { answeredCall, startRig, twoServerSettings, waitFor, type Rig } from './harness.js';
import { FakeDrachtio } from './drachtio-fakes.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

describe('freeswitch backend: outbound dial', () => {
  it('INVITEs through the trunk with auth and no SDP, answers the callee offer from an endpoint in the ACK', async () => {
    rig = await startRig();
    const out = await rig.telephony.dial({ target: '+14155550123', headers: { 'X-Job': '7' } });
    expect(out.outcome).toBe('answered');
    const call = rig.fake.srf.uacCalls[0]!;
    expect(call.uri).toBe('sip:+14155550123@203.0.113.5');
    expect(call.opts).toMatchObject({
      noAck: true,
      auth: { username: 'u', password: 'p' },
      callingNumber: '+15550009999',
      headers: { 'X-Job': '7' },
    });
    // No early offer from a 3pcc endpoint (FreeSWITCH would offer SRTP and keep it after the ACK).
    expect(call.opts.localSdp).toBeUndefined();
    const ep = [...rig.fake.mrf.latest('10.0.0.11').endpoints][0]!;
    const dialog = rig.fake.srf.dialogs[0]!;
    expect(ep.remote.sdp).toBe(dialog.remote.sdp);
    expect(dialog.local.sdp).toBe(ep.local.sdp);
    expect(ep.log).not.toContain('modify');
    if (out.outcome === 'answered') {
      expect(out.leg.info).toMatchObject({
        direction: 'outbound',
        trunk: 'carrier',
        headers: { 'x-job': '7' },
      });
      await out.leg.hangup();
      expect(ep.connected).toBe(false);
    }
  });

  it.each([
    [486, 'busy', { outcome: 'busy', status: 486 }],
    [600, 'busy', { outcome: 'busy', status: 600 }],
    [480, 'no-answer', { outcome: 'no-answer', status: 480 }],
    [408, 'no-answer', { outcome: 'no-answer', status: 408 }],
    [404, 'rejected', { outcome: 'rejected', status: 404, reason: 'Not Found' }],
    [503, 'rejected', { outcome: 'rejected', status: 503, reason: 'Service Unavailable' }],
  ])('a final %i is %s and the endpoint is released', async (status, _name, expected) => {
    rig = await startRig();
    const reasons: Record<number, string> = { 404: 'Not Found', 503: 'Service Unavailable' };
    rig.fake.srf.uacScript = () => ({
      kind: 'status',
      status,
      ringFirst: true,
      ...(reasons[status] ? { reason: reasons[status] } : {}),
    });
    expect(await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).toEqual(expected);
    const ms = rig.fake.mrf.latest('10.0.0.11');
    await waitFor(() => ms.endpoints.size === 0);
  });

  it('a 408 before anything rang is timeout, as the embedded backend reports Timer B', async () => {
    rig = await startRig();
    rig.fake.srf.uacScript = () => ({ kind: 'status', status: 408, reason: 'Request Timeout' });
    expect(await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).toEqual({ outcome: 'timeout' });
  });

  it('no answer within the ring timeout: CANCEL, then no-answer with the 487', async () => {
    rig = await startRig();
    rig.fake.srf.uacScript = () => ({ kind: 'ring' });
    const out = await rig.telephony.dial({ target: 'sip:bob@pbx.test', ringTimeoutMs: 50 });
    expect(out).toEqual({ outcome: 'no-answer', status: 487 });
    expect(rig.fake.srf.uacCalls[0]!.req.cancelled).toBe(true);
  });

  it('abort while ringing: CANCEL, then cancelled', async () => {
    rig = await startRig();
    rig.fake.srf.uacScript = () => ({ kind: 'ring' });
    const ctl = new AbortController();
    const out = rig.telephony.dial({ target: 'sip:bob@pbx.test', signal: ctl.signal });
    await waitFor(() => rig!.fake.srf.uacCalls.length === 1);
    ctl.abort();
    expect(await out).toEqual({ outcome: 'cancelled' });
  });

  it('endpoint creation failure is a failed outcome naming the media server; the answered callee is released', async () => {
    rig = await startRig();
    rig.fake.mrf.latest('10.0.0.11').failCreate = 'Connection timeout';
    expect(await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).toEqual({
      outcome: 'failed',
      error: 'media endpoint on fs1: Connection timeout',
    });
    // The endpoint answers the callee's offer, so it is created after the 200 OK: ACK + BYE then.
    expect(rig.fake.srf.uacCalls).toHaveLength(1);
    expect(rig.fake.srf.released).toHaveLength(1);
    expect(rig.fake.srf.released[0]!.byeSent).toBe(true);
    expect(rig.telephony.stats().activeCalls).toBe(0);
  });

  it('bad targets and unknown trunks fail with what is accepted', async () => {
    rig = await startRig();
    expect(await rig.telephony.dial({ target: 'bob' })).toMatchObject({ outcome: 'failed', error: /E.164/ });
    expect(await rig.telephony.dial({ target: '+14155550123', trunk: 'nope' })).toMatchObject({
      outcome: 'failed',
      error: /expected one of carrier/,
    });
  });
});

describe('freeswitch backend: several media servers, reconnects, readiness', () => {
  it('spreads calls over the media servers, least loaded first', async () => {
    rig = await startRig({ settings: twoServerSettings() });
    for (let i = 0; i < 4; i++) await answeredCall(rig);
    expect(rig.fake.mrf.servers.map((s) => s.endpoints.size)).toEqual([2, 2]);
    expect(rig.telephony.stats()).toMatchObject({ activeCalls: 4, 'legs:fs1': 2, 'legs:fs2': 2 });
  });

  it('one media server down: calls go to the other, readiness names it, and it reconnects with back-off', async () => {
    rig = await startRig({ settings: twoServerSettings() });
    const fs1 = rig.fake.mrf.latest('10.0.0.11');
    rig.fake.mrf.reachable.set('10.0.0.11', false);
    fs1.crash();
    expect(fs1.disconnected).toBe(true); // its own modesl retry is stopped; the pool reconnects
    expect(rig.telephony.readiness()).toEqual({
      ready: true,
      detail: 'down: freeswitch fs1 (event socket connection lost)',
    });
    const { ms } = await answeredCall(rig);
    expect(ms.address).toBe('10.0.0.12');
    await waitFor(() => rig!.fake.mrf.connects.filter((c) => c.address === '10.0.0.11').length >= 3);
    expect(rig.telephony.readiness().detail).toMatch(/fs1 \(connect ECONNREFUSED/);
    rig.fake.mrf.reachable.set('10.0.0.11', true);
    await waitFor(() => rig!.telephony.readiness().detail === undefined, 3000);
    expect(rig.telephony.readiness()).toEqual({ ready: true });
  });

  it('every media server down: not ready, and a dial fails without sending an INVITE', async () => {
    rig = await startRig();
    rig.fake.mrf.reachable.set('10.0.0.11', false);
    rig.fake.mrf.latest('10.0.0.11').crash();
    expect(rig.telephony.readiness().ready).toBe(false);
    expect(await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).toEqual({
      outcome: 'failed',
      error: 'no media server is connected',
    });
  });

  it('a media server unreachable at start is retried in the background', async () => {
    rig = await startRig({ prepare: (f) => f.mrf.reachable.set('10.0.0.11', false) });
    expect(rig.telephony.readiness()).toMatchObject({ ready: false, detail: expect.stringMatching(/fs1/) });
    rig.fake.mrf.reachable.set('10.0.0.11', true);
    await waitFor(() => rig!.telephony.readiness().ready, 3000);
  });

  it('drachtio disconnect: not ready, dials fail fast; after the reconnect calls flow again', async () => {
    rig = await startRig();
    expect(rig.fake.srf.connectOpts).toMatchObject({
      host: 'drachtio.test',
      port: 9022,
      secret: 's3cret',
      reconnect: { retryMaxDelay: 1000 },
    });
    const { leg } = await answeredCall(rig);
    rig.fake.srf.drop();
    await waitFor(() => !rig!.telephony.readiness().ready);
    expect(rig.telephony.readiness().detail).toMatch(/drachtio-server drachtio.test:9022/);
    expect(await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).toEqual({
      outcome: 'failed',
      error: 'drachtio-server is not connected',
    });
    expect(leg.active).toBe(true); // media keeps flowing; drachtio-server still holds the dialog
    rig.fake.srf.restore();
    await waitFor(() => rig!.telephony.readiness().ready);
    expect((await rig.telephony.dial({ target: 'sip:bob@pbx.test' })).outcome).toBe('answered');
  });

  it('drachtio unreachable at start: start returns after connect_timeout_ms and readiness says so', async () => {
    rig = await startRig({ prepare: (f) => (f.srf.serverUp = false) });
    expect(rig.telephony.readiness()).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/drachtio-server drachtio.test:9022 \(connect ECONNREFUSED/),
    });
  });

  it('stop hangs up every leg and disconnects', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await rig.telephony.stop();
    expect(await leg.ended).toEqual({ by: 'local', cause: 'shutdown' });
    expect(rig.fake.srf.disconnected).toBe(true);
    expect(rig.fake.mrf.latest('10.0.0.11').disconnected).toBe(true);
    rig = undefined;
  });
});

describe('createTelephony', () => {
  const logger = createLogger({ level: 'silent', redact_pii: true });

  it('refuses the freeswitch backend with empty secrets, naming each key', () => {
    const config = loadConfig({ env: {}, overrides: { telephony: { backend: 'freeswitch' } } });
    expect(() => createTelephony(config, { logger, drachtio: new FakeDrachtio() })).toThrow(
      /freeswitch.drachtio.secret[\s\S]*freeswitch.media_servers/,
    );
  });

  it('takes media servers from the environment as JSON and builds the freeswitch backend', () => {
    const config = loadConfig({
      env: {
        CALLWRIGHT_TELEPHONY_BACKEND: 'freeswitch',
        CALLWRIGHT_FREESWITCH_DRACHTIO_SECRET: 'x',
        CALLWRIGHT_FREESWITCH_MEDIA_SERVERS: '[{"address":"fs","port":8021,"secret":"y"}]',
      },
    });
    expect(config.freeswitch.media_servers[0]).toMatchObject({ address: 'fs', name: '', listen_port: 0 });
    const t = createTelephony(config, { logger, drachtio: new FakeDrachtio() });
    expect(t.name).toBe('freeswitch');
  });

  it('refuses hold music outside the shared folder, naming media.hold_music', () => {
    const base = loadConfig({ env: {} });
    const config = validateConfig({
      ...base,
      telephony: { backend: 'freeswitch' },
      media: { ...base.media, hold_music: '/opt/music.wav' },
      freeswitch: {
        ...base.freeswitch,
        drachtio: { ...base.freeswitch.drachtio, secret: 'x' },
        media_servers: [{ address: 'fs', port: 8021, secret: 'y' }],
      },
    });
    expect(() => createTelephony(config, { logger, drachtio: new FakeDrachtio() })).toThrow(
      /media.hold_music/,
    );
  });
});
