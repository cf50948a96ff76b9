import { dominantTone } from './goertzel.js';

/** A steady tone: consecutive frames whose dominant frequency stayed within the tracker's tolerance. */
export interface ToneRun {
  /** Mean dominant frequency over the run (Hz). */
  hz: number;
  /** Start of the run's first frame (ms since the stream began). */
  startMs: number;
  durationMs: number;
}

export interface ToneTrackerOptions {
  minHz: number;
  maxHz: number;
  /** Share of a frame's energy the dominant frequency must hold. */
  dominance: number;
  /** Frames quieter than this (dBFS) are never tonal (and cost no filters). */
  minDbfs: number;
  /** How far a frame's frequency may stray from the run's mean and still continue it (Hz). */
  toleranceHz?: number;
}

const FRAME_MS = 20;

/**
 * Follows narrow, steady tones frame by frame: each loud frame's dominant frequency in the band
 * (Goertzel, see goertzel.ts); a frame whose frequency holds most of its energy is tonal; tonal frames
 * at about the same frequency make a run. `frame` returns the run that just ended (the first frame
 * that is not part of it), so a tone's end is known within one frame.
 */
export class ToneTracker {
  private run: { sumHz: number; frames: number; startMs: number } | null = null;
  private tonalFrame = false;
  private readonly toleranceHz: number;

  constructor(private readonly opts: ToneTrackerOptions) {
    this.toleranceHz = opts.toleranceHz ?? 15;
  }

  /** Whether the last frame was tonal (part of a run). */
  get tonal(): boolean {
    return this.tonalFrame;
  }

  /** The run in progress, if any. */
  get current(): ToneRun | null {
    const r = this.run;
    return r ? { hz: r.sumHz / r.frames, startMs: r.startMs, durationMs: r.frames * FRAME_MS } : null;
  }

  /** One frame (starting at `startMs`) with its energy and level; the run that ended here, if one did. */
  frame(pcm: Int16Array, energy: number, levelDbfs: number, startMs: number): ToneRun | null {
    let hz = 0;
    this.tonalFrame = false;
    if (levelDbfs >= this.opts.minDbfs) {
      const tone = dominantTone(pcm, energy, this.opts.minHz, this.opts.maxHz);
      if (tone.dominance >= this.opts.dominance) {
        this.tonalFrame = true;
        hz = tone.hz;
      }
    }
    const r = this.run;
    if (r && this.tonalFrame && Math.abs(hz - r.sumHz / r.frames) <= this.toleranceHz) {
      r.sumHz += hz;
      r.frames++;
      return null;
    }
    const ended = this.current;
    this.run = this.tonalFrame ? { sumHz: hz, frames: 1, startMs } : null;
    return ended;
  }
}
