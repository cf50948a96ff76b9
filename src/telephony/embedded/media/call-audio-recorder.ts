import { open, type FileHandle } from 'node:fs/promises';
import type { CallRecording, CallRecordingResult } from '../../port.js';
import { wavHeader } from '../../../speech/synthesis/wav-file.js';
import { FRAME_SAMPLES, SAMPLE_RATE } from './audio-source.js';

const CHANNELS = 2;
const BYTES_PER_FRAME = FRAME_SAMPLES * CHANNELS * 2;
/** Frames gathered before one write: 250 ms, so a crash loses little and the disk sees few writes. */
const FRAMES_PER_WRITE = 12;
const HEADER_BYTES = 44;

/** The 44-byte header of a two-channel 16-bit PCM WAV holding `dataBytes` bytes. */
export function stereoWavHeader(sampleRate: number, dataBytes: number): Buffer {
  return wavHeader(sampleRate, dataBytes, CHANNELS);
}

/**
 * Writes a whole call as a two-channel WAV while it goes on: each 20 ms tick of the media clock hands
 * it the frame received (left) and the frame sent (right). Frames are interleaved into a small buffer
 * on the media thread (no allocation per frame) and written asynchronously every 250 ms, so the disk
 * never delays the pacing of RTP; the header gets its sizes when the recording stops. While paused
 * both channels are written as silence, so the file's timeline stays the call's.
 */
export class CallAudioRecorder implements CallRecording {
  private buffer = Buffer.alloc(BYTES_PER_FRAME * FRAMES_PER_WRITE);
  private fill = 0;
  private frames = 0;
  private pausedFrames = 0;
  private paused = false;
  private ended: 'stopped' | 'hangup' | undefined;
  /** Writes in order: opening, each buffer, then the header patch and close. */
  private chain: Promise<FileHandle | undefined>;
  private written = 0;
  private failure: Error | undefined;
  private result: Promise<CallRecordingResult> | undefined;

  constructor(
    readonly path: string,
    private readonly onEnd: () => void,
  ) {
    this.chain = open(path, 'w').then(
      async (fh) => {
        await fh.write(stereoWavHeader(SAMPLE_RATE, 0), 0, HEADER_BYTES, 0);
        return fh;
      },
      (err: Error) => {
        this.failure = err;
        return undefined;
      },
    );
  }

  get active(): boolean {
    return this.ended === undefined;
  }

  /** One tick: what was received and what was sent (null: nothing was sent, silence). */
  frame(received: Int16Array, sent: Int16Array | null): void {
    if (this.ended) return;
    const buf = this.buffer;
    let at = this.fill;
    if (this.paused) {
      buf.fill(0, at, at + BYTES_PER_FRAME);
      at += BYTES_PER_FRAME;
      this.pausedFrames++;
    } else {
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        buf.writeInt16LE(received[i] as number, at);
        buf.writeInt16LE(sent ? (sent[i] as number) : 0, at + 2);
        at += 4;
      }
    }
    this.fill = at;
    this.frames++;
    if (at === buf.length) this.flushBuffer();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  stop(): Promise<CallRecordingResult> {
    return this.finish('stopped');
  }

  /** Ends the recording (the leg ended, or stop()); the file is complete when the promise resolves. */
  finish(reason: 'stopped' | 'hangup'): Promise<CallRecordingResult> {
    if (this.result) return this.result;
    this.ended = reason;
    this.onEnd();
    this.flushBuffer();
    const frames = this.frames;
    const pausedFrames = this.pausedFrames;
    this.result = this.chain.then(async (fh) => {
      if (!fh) throw this.failure ?? new Error(`recording ${this.path} could not be opened`);
      try {
        await fh.write(stereoWavHeader(SAMPLE_RATE, this.written), 0, HEADER_BYTES, 0);
      } finally {
        await fh.close();
      }
      if (this.failure) throw this.failure;
      return {
        path: this.path,
        durationMs: frames * 20,
        pausedMs: pausedFrames * 20,
        channels: CHANNELS,
        sampleRate: SAMPLE_RATE,
        reason,
      } satisfies CallRecordingResult;
    });
    return this.result;
  }

  private flushBuffer(): void {
    if (this.fill === 0) return;
    const data = this.buffer.subarray(0, this.fill);
    // A fresh buffer for the next frames: the one being written must not change under the write.
    this.buffer = Buffer.alloc(BYTES_PER_FRAME * FRAMES_PER_WRITE);
    this.fill = 0;
    this.chain = this.chain.then(async (fh) => {
      if (!fh || this.failure) return fh;
      try {
        await fh.write(data, 0, data.length, HEADER_BYTES + this.written);
        this.written += data.length;
      } catch (err) {
        this.failure = err as Error;
      }
      return fh;
    });
  }
}
