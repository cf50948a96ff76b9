import type { PlayOutcome } from '../../telephony/port.js';
import { AudioQueue } from './audio-queue.js';

/** A function call the model made in a response, and the promise of its result. */
export interface ToolRun {
  callId: string;
  result: Promise<{ output: Record<string, unknown>; ended: boolean }>;
}

/**
 * One model response as the bridge follows it: its audio (queued for the player), the item that
 * carries it (for truncation), its transcript (from deltas, replaced by the final one), its function
 * calls, and how its playback ended.
 */
export class RealtimeReply {
  readonly abort = new AbortController();
  readonly tools: ToolRun[] = [];
  readonly queue: AudioQueue;
  /** The assistant item whose audio is played (the first one that brought audio). */
  itemId = '';
  /** Transcript deltas, until the final transcript replaces them. */
  text = '';
  transcriptFinal = false;
  /** `response.done` came; its status (completed, cancelled, failed, incomplete). */
  status: string | undefined;
  /** Set once the reply's audio started to play (its outcome). */
  played: Promise<PlayOutcome> | undefined;
  /** How the play ended, once it has. */
  outcome: PlayOutcome | undefined;
  /** Playback was stopped by the caller speaking. */
  interrupted = false;
  private doneWaiters: (() => void)[] = [];

  constructor(
    readonly responseId: string,
    sampleRate: number,
  ) {
    this.queue = new AudioQueue(sampleRate);
  }

  get inProgress(): boolean {
    return this.status === undefined;
  }

  /** Marks the response done (its audio is complete). */
  finish(status: string): void {
    if (this.status !== undefined) return;
    this.status = status;
    this.queue.end();
    for (const w of this.doneWaiters.splice(0)) w();
  }

  /** Resolves when the response is done, or after `ms` (a cancelled response's last events may be lost). */
  whenDone(ms: number): Promise<void> {
    if (this.status !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.doneWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops playback now (barge-in, the call ending): the rest of the audio is dropped. */
  stop(): void {
    this.abort.abort();
    this.queue.discard();
  }
}
