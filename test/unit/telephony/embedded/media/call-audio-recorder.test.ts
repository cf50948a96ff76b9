import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallAudioRecorder } from '../../../../../src/telephony/embedded/media/call-audio-recorder.js';
import { tempDir } from '../../../../helpers/temp.js';

const frame = (value: number): Int16Array => new Int16Array(160).fill(value);
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function open(): { file: string; rec: CallAudioRecorder; ended: () => boolean } {
  const t = tempDir('call-audio-');
  cleanup = t.cleanup;
  let ended = false;
  const file = path.join(t.dir, 'call.wav');
  return { file, rec: new CallAudioRecorder(file, () => (ended = true)), ended: () => ended };
}

describe('whole-call recorder (two-channel WAV written as the call goes)', () => {
  it('interleaves received (left) and sent (right) frames, silence where nothing was sent', async () => {
    const { file, rec } = open();
    for (let i = 0; i < 30; i++) rec.frame(frame(1000), i % 2 ? frame(-2000) : null);
    const result = await rec.stop();
    expect(result).toEqual({
      path: file,
      durationMs: 600,
      pausedMs: 0,
      channels: 2,
      sampleRate: 8000,
      reason: 'stopped',
    });
    const wav = readFileSync(file);
    expect(wav.length).toBe(44 + 30 * 160 * 4);
    expect(wav.readUInt16LE(22)).toBe(2);
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.readUInt32LE(28)).toBe(32000);
    expect(wav.readUInt32LE(40)).toBe(30 * 160 * 4);
    expect(wav.readUInt32LE(4)).toBe(36 + 30 * 160 * 4);
    expect([wav.readInt16LE(44), wav.readInt16LE(46)]).toEqual([1000, 0]);
    const second = 44 + 160 * 4;
    expect([wav.readInt16LE(second), wav.readInt16LE(second + 2)]).toEqual([1000, -2000]);
  });

  it('writes silence in both channels while paused, keeping the timeline', async () => {
    const { file, rec } = open();
    for (let i = 0; i < 5; i++) rec.frame(frame(500), frame(700));
    rec.pause();
    for (let i = 0; i < 10; i++) rec.frame(frame(500), frame(700));
    rec.resume();
    for (let i = 0; i < 5; i++) rec.frame(frame(500), frame(700));
    const result = await rec.stop();
    expect(result.durationMs).toBe(400);
    expect(result.pausedMs).toBe(200);
    const wav = readFileSync(file);
    const sample = (f: number, c: number): number => wav.readInt16LE(44 + f * 640 + 80 * 4 + c * 2);
    expect([sample(4, 0), sample(4, 1)]).toEqual([500, 700]);
    for (let f = 5; f < 15; f++) expect([sample(f, 0), sample(f, 1)]).toEqual([0, 0]);
    expect([sample(15, 0), sample(15, 1)]).toEqual([500, 700]);
  });

  it('ends once: later frames are ignored and stop() gives the same result', async () => {
    const { rec, ended } = open();
    rec.frame(frame(1), frame(2));
    const first = rec.finish('hangup');
    expect(ended()).toBe(true);
    rec.frame(frame(1), frame(2));
    expect(await rec.stop()).toEqual(await first);
    expect((await first).reason).toBe('hangup');
    expect((await first).durationMs).toBe(20);
  });

  it('rejects stop() when the file cannot be opened, naming it', async () => {
    const rec = new CallAudioRecorder('/nonexistent-folder/call.wav', () => undefined);
    rec.frame(frame(1), null);
    await expect(rec.stop()).rejects.toThrow(/nonexistent-folder/);
  });
});
