import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logging/logger.js';
import type { Store } from '../../store/store.js';
import type { RecordingStorage } from './recording-storage.js';

const DAY_MS = 86_400_000;

/** Recordings of calls that ended before the cutoff, oldest first (ISO-8601 text compares in time order). */
const EXPIRED = `SELECT id, recording_path FROM calls
  WHERE recording_status IN ('ready', 'failed', 'uploading', 'recording')
    AND ended_at IS NOT NULL AND ended_at < ?
  ORDER BY ended_at LIMIT 500`;

/**
 * Server-side retention (`recording.retention_days`): recordings of calls that ended longer ago are
 * deleted where they are stored (local folder or bucket) together with any leftover temp file, and the
 * call row keeps `recording_status = 'deleted'`, `recording_deleted_at` and no `recording_path`. A
 * deletion that fails is retried on the next sweep.
 */
export class RecordingSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      storage: RecordingStorage;
      workDir: string;
      retentionDays: number;
      intervalMs: number;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  start(): void {
    if (this.deps.retentionDays <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sweepLogged(), this.deps.intervalMs);
    this.timer.unref();
    this.sweepLogged();
  }

  /** A sweep from the timer: a failure (the database unreachable) is logged and retried next time. */
  private sweepLogged(): void {
    void this.sweep().catch((err) => this.deps.logger.warn({ err }, 'the recording retention sweep failed'));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; resolves with how many recordings were deleted. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const { store, storage, logger } = this.deps;
    if (this.deps.retentionDays <= 0 || !store.sql.open) return 0;
    const now = (this.deps.now ?? Date.now)();
    const cutoff = new Date(now - this.deps.retentionDays * DAY_MS).toISOString();
    const expired = await store.sql.all<{ id: string; recording_path: string | null }>(EXPIRED, [cutoff]);
    let deleted = 0;
    for (const row of expired) {
      try {
        if (row.recording_path) await storage.delete(row.recording_path);
        await rm(path.join(this.deps.workDir, `${row.id}.wav`), { force: true });
      } catch (err) {
        logger.warn({ err, callId: row.id }, 'an expired recording could not be deleted; retried next sweep');
        continue;
      }
      if (!store.sql.open) break;
      await store.transaction(async () => {
        await store.calls.update(row.id, {
          recording_path: null,
          recording_status: 'deleted',
          recording_deleted_at: new Date(now).toISOString(),
        });
        await store.callEvents.append(row.id, 'recording-deleted', {
          reason: 'retention',
          retention_days: this.deps.retentionDays,
        });
      });
      deleted++;
    }
    if (deleted)
      logger.info({ deleted, retentionDays: this.deps.retentionDays }, 'expired recordings deleted');
    return deleted;
  }
}
