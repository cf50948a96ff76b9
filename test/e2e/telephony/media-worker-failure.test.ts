import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, HangupEvent } from '../../../src/telephony/port.js';
import { WorkerMediaEngine } from '../../../src/telephony/embedded/media/worker-media-engine.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 51000-51199 (sipp 51000-51099, RTP 51100-51199).
const BASE = 51000;

describe('a media worker thread that dies mid-call', () => {
  let fx: EmbeddedFixture;
  let leg: CallLeg | undefined;
  let answered!: () => void;
  const isAnswered = new Promise<void>((r) => (answered = r));

  beforeAll(async () => {
    fx = await startEmbedded(BASE, {
      media: { workers: 2, rtp_port_min: BASE + 100, rtp_port_max: BASE + 199 },
    });
    fx.telephony.onInbound(async (call) => {
      leg = await call.answer();
      answered();
    });
  });
  afterAll(async () => fx?.stop());

  it('ends the call with cause error and a BYE instead of leaving it hanging', async () => {
    const engine = fx.media;
    expect(engine).toBeInstanceOf(WorkerMediaEngine);
    const sipp = runSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
    });
    await isAnswered;
    const ended: Promise<HangupEvent> = (leg as CallLeg).ended;
    for (const worker of (engine as WorkerMediaEngine).workerThreads()) await worker.terminate();
    expect(await ended).toMatchObject({ by: 'local', cause: 'error' });
    const result = await sipp;
    expect(result.code, sippFailure(result)).toBe(0);
    expect((await fx.drained()).mediaSessions).toBe(0);
  });
});
