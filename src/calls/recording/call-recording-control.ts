import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logging/logger.js';
import type { CallRecord, Store } from '../../store/store.js';
import type { CallLeg, CallRecording, CallRecordingResult } from '../../telephony/port.js';
import type { CallRecorder } from '../call-recorder.js';
import type { OutboxQueue } from '../../delivery/outbox-queue.js';
import { readyKey, uploadKey } from './recording-delivery.js';
import { recordingKey } from './recording-storage.js';

/** What one call's recording needs from the server (`RecordingServices.forCall`). */
export interface CallRecordingDeps {
  store: Store;
  /** Folder of recordings in progress (inside FreeSWITCH's shared folder on that backend). */
  workDir: string;
  keyTemplate: string;
  logger: Logger;
  /** Wakes the outbox worker once the upload is queued. */
  kick: () => void;
}

/** Longest the end of a call waits for the backend to finish the file. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * One call's whole-call recording: started once the consent prompt has played, paused and resumed by
 * actions (call events mark each span), stopped when the call ends, then queued for upload — the
 * upload row and the `recording-ready` row behind it are written in the transaction that ends the call.
 */
export class CallRecordingControl {
  private recording: CallRecording | undefined;
  private startedAtMs = 0;
  private paused = false;
  private result: Promise<CallRecordingResult | undefined> | undefined;
  /** stop() came (the call ended): a recording that starts after it is dropped. */
  private stopped = false;

  constructor(
    private readonly callId: string,
    private readonly deps: CallRecordingDeps,
    private readonly events: CallRecorder,
    /** Time since the call was answered, for event offsets. */
    private readonly sinceAnswer: () => number,
  ) {}

  get active(): boolean {
    return this.recording !== undefined && this.result === undefined;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async start(leg: CallLeg): Promise<void> {
    if (this.recording || !leg.active) return;
    mkdirSync(this.deps.workDir, { recursive: true });
    const file = path.join(this.deps.workDir, `${this.callId}.wav`);
    let recording: CallRecording;
    try {
      recording = await leg.recordCall({ path: file });
    } catch (err) {
      if (this.stopped) return;
      this.deps.logger.error({ err }, 'the call recording could not start');
      this.events.event('recording-error', { message: (err as Error).message });
      return;
    }
    if (this.stopped) {
      // The call ended while the backend was starting it: nothing of it is kept.
      await recording.stop().catch(() => undefined);
      await rm(file, { force: true });
      return;
    }
    this.recording = recording;
    this.startedAtMs = this.sinceAnswer();
    void this.events.update({ recording_status: 'recording' });
    this.events.event('recording-started', { at_ms: this.startedAtMs, channels: 2 });
  }

  /** Pauses (true) or resumes (false); false when there is no running recording to change. */
  setPaused(paused: boolean, by: string): { recording: boolean; paused: boolean; changed: boolean } {
    const rec = this.recording;
    if (!rec || this.result) return { recording: false, paused: false, changed: false };
    if (this.paused === paused) return { recording: true, paused, changed: false };
    this.paused = paused;
    if (paused) rec.pause();
    else rec.resume();
    this.events.event(paused ? 'recording-paused' : 'recording-resumed', {
      at_ms: this.sinceAnswer(),
      offset_ms: this.sinceAnswer() - this.startedAtMs,
      by,
    });
    return { recording: true, paused, changed: true };
  }

  /** Finishes the file (the call ended); undefined when nothing was recorded or the file failed. */
  stop(): Promise<CallRecordingResult | undefined> {
    this.stopped = true;
    const rec = this.recording;
    if (!rec) return Promise.resolve(undefined);
    this.result ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          rec.stop(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error('the recording did not finish in time')),
              STOP_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (err) {
        this.deps.logger.error({ err }, 'the call recording could not be finished');
        this.events.event('recording-error', { message: (err as Error).message });
        // Stored before the call's end, which waits for this result.
        await this.events.update({ recording_status: 'failed' });
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.result;
  }

  /**
   * Queues the upload and the recording-ready event behind it; run inside the transaction that ends
   * the call, so both exist exactly when the call's end does.
   */
  async queue(
    outbox: OutboxQueue,
    done: CallRecordingResult,
    end: { agentId: string; contactId: string | null; scope: Record<string, unknown> },
  ): Promise<void> {
    const call: CallRecord = await this.deps.store.calls.require(this.callId);
    await this.deps.store.calls.update(this.callId, {
      recording_status: 'uploading',
      recording_duration_ms: done.durationMs,
    });
    await this.deps.store.callEvents.append(this.callId, 'recording-stopped', {
      duration_ms: done.durationMs,
      paused_ms: done.pausedMs,
      reason: done.reason,
    });
    await outbox.enqueue({
      idempotencyKey: uploadKey(this.callId),
      kind: 'recording-upload',
      // The file is on this node's disk.
      pinned: true,
      callId: this.callId,
      nextKey: readyKey(this.callId),
      // The event says the recording is stored: without a stored recording there is none to send.
      onDead: 'abort',
      payload: {
        call_id: this.callId,
        file: done.path,
        key: recordingKey(this.deps.keyTemplate, call),
        duration_ms: done.durationMs,
        paused_ms: done.pausedMs,
        channels: done.channels,
        sample_rate: done.sampleRate,
      },
    });
    await outbox.enqueue({
      idempotencyKey: readyKey(this.callId),
      kind: 'recording-ready',
      callId: this.callId,
      blocked: true,
      payload: { call_id: this.callId, agent_id: end.agentId, contact_id: end.contactId, scope: end.scope },
    });
  }
}
