import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../../src/telephony/port.js';
import { tempDir } from '../../helpers/temp.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { bestCorrelation, pcapAlawAudio, readWav, rms } from './audio-analysis.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 23000-23499.
const BASE = 23000;

describe('audio from sipp is recorded faithfully', () => {
  let fx: EmbeddedFixture;
  const tmp = tempDir('callwright-rec-');
  let recorded: Promise<RecordOutcome>;

  beforeAll(async () => {
    fx = await startEmbedded(BASE);
    fx.telephony.onInbound(async (call) => {
      const leg = await call.answer();
      recorded = leg.record({ path: path.join(tmp.dir, 'call.wav'), maxDurationMs: 15_000 });
    });
  });
  afterAll(async () => {
    await fx?.stop();
    tmp.cleanup();
  });

  it('records the g711a.pcap audio so that the decoded samples match the pcap', async () => {
    const result = await runSipp({
      scenario: 'uac-invite-pcap-audio-g711a.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 30_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    const outcome = await recorded;
    expect(outcome.reason).toBe('hangup');
    expect(existsSync(outcome.path)).toBe(true);
    const source = pcapAlawAudio('/usr/share/sip-tester/g711a.pcap');
    const recording = readWav(outcome.path);
    // Three one-second probes from different parts of the pcap must each be found in the recording.
    for (const start of [1, 3, 5]) {
      const probe = source.subarray(start * 8000, (start + 1) * 8000);
      expect(rms(probe)).toBeGreaterThan(100);
      const { score } = bestCorrelation(recording, probe, 1);
      expect(score, `probe at ${start}s`).toBeGreaterThan(0.95);
    }
  }, 40_000);
});
