import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../helpers/temp.js';
import {
  chirp,
  median,
  readWav8kMono,
  segmentCorrelations,
  toInt16,
  writeWav,
} from '../../../../helpers/audio.js';
import { connectedPair, loopbackEngine } from './media-helpers.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';

// RTP ports of this file: 25000-25199.
describe('two media sessions over UDP loopback', () => {
  let engine: RtpMediaEngine;
  const tmp = tempDir('callwright-media-');
  beforeAll(() => {
    engine = loopbackEngine(25000, 25199);
  });
  afterAll(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it.concurrent.each([
    { name: '8 kHz 16-bit mono', format: { sampleRate: 8000 } },
    { name: '44.1 kHz 16-bit stereo', format: { sampleRate: 44100, channels: 2 } },
    { name: '16 kHz 24-bit mono', format: { sampleRate: 16000, bitDepth: '24' } },
    { name: '22.05 kHz 32-bit float', format: { sampleRate: 22050, bitDepth: '32f' } },
  ])(
    'a WAV played on one ($name) is recorded on the other, correlating with the source',
    async ({ format }) => {
      const file = path.join(tmp.dir, `src-${format.sampleRate}-${format.bitDepth ?? 16}.wav`);
      writeWav(file, chirp(format.sampleRate, 1.5), format);
      const reference = toInt16(chirp(8000, 1.5));
      const [a, b] = await connectedPair(engine);
      const out = path.join(tmp.dir, `rec-${format.sampleRate}-${format.bitDepth ?? 16}.wav`);
      const recording = b.record({ path: out, maxDurationMs: 2200 });
      const played = await a.play({ kind: 'file', path: file });
      const recorded = await recording;
      a.close();
      b.close();
      expect(played).toEqual({ status: 'completed', durationMs: 1500 });
      expect(recorded.reason).toBe('max-duration');
      expect(recorded.durationMs).toBe(2200);
      const samples = readWav8kMono(out);
      // Per 250 ms segment: robust to a scheduler stall on a busy machine shifting the lag (see helper).
      expect(median(segmentCorrelations(reference, samples))).toBeGreaterThan(0.9);
    },
  );
});
