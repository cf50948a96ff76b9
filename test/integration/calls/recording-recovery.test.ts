/**
 * A recording the previous process left in progress (it crashed mid-call): once call recovery has
 * closed its call, the file gets its WAV sizes from its length and is queued for upload and
 * recording-ready, and the upload stores it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingServices } from '../../../src/calls/recording/recording-services.js';
import { stereoWavHeader } from '../../../src/telephony/embedded/media/call-audio-recorder.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { until } from './calls-fixture.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('recordings left in progress', () => {
  it('are finished from the file length and stored after a restart', async () => {
    const t = tempStore();
    cleanup = t.cleanup;
    const config = testConfig(t.dir, {
      outbox: { poll_interval_ms: 20, backoff_base_ms: 10, backoff_max_ms: 20 },
    });
    const logger = pino({ level: 'silent' });
    const services = new RecordingServices(config, {
      store: t.store,
      logger,
      publicUrl: 'http://127.0.0.1:1',
    });
    const engine = testActionEngine(t.store, config);
    services.attach(engine);
    const agent = await t.store.agents.create({ name: 'a', kind: 'scripted', config: { steps: [] } });
    const call = await t.store.calls.create({
      direction: 'inbound',
      agent_id: agent.id,
      state: 'ended',
      started_at: '2026-04-05T06:07:08.000Z',
      ended_at: '2026-04-05T06:08:00.000Z',
      recording_status: 'recording',
    } as never);
    mkdirSync(services.workDir, { recursive: true });
    const file = path.join(services.workDir, `${call.id}.wav`);
    // The writer's placeholder header (sizes 0) and 1.5 s of frames, as a crash leaves them.
    writeFileSync(file, Buffer.concat([stereoWavHeader(8000, 0), Buffer.alloc(12000 * 4, 1)]));

    expect(await services.recoverInProgress()).toEqual([call.id]);
    expect(readFileSync(file).readUInt32LE(40)).toBe(48000);
    expect(await t.store.calls.get(call.id)).toMatchObject({
      recording_status: 'uploading',
      recording_duration_ms: 1500,
    });
    // Nothing twice: a second pass finds the call no longer recording.
    expect(await services.recoverInProgress()).toEqual([]);

    const { worker } = createOutboxWorker({
      store: t.store,
      settings: config.outbox,
      logger,
      handlers: services.handlers(),
    });
    worker.start();
    try {
      await until(async () => (await t.store.calls.get(call.id))?.recording_status === 'ready');
      const stored = path.join(t.dir, 'recordings', 'recordings', '2026', '04', '05', `${call.id}.wav`);
      expect((await t.store.calls.get(call.id))?.recording_path).toBe(stored);
      expect(readFileSync(stored).length).toBe(44 + 48000);
    } finally {
      await worker.stop();
      await services.close();
    }
  });
});
