import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LegEndedError, type DtmfEvent, type HangupEvent } from '../../../../src/telephony/port.js';
import {
  answeredCall,
  dialogOf,
  settings,
  startRig,
  twoServerSettings,
  waitFor,
  type Rig,
} from './harness.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

describe('freeswitch call leg: media', () => {
  it('plays a shared-folder file by its FreeSWITCH path and completes', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const file = path.join(rig.settings.shared_dir.local, 'prompts', 'hello.wav');
    const out = await leg.play({ kind: 'file', path: file });
    expect(out.status).toBe('completed');
    expect(ep.log).toContain('playback /fs/shared/prompts/hello.wav');
  });

  it('refuses files outside the shared folder, naming the folder', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await expect(leg.play({ kind: 'file', path: '/etc/passwd' })).rejects.toThrow(
      /freeswitch.shared_dir.local/,
    );
  });

  it('plays speech through the injected synthesizer, and tones and silence as FreeSWITCH streams', async () => {
    const texts: string[] = [];
    const s = settings();
    rig = await startRig({
      settings: s,
      speech: {
        provider: 'fake',
        synthesize: async ({ text }) => {
          texts.push(text);
          return path.join(s.shared_dir.local, 'tts', 'abc.wav');
        },
      },
    });
    const { leg, ep } = await answeredCall(rig);
    await leg.play({ kind: 'speech', text: 'Welcome' });
    await leg.play({ kind: 'tone', frequencies: [350, 440], durationMs: 3000, onMs: 1000, offMs: 500 });
    await leg.play({ kind: 'silence', durationMs: 250 });
    expect(texts).toEqual(['Welcome']);
    expect(ep.log).toEqual(
      expect.arrayContaining([
        'playback /fs/shared/tts/abc.wav',
        'playback tone_stream://L=2;%(1000,500,350,440)',
        'playback silence_stream://250',
      ]),
    );
  });

  it('stopPlayback breaks the playback with uuid_break and reports interrupted', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const playing = leg.play({ kind: 'silence', durationMs: 60_000 });
    await waitFor(() => ep.pending?.app === 'playback');
    leg.stopPlayback();
    expect((await playing).status).toBe('interrupted');
    expect(ep.log).toContain(`api uuid_break ${ep.uuid} all`);
  });

  it('a caller digit interrupts a play with interruptOnDtmf and is still reported', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const digits: DtmfEvent[] = [];
    leg.on('dtmf', (d) => digits.push(d));
    const playing = leg.play({ kind: 'silence', durationMs: 60_000 }, { interruptOnDtmf: true });
    await waitFor(() => ep.pending?.app === 'playback');
    ep.pressDigit('5');
    expect(await playing).toMatchObject({ status: 'interrupted', digit: '5' });
    expect(digits).toEqual([{ digit: '5', method: 'rfc4733', durationMs: 200 }]);
  });

  it('a play in progress resolves hangup when the caller hangs up', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const playing = leg.play({ kind: 'silence', durationMs: 60_000 });
    await waitFor(() => ep.pending?.app === 'playback');
    dialogOf(leg).remoteBye();
    expect((await playing).status).toBe('hangup');
  });

  it('records to the shared folder, ending on the terminator digit', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const file = path.join(rig.settings.shared_dir.local, 'rec', 'vm.wav');
    mkdirSync(path.dirname(file), { recursive: true });
    const rec = leg.record({ path: file, maxDurationMs: 60_000, silenceTimeoutMs: 3000, endOnDtmf: '#' });
    await waitFor(() => ep.pending?.app === 'record');
    expect(ep.log).toContain('set playback_terminators=#');
    expect(ep.log).toContain('record /fs/shared/rec/vm.wav 60 200 3');
    ep.pressDigit('#');
    expect(await rec).toMatchObject({ reason: 'dtmf', digit: '#', path: file });
    expect(ep.vars.playback_terminators).toBe('none');
  });

  it('a record ends as stopped on abort, as silence before the limit, and as hangup', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const file = path.join(rig.settings.shared_dir.local, 'r.wav');
    const ctl = new AbortController();
    const stopped = leg.record({ path: file, maxDurationMs: 10_000, signal: ctl.signal, beep: true });
    await waitFor(() => ep.pending?.app === 'record');
    expect(ep.log).toContain('playback tone_stream://%(400,0,800)');
    ctl.abort();
    expect((await stopped).reason).toBe('stopped');

    ep.recordEndsAfterMs = 20;
    expect((await leg.record({ path: file, maxDurationMs: 10_000, silenceTimeoutMs: 2000 })).reason).toBe(
      'silence',
    );
    expect((await leg.record({ path: file, maxDurationMs: 1000 })).reason).toBe('max-duration');

    ep.recordEndsAfterMs = undefined;
    const rec = leg.record({ path: file, maxDurationMs: 10_000 });
    await waitFor(() => ep.pending?.app === 'record');
    ep.socketLost();
    expect((await rec).reason).toBe('hangup');
  });
});

describe('freeswitch call leg: DTMF', () => {
  it('sends RFC 4733 digits with uuid_send_dtmf, which does not queue behind a playback', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    await leg.sendDtmf('12#w3', { durationMs: 120 });
    expect(ep.log).toContain(`api uuid_send_dtmf ${ep.uuid} 12#w3@120`);
    await expect(leg.sendDtmf('12x')).rejects.toThrow(/0-9, A-D/);
  });

  it('sends SIP INFO dtmf-relay per digit when asked or when the trunk says so', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    await leg.sendDtmf('4*', { method: 'info', durationMs: 160 });
    expect(dialog.requests.map((r) => [r.method, r.headers?.['Content-Type'], r.body])).toEqual([
      ['INFO', 'application/dtmf-relay', 'Signal=4\r\nDuration=160\r\n'],
      ['INFO', 'application/dtmf-relay', 'Signal=*\r\nDuration=160\r\n'],
    ]);
    dialog.responder = () => ({ status: 415 });
    await expect(leg.sendDtmf('1', { method: 'info' })).rejects.toThrow(/415/);
  });

  it('reports digits from INFO requests of the far end', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    const digits: DtmfEvent[] = [];
    leg.on('dtmf', (d) => digits.push(d));
    const res = await dialog.remoteInfo('Signal=11\r\nDuration=250\r\n');
    expect(res.finalStatus).toBe(200);
    expect(digits).toEqual([{ digit: '#', method: 'info', durationMs: 250 }]);
  });
});

describe('freeswitch call leg: hang-up and media loss', () => {
  it('local hangup sends BYE, releases the endpoint and reports once', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    const events: HangupEvent[] = [];
    leg.on('hangup', (e) => events.push(e));
    await leg.hangup();
    await leg.hangup();
    expect(dialog.byeSent).toBe(true);
    expect(ep.connected).toBe(false);
    expect(events).toEqual([{ by: 'local', cause: 'normal' }]);
    expect(await leg.ended).toEqual({ by: 'local', cause: 'normal' });
    expect(rig.telephony.stats().activeCalls).toBe(0);
    await expect(leg.play({ kind: 'silence', durationMs: 10 })).rejects.toBeInstanceOf(LegEndedError);
  });

  it('remote BYE releases the endpoint without sending BYE back', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    dialog.remoteBye();
    expect(await leg.ended).toEqual({ by: 'remote', cause: 'normal' });
    await waitFor(() => !ep.connected);
    expect(dialog.byeSent).toBe(false);
    expect(leg.active).toBe(false);
  });

  it('media server lost mid-call with no other server: the caller gets BYE, cause error', async () => {
    rig = await startRig();
    const { leg, ms } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    ms.crash();
    expect(await leg.ended).toEqual({ by: 'local', cause: 'error' });
    expect(dialog.byeSent).toBe(true);
  });

  it('media server lost mid-call with another up: the leg is re-INVITEd onto it and stays up', async () => {
    rig = await startRig({
      settings: twoServerSettings(),
    });
    const { leg, ms } = await answeredCall(rig);
    const dialog = dialogOf(leg);
    const other = rig.fake.mrf.servers.find((s) => s !== ms)!;
    ms.crash();
    await waitFor(() => dialog.modifiedWith.length === 1);
    const moved = [...other.endpoints][0]!;
    expect(dialog.modifiedWith[0]).toBe(moved.local.sdp);
    expect(moved.remote.sdp).toBe(dialog.remote.sdp);
    expect(leg.active).toBe(true);
    await leg.play({ kind: 'silence', durationMs: 10 });
    expect(moved.log).toContain('playback silence_stream://10');
  });
});
