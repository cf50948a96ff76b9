/**
 * Acceptance flow with real audio: barge-in. The agent starts a long prompt; 2 s in, the caller
 * (baresip playing an espeak-ng recording) starts to speak; in what the caller's softphone recorded,
 * the agent's audio stops within 300 ms of the caller's speech onset, and the stored agent line is cut
 * where it stopped. A prompt marked `barge_in: false` (a disclaimer) plays through the same speech.
 * Run by barge-in.test.ts (embedded).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { rms } from '../../../helpers/audio.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';
import { spokenWav } from './spoken-intent-flow.js';

const PROMPT =
  'Thank you for calling the city library. Our opening hours are from nine in the morning until six in the evening, ' +
  'Monday to Saturday. You can renew your loans online, by phone, or at any branch. Please listen carefully to the following options.';

function readRecording(file: string): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  if ((wav.fmt as { sampleRate: number }).sampleRate !== 8000) wav.toSampleRate(8000);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return Array.isArray(samples) ? (samples[0] as Int16Array) : samples;
}

const WINDOW = 160; // 20 ms
const LEVEL = 300;

/** Start (ms) of the first 20 ms window louder than LEVEL at or after `fromMs`. */
function onsetMs(x: Int16Array, fromMs: number): number {
  for (let at = (fromMs * 8) | 0; at + WINDOW <= x.length; at += WINDOW)
    if (rms(x, at, at + WINDOW) > LEVEL) return at / 8;
  return -1;
}

/** End (ms) of the last loud window before the first stretch of `quietMs` silence at or after `fromMs`. */
function stopMs(x: Int16Array, fromMs: number, quietMs: number): number {
  let lastLoud = fromMs;
  for (let at = (fromMs * 8) | 0; at + WINDOW <= x.length; at += WINDOW) {
    if (rms(x, at, at + WINDOW) > LEVEL) lastLoud = (at + WINDOW) / 8;
    else if (at / 8 - lastLoud >= quietMs) return lastLoud;
  }
  return lastLoud;
}

export function bargeInFlow(options: FlowOptions): void {
  const BASE = options.base;
  describe(`acceptance (${options.label}): caller speech stops the agent (barge-in)`, () => {
    let app: AcceptanceServer;
    let peers: Baresip[] = [];

    beforeAll(async () => {
      app = await startAcceptanceServer(BASE, { speech: { recognizer: 'pocketsphinx' } }, options.backend());
      for (const [name, number, bargeIn] of [
        ['barge', '+14155550401', true],
        ['disclaimer', '+14155550402', false],
      ] as const) {
        await app.setupAgent({
          name,
          number,
          steps: [
            { say: { text: PROMPT, barge_in: bargeIn } },
            { id: 'listen', gather: { input: 'speech', timeout_ms: 30000 } },
            { goto: 'listen' },
          ],
        });
      }
    });
    afterEach(async () => {
      for (const p of peers) await p.stop();
      peers = [];
    });
    afterAll(async () => app?.stop());

    async function call(number: string): Promise<{ callId: string; caller: Baresip }> {
      const wav = spokenWav(app.dir, 'question', 'Excuse me, I have a question about my account', 2, 30);
      const caller = new Baresip({ sipPort: BASE + 10, sourceWav: wav, user: 'caller' });
      peers.push(caller);
      await caller.start();
      const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
      caller.command('dial', `sip:${number}@${app.sipTarget}`);
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      const row = await until(async () =>
        (await app.server.store.calls.list({ limit: 100 })).items.find((c) => !before.has(c.id)),
      );
      return { callId: row.id, caller };
    }

    function recordings(caller: Baresip): { sent: Int16Array; heard: Int16Array } {
      const files = caller.recordings();
      const enc = files.find((f) => path.basename(f).includes('enc'));
      const dec = files.find((f) => path.basename(f).includes('dec'));
      if (!enc || !dec) throw new Error(`baresip recorded ${files.join(', ')}`);
      return { sent: readRecording(enc), heard: readRecording(dec) };
    }

    it('the agent stops within 300 ms of the caller starting to speak; the stored line is cut there', async () => {
      const { callId, caller } = await call('+14155550401');
      await sleep(7000);
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await app.callWhen(callId, (c) => c.state === 'ended');
      await sleep(300);
      const { sent, heard } = recordings(caller);
      const onset = onsetMs(sent, 1000);
      expect(onset, 'caller speech in the sent recording').toBeGreaterThan(1500);
      // The agent was talking when the caller began…
      expect(rms(heard, (onset - 500) * 8, onset * 8), 'agent audio before the onset').toBeGreaterThan(LEVEL);
      // …and went quiet (at least 1 s of silence) soon after.
      const stopped = stopMs(heard, onset, 1000);
      const latency = stopped - onset;
      console.log(`barge-in: caller onset ${onset} ms, agent audio stopped ${stopped} ms: ${latency} ms`);
      expect(latency).toBeLessThan(300);
      const events = await app.events(callId);
      const line = events.find((e) => e.type === 'transcript' && e.data.speaker === 'agent')?.data ?? {};
      expect(line).toMatchObject({ interrupted: 'barge-in', said: PROMPT });
      const text = String(line.text);
      expect(text.endsWith('…')).toBe(true);
      expect(text.length).toBeGreaterThan(5);
      expect(text.length).toBeLessThan(PROMPT.length / 2);
      expect(PROMPT.startsWith(text.slice(0, -1))).toBe(true);
    }, 60_000);

    it('a prompt with barge_in: false plays on through the same speech', async () => {
      const { callId, caller } = await call('+14155550402');
      await sleep(6000);
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await app.callWhen(callId, (c) => c.state === 'ended');
      await sleep(300);
      const { sent, heard } = recordings(caller);
      const onset = onsetMs(sent, 1000);
      expect(onset).toBeGreaterThan(1500);
      // Agent audio continues well after the caller started speaking.
      expect(rms(heard, (onset + 1000) * 8, (onset + 2500) * 8)).toBeGreaterThan(LEVEL);
    }, 60_000);
  });
}
