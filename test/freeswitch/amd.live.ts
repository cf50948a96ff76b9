/**
 * Answering-machine detection on calls out through the freeswitch backend, against live drachtio-server
 * + FreeSWITCH: `POST /calls` dials a baresip callee through drachtio-server, FreeSWITCH carries the
 * media, and the call layer hears the callee through the leg's listen tap (mod_audio_fork). The callee
 * plays generated audio (espeak-ng through G.711, test/helpers/amd-corpus.ts) as its microphone and
 * records what it sends and hears (sndfile), as in the embedded backend's
 * test/e2e/calls/answering-machine-detection.test.ts: "Hello?" gets `human` and the agent speaks; a
 * greeting with a 1 kHz beep gets `machine`, then `machine-ready`, and the voicemail drop begins in the
 * callee's recording after the beep; silence gets `silence` and a hang-up. Each call's `answered_at` is
 * the time of the callee's 200 OK: after the callee made its SDP answer, before it saw our ACK.
 *
 * FreeSWITCH plays the cached speech from the server's data folder, so that folder lies inside the
 * shared one. Skipped, like the other live files, when DRACHTIO_* / FREESWITCH_* are not set.
 * Port block: 60100-60199 (baresip callee 60100, its RTP 60110-60149, admin API 60190).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amdCorpusSubset, type AmdSample } from '../helpers/amd-corpus.js';
import { RATE, readWav8kMono, wavBytes } from '../helpers/audio.js';
import { Baresip } from '../helpers/baresip.js';
import { firstSoundMs, soundMs } from '../helpers/sound-frames.js';
import { startAcceptanceServer, type AcceptanceServer } from '../e2e/calls/acceptance/acceptance-server.js';
import { freeswitchBackend } from './live-backend.js';
import { liveEnv } from './live-env.js';

const env = liveEnv();
const BASE = 60100;
const CALLEE_PORT = BASE;
const USED = ['machine-beep-1000', 'human-hello', 'silence'];

describe.skipIf(!env)('answering-machine detection on the freeswitch backend against live daemons', () => {
  let app: AcceptanceServer;
  const samples = new Map<string, AmdSample>();
  const wavs = new Map<string, string>();
  let callee: Baresip | undefined;

  beforeAll(async () => {
    app = await startAcceptanceServer(BASE, {}, freeswitchBackend(env!));
    for (const s of amdCorpusSubset(app.dir)) {
      if (!USED.includes(s.name)) continue;
      samples.set(s.name, s);
      // The callee's microphone: the sample, then silence (baresip's file source must not run out).
      const padded = new Int16Array(s.samples.length + RATE * 10);
      padded.set(s.samples);
      const wav = path.join(app.dir, `${s.name}.wav`);
      writeFileSync(wav, wavBytes(padded));
      wavs.set(s.name, wav);
    }
    const id = await app.setupAgent({
      name: 'caller',
      steps: [{ say: 'Hello, this is the dental office.' }],
    });
    const patched = await app.api('PATCH', `/agents/${id}`, {
      amd: {
        enabled: true,
        voicemail_drop: 'Hi {{ data.name }}, this is the dental office. Please call us back.',
      },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  }, 90_000);

  afterEach(async () => {
    await callee?.stop();
    callee = undefined;
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** Calls a baresip callee playing `sample`; resolves with the ended call, its events and the callee's recordings. */
  async function callCallee(sample: string, extra: Record<string, unknown> = {}) {
    callee = new Baresip({ sipPort: CALLEE_PORT, sourceWav: wavs.get(sample)!, user: 'callee' });
    await callee.start();
    const placed = await app.api('POST', '/calls', {
      agent: 'caller',
      to: callee.uri,
      variables: { name: 'Sam' },
      ...extra,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    const callId = String(placed.body.call_id);
    const call = await app.callWhen(callId, (c) => c.state === 'ended', 45_000);
    await callee.waitFor('CALL_CLOSED', 15_000);
    const events = await app.events(callId);
    const recording = (kind: 'enc' | 'dec'): Int16Array => {
      const file = callee!.recordings().find((f) => path.basename(f).includes(kind));
      if (!file) throw new Error(`baresip recorded ${callee!.recordings().join(', ')}:\n${callee!.log}`);
      return readWav8kMono(file);
    };
    // The callee auto-answers: it makes its SDP answer and sends it in the 200 OK at once; it is
    // established when our ACK arrives.
    const incoming = (await callee.waitFor('CALL_LOCAL_SDP')).receivedAt!;
    const established = (await callee.waitFor('CALL_ESTABLISHED')).receivedAt!;
    return { callId, call, events, incoming, established, sent: recording('enc'), heard: recording('dec') };
  }

  /** answered_at lies between the callee's 200 OK and our ACK: the 200 OK's time, not a later one. */
  function expectAnsweredAtThe200Ok(answeredAt: string | null, incoming: number, established: number): void {
    expect(answeredAt).toBeTruthy();
    const at = Date.parse(answeredAt!);
    // ctrl_tcp events reach this process a few ms after baresip acted; ISO times are whole ms.
    expect(at).toBeGreaterThanOrEqual(incoming - 50);
    expect(at).toBeLessThanOrEqual(established);
  }

  it('"Hello?": human, and the agent speaks to the person after the decision', async () => {
    const { call, events, heard, incoming, established } = await callCallee('human-hello');
    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd.map((d) => d.outcome)).toEqual(['human']);
    const types = events.map((e) => e.type);
    const agentLine = types.findIndex((t, i) => t === 'transcript' && events[i]!.data.speaker === 'agent');
    expect(agentLine).toBeGreaterThan(types.indexOf('amd'));
    expect(call).toMatchObject({ amd: { outcome: 'human' }, outcome: 'completed' });
    expect(['machine', 'voicemail-left', 'silence', 'fax', 'uncertain']).not.toContain(call.call_disposition);
    expectAnsweredAtThe200Ok(call.answered_at, incoming, established);
    // The person heard the agent: its speech begins once AMD has decided (after the hello and a pause).
    const decisionMs = (amd[0]!.evidence as { decisionMs: number }).decisionMs;
    const spokeAt = firstSoundMs(heard);
    console.log(`human: decided at ${decisionMs} ms, the agent was heard from ${spokeAt} ms`);
    expect(spokeAt).toBeGreaterThanOrEqual(decisionMs);
    expect(soundMs(heard)).toBeGreaterThan(800);
  }, 80_000);

  it('a greeting with a 1 kHz beep: machine, then machine-ready; the voicemail drop plays after the beep', async () => {
    const sample = samples.get('machine-beep-1000')!;
    const { call, events, sent, heard, incoming, established } = await callCallee('machine-beep-1000');
    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd.map((d) => d.outcome)).toEqual(['machine', 'machine-ready']);
    expect(amd[1]).toMatchObject({ reason: 'beep', evidence: { beep: { hz: expect.any(Number) } } });
    const beep = (amd[1]!.evidence as { beep: { hz: number } }).beep;
    expect(Math.abs(beep.hz - 1000)).toBeLessThan(20);
    expect(call).toMatchObject({
      call_disposition: 'voicemail-left',
      amd: { outcome: 'machine-ready', reason: 'beep' },
      hangup_by: 'agent',
    });
    expectAnsweredAtThe200Ok(call.answered_at, incoming, established);
    const drop = events.find((e) => e.type === 'transcript' && e.data.speaker === 'agent');
    expect(drop?.data.text).toBe('Hi Sam, this is the dental office. Please call us back.');

    // The callee's recordings both start with the call: the beep where the sample has it in what it
    // sent, and our message, in what it heard, after the beep's end (not over the greeting).
    expect(firstSoundMs(sent, sample.beep!.startMs)).toBeLessThanOrEqual(sample.beep!.startMs + 40);
    const messageAt = firstSoundMs(heard);
    console.log(
      `voicemail drop: beep ended at ${sample.beep!.endMs} ms, the message began at ${messageAt} ms`,
    );
    expect(messageAt).toBeGreaterThanOrEqual(sample.beep!.endMs);
    expect(soundMs(heard)).toBeGreaterThan(1500);
  }, 80_000);

  it('silence: silence, and a hang-up without a word', async () => {
    const { call, events, heard, incoming, established } = await callCallee('silence', {
      amd: { initial_silence_ms: 1500 },
    });
    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd).toEqual([expect.objectContaining({ outcome: 'silence', reason: 'initial-silence' })]);
    expect((amd[0]!.evidence as { decisionMs: number }).decisionMs).toBe(1500);
    expect(call).toMatchObject({
      call_disposition: 'silence',
      amd: { outcome: 'silence' },
      hangup_by: 'agent',
    });
    expectAnsweredAtThe200Ok(call.answered_at, incoming, established);
    expect(events.some((e) => e.type === 'transcript')).toBe(false);
    expect(soundMs(heard)).toBe(0);
  }, 80_000);
});
