import path from 'node:path';
import type { ActionEngine } from '../../actions/action-engine.js';
import type { Config } from '../../config/schema.js';
import type { DeliveryHandler } from '../../delivery/delivery-handler.js';
import type { Logger } from '../../logging/logger.js';
import type { Store } from '../../store/store.js';
import type { CallRecorder } from '../call-recorder.js';
import { CallRecordingControl } from './call-recording-control.js';
import type { RecordingSettings } from './recording-config.js';
import { RecordingReadyHandler, RecordingUploadHandler } from './recording-delivery.js';
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

  async close(): Promise<void> {
    await this.sweeper.stop();
    this.storage.close();
  }
}
