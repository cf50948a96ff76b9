import { readdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ActionEngine } from '../../actions/action-engine.js';
import type { Config } from '../../config/schema.js';
import type { DeliveryHandler } from '../../delivery/delivery-handler.js';
import type { Logger } from '../../logging/logger.js';
import type { Store } from '../../store/store.js';
import type { CallRecorder } from '../call-recorder.js';
import { CallRecordingControl } from './call-recording-control.js';
import type { RecordingSettings } from './recording-config.js';
import { readyKey, RecordingReadyHandler, RecordingUploadHandler, uploadKey } from './recording-delivery.js';
import { stereoWavHeader } from '../../telephony/embedded/media/call-audio-recorder.js';
import { recordingKey } from './recording-storage.js';
import { RecordingLinks, linkSecret } from './recording-links.js';
import { RecordingStore } from './recording-storage.js';
import { RecordingSweeper } from './recording-sweeper.js';

/** The folder of stored (local) recordings: `recording.local_dir`, else `<data.dir>/recordings`. */
export function recordingDir(config: Pick<Config, 'data' | 'recording'>): string {
  return path.resolve(config.recording.local_dir || path.join(config.data.dir, 'recordings'));
}

/**
 * Whole-call recording as the server runs it: storage, signed links, the two outbox handlers, the
 * retention sweeper, and a controller per recorded call. Composed once in src/server.ts.
 */
export class RecordingServices {
  readonly settings: RecordingSettings;
  readonly storage: RecordingStore;
  readonly links: RecordingLinks;
  /** Recordings in progress and waiting for upload. */
  readonly workDir: string;
  readonly sweeper: RecordingSweeper;
  private engine: ActionEngine | undefined;
  /** Wakes the outbox worker (set once the worker exists). */
  kick: () => void = () => undefined;

  constructor(
    config: Pick<Config, 'data' | 'recording' | 'api'>,
    private readonly deps: {
      store: Store;
      logger: Logger;
      publicUrl: string | (() => string);
      env?: NodeJS.ProcessEnv;
    },
  ) {
    this.settings = config.recording;
    const dir = recordingDir(config);
    this.workDir = path.join(dir, 'in-progress');
    this.storage = new RecordingStore(config.recording, dir, deps.env);
    this.links = new RecordingLinks(
      linkSecret(config.recording.link_secret, path.resolve(config.data.dir)),
      deps.publicUrl,
      config.recording.link_ttl_s,
    );
    this.sweeper = new RecordingSweeper({
      store: deps.store,
      storage: this.storage,
      workDir: this.workDir,
      retentionDays: config.recording.retention_days,
      intervalMs: config.recording.sweep_interval_s * 1000,
      logger: deps.logger.child({ component: 'recording-retention' }),
    });
  }

  /** The outbox handlers of `recording-upload` and `recording-ready` rows. */
  handlers(): DeliveryHandler[] {
    const { store, logger } = this.deps;
    return [
      new RecordingUploadHandler({
        store,
        storage: this.storage,
        logger: logger.child({ component: 'recording' }),
      }),
      new RecordingReadyHandler({
        store,
        settings: this.settings,
        links: this.links,
        engine: () => this.engine,
      }),
    ] as DeliveryHandler[];
  }

  attach(engine: ActionEngine): void {
    this.engine = engine;
  }

  forCall(
    callId: string,
    events: CallRecorder,
    sinceAnswer: () => number,
    logger: Logger,
  ): CallRecordingControl {
    return new CallRecordingControl(
      callId,
      {
        store: this.deps.store,
        workDir: this.workDir,
        keyTemplate: this.settings.key_template,
        logger,
        kick: () => this.kick(),
      },
      events,
      sinceAnswer,
    );
  }

  /**
   * After a crash: recordings a previous process left in progress, of calls that are closed now
   * (call recovery runs first), get their WAV sizes written from the file's length and are queued for
   * upload and recording-ready like any other. Returns the call ids queued.
   */
  async recoverInProgress(): Promise<string[]> {
    const { store, logger } = this.deps;
    let files: string[];
    try {
      files = readdirSync(this.workDir).filter((f) => f.endsWith('.wav'));
    } catch {
      return [];
    }
    const queued: string[] = [];
    for (const name of files) {
      const callId = name.slice(0, -'.wav'.length);
      const call = await store.calls.get(callId);
      if (!call || call.recording_status !== 'recording' || call.state !== 'ended') continue;
      const file = path.join(this.workDir, name);
      const size = (await stat(file)).size;
      const dataBytes = Math.max(0, size - 44) - (Math.max(0, size - 44) % 4);
      // The embedded writer sets the sizes when it stops; a crash left the placeholder.
      const fh = await open(file, 'r+');
      try {
        await fh.write(stereoWavHeader(8000, dataBytes), 0, 44, 0);
      } finally {
        await fh.close();
      }
      const durationMs = Math.round(dataBytes / 32);
      await store.transaction(async () => {
        await store.calls.update(callId, {
          recording_status: 'uploading',
          recording_duration_ms: durationMs,
        });
        await store.callEvents.append(callId, 'recording-stopped', {
          duration_ms: durationMs,
          reason: 'server-restart',
        });
        const outbox = this.engine?.outbox;
        if (!outbox) throw new Error('recordings are recovered once the action engine is attached');
        await outbox.enqueue({
          idempotencyKey: uploadKey(callId),
          kind: 'recording-upload',
          // The file is on this node's disk.
          pinned: true,
          callId,
          nextKey: readyKey(callId),
          onDead: 'abort',
          payload: {
            call_id: callId,
            file,
            key: recordingKey(this.settings.key_template, call),
            duration_ms: durationMs,
            paused_ms: 0,
            channels: 2,
            sample_rate: 8000,
          },
        });
        if (call.agent_id)
          await outbox.enqueue({
            idempotencyKey: readyKey(callId),
            kind: 'recording-ready',
            callId,
            blocked: true,
            payload: {
              call_id: callId,
              agent_id: call.agent_id,
              contact_id: call.contact_id,
              // What the row still knows of the call (the live scope died with the process).
              scope: {
                call: {
                  id: call.id,
                  agent_id: call.agent_id,
                  direction: call.direction,
                  from: call.from_number,
                  to: call.to_number,
                  started_at: call.started_at,
                  state: call.state,
                },
                data: call.variables,
                collected: call.collected,
              },
            },
          });
      });
      logger.info({ callId, durationMs }, 'recording left by a previous process queued for upload');
      queued.push(callId);
    }
    if (queued.length) this.kick();
    return queued;
  }

  async close(): Promise<void> {
    await this.sweeper.stop();
    this.storage.close();
  }
}
