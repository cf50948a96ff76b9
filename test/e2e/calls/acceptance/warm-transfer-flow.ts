/**
 * Acceptance flow, through the real server (startServer on a given backend, admin API, scripted agent,
 * call session): warm transfer between two baresip peers that record both directions. The target hears
 * the whisper and the caller does not; after the bridge each hears the other; a target that declines (2)
 * sends the caller back to the agent, whose script goes on. Run by warm-transfer.test.ts (embedded) and
 * test/freeswitch/call-flows.live.ts (live drachtio-server + FreeSWITCH), each in its own port block.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { rms, tone, writeWav } from '../../../helpers/audio.js';
import { bestCorrelation, toneShare } from '../../telephony/audio-analysis.js';
import { createSpeechSynthesizer } from '../../../../src/speech/index.js';
import { decodeWav } from '../../../../src/telephony/embedded/media/index.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';

const WHISPER = 'Incoming transfer. The caller needs help with a wrong invoice.';
const CALLER_HZ = 440;
const TARGET_HZ = 1300;
const BACK_HZ = 900;

/** A WAV baresip recorded, as 8 kHz mono samples. */
function readRecording(file: string): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  if ((wav.fmt as { sampleRate: number }).sampleRate !== 8000) wav.toSampleRate(8000);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return Array.isArray(samples) ? (samples[0] as Int16Array) : samples;
}

/** What a peer received (sndfile's …-dec.wav). */
function received(peer: Baresip): Int16Array {
  const file = peer.recordings().find((f) => path.basename(f).includes('dec'));
  if (!file) throw new Error(`baresip recorded nothing received: ${peer.recordings().join(', ')}`);
  return readRecording(file);
}

/** Share of the energy at `hz` in samples `from`..`to` (Goertzel). */
function toneShareIn(x: Int16Array, from: number, to: number, hz: number): number {
  return toneShare(x.subarray(Math.max(0, from), to), hz);
}

/** Best tone share over sliding 1 s windows: the tone is there somewhere in the recording. */
function bestToneShare(x: Int16Array, hz: number): number {
  let best = 0;
  for (let at = 0; at + 8000 <= x.length; at += 2000)
    best = Math.max(best, toneShareIn(x, at, at + 8000, hz));
  return best;
}

/** The loudest half second of the whisper, the part most worth looking for. */
function whisperSlice(whisper: Int16Array): Int16Array {
  let bestAt = 0;
  let bestEnergy = -1;
  for (let at = 0; at + 4000 <= whisper.length; at += 400) {
    const e = rms(whisper, at, at + 4000);
    if (e > bestEnergy) [bestEnergy, bestAt] = [e, at];
  }
  return whisper.slice(bestAt, bestAt + 4000);
}

/** The warm-transfer acceptance tests on `options.backend`, peers and API in the block at `options.base`. */
export function warmTransferFlow(options: FlowOptions): void {
  const BASE = options.base;
  describe(`acceptance (${options.label}): warm transfer through the real server with baresip`, () => {
    let app: AcceptanceServer;
    let whisper: Int16Array;
    let peers: Baresip[] = [];
    let agentId = '';

    beforeAll(async () => {
      app = await startAcceptanceServer(BASE, {}, options.backend());
      const dir = app.dir;
      writeWav(path.join(dir, 'caller.wav'), tone(8000, 60, CALLER_HZ, 0.3), { sampleRate: 8000 });
      writeWav(path.join(dir, 'target.wav'), tone(8000, 60, TARGET_HZ, 0.3), { sampleRate: 8000 });
      writeWav(path.join(dir, 'back.wav'), tone(8000, 2, BACK_HZ, 0.3), { sampleRate: 8000 });
      agentId = await app.setupAgent({
        name: 'warm',
        number: '+14155550201',
        targets: { desk: { type: 'sip', uri: `sip:desk@127.0.0.1:${BASE + 60}` } },
        steps: [
          { id: 'menu', gather: { input: 'dtmf', max_digits: 1, timeout_ms: 20000, into: 'choice' } },
          { branch: [{ dtmf: '1', goto: 'transfer' }] },
          { hangup: true },
          { id: 'transfer', action: { name: 'warm_desk', on_failure: 'back' } },
          { hangup: true },
          // Back with the agent: a tone the caller's recording must contain, then the menu again.
          { id: 'back', play: path.join(dir, 'back.wav') },
          { goto: 'menu' },
        ],
        actions: [
          {
            name: 'warm_desk',
            type: 'warm-transfer',
            config: {
              target: 'desk',
              whisper: WHISPER,
              confirm: true,
              confirm_timeout_ms: 15000,
              ring_timeout_ms: 10000,
              disposition: 'warm-transferred',
            },
          },
        ],
        attachments: [{ action: 'warm_desk', stage: 'during', triggers: [{ kind: 'tool' }] }],
      });
      const speech = createSpeechSynthesizer(app.server.config.speech, app.dir);
      whisper = decodeWav(readFileSync(await speech.synthesize({ text: WHISPER })));
    });
    afterEach(async () => {
      for (const p of peers) await p.stop();
      peers = [];
    });
    afterAll(async () => app?.stop());

    /** Caller dials the agent and presses 1; the target answers, hears the whisper and the question. */
    async function callAndTransfer(
      targetKey: '1' | '2',
    ): Promise<{ callId: string; caller: Baresip; target: Baresip }> {
      const caller = new Baresip({
        sipPort: BASE + 10,
        sourceWav: path.join(app.dir, 'caller.wav'),
        user: 'caller',
      });
      const target = new Baresip({
        sipPort: BASE + 60,
        sourceWav: path.join(app.dir, 'target.wav'),
        user: 'desk',
      });
      peers = [caller, target];
      await caller.start();
      await target.start();
      const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
      caller.command('dial', `sip:+14155550201@${app.sipTarget}`);
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      const call = await until(async () =>
        (await app.server.store.calls.list({ limit: 100 })).items.find(
          (c) => !before.has(c.id) && c.state === 'answered',
        ),
      );
      await sleep(500);
      caller.command('sndcode', '1');
      await target.waitFor('CALL_ESTABLISHED', 15_000);
      // The question follows the whisper; answer once both have been heard.
      await sleep((whisper.length / 8000) * 1000 + 3000);
      target.command('sndcode', targetKey);
      return { callId: call.id, caller, target };
    }

    it('the target hears the whisper, the caller does not; once accepted (1) both hear each other', async () => {
      const { callId, caller, target } = await callAndTransfer('1');
      const row = await app.callWhen(callId, (c) => c.state === 'handed-off');
      expect(row).toMatchObject({
        agent_id: agentId,
        call_disposition: 'warm-transferred',
        transfer: { kind: 'warm', result: 'connected', confirmed: true },
      });
      await sleep(3000);
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      // The agent has left: the caller's hang-up ends the target's call too.
      await target.waitFor('CALL_CLOSED', 10_000);
      await sleep(300);
      const ended = await app.callWhen(callId, (c) => c.state === 'ended');
      expect(ended).toMatchObject({ outcome: 'transferred', hangup_by: 'caller' });
      const runs = await app.runs(callId);
      expect(runs.map((r) => [r.action_type, r.status])).toEqual([['warm-transfer', 'succeeded']]);
      expect(runs[0]?.outputs).toMatchObject({ whisper: { played: true, text: WHISPER } });

      const atCaller = received(caller);
      const atTarget = received(target);
      const slice = whisperSlice(whisper);
      const whisperAtTarget = bestCorrelation(atTarget, slice, 2).score;
      const whisperAtCaller = bestCorrelation(atCaller, slice, 2).score;
      expect(whisperAtTarget, 'whisper in the target recording').toBeGreaterThan(0.6);
      expect(whisperAtCaller, 'whisper in the caller recording').toBeLessThan(0.3);
      // The last 1.5 s before the hang-up (bridged): each hears the other's tone.
      const end = (x: Int16Array) => [x.length - 12000 - 2400, x.length - 2400] as const;
      expect(toneShareIn(atCaller, ...end(atCaller), TARGET_HZ), 'target tone at the caller').toBeGreaterThan(
        0.5,
      );
      expect(toneShareIn(atTarget, ...end(atTarget), CALLER_HZ), 'caller tone at the target').toBeGreaterThan(
        0.5,
      );
      console.log(
        `warm transfer: whisper correlation target ${whisperAtTarget.toFixed(2)} caller ${whisperAtCaller.toFixed(2)}`,
      );
    }, 90_000);

    it('a target that declines (2) is released and the caller is back with the agent, whose script goes on', async () => {
      const { callId, caller, target } = await callAndTransfer('2');
      await target.waitFor('CALL_CLOSED', 10_000);
      const row = await app.callWhen(
        callId,
        (c) => (c.transfer as { result?: string } | null)?.result === 'failed',
      );
      expect(row).toMatchObject({
        state: 'answered',
        call_disposition: null,
        transfer: { kind: 'warm', result: 'failed', reason: 'declined', confirmed: false },
      });
      // The script's on_failure step plays the "back" tone, then gathers again.
      await until(async () => (await app.events(callId)).some((e) => e.type === 'play'));
      await sleep(2500);
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await sleep(300);
      const ended = await app.callWhen(callId, (c) => c.state === 'ended');
      expect(ended).toMatchObject({ outcome: 'completed', hangup_by: 'caller' });
      const runs = await app.runs(callId);
      expect(runs.map((r) => [r.action_type, r.status])).toEqual([['warm-transfer', 'failed']]);
      expect(runs[0]?.error).toMatch(/^TRANSFER_FAILED: warm transfer to desk .* failed: declined$/);
      expect(
        bestToneShare(received(caller), BACK_HZ),
        'the agent heard again after the decline',
      ).toBeGreaterThan(0.5);
    }, 90_000);
  });
}
