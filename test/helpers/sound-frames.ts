/**
 * Where sound is in a call recording (8 kHz mono 16-bit), in 20 ms frames: the answering-machine tests
 * find where the voicemail drop begins in what the callee heard, and how much the callee heard.
 */
import { RATE } from './audio.js';

const FRAME = RATE / 50;
/** A 20 ms frame this loud (RMS, dBFS) is sound; the AMD corpus' line noise is -45 dBFS at most. */
export const SOUND_DBFS = -35;

function frameDbfs(x: Int16Array, frame: number): number {
  let sum = 0;
  for (let i = frame * FRAME; i < (frame + 1) * FRAME && i < x.length; i++) sum += (x[i]! / 32768) ** 2;
  return 10 * Math.log10(sum / FRAME + 1e-12);
}

/** Ms from the recording's start to its first sound at or after `fromMs` (-1: none). */
export function firstSoundMs(x: Int16Array, fromMs = 0): number {
  for (let f = Math.floor(fromMs / 20); f * FRAME < x.length; f++)
    if (frameDbfs(x, f) > SOUND_DBFS) return f * 20;
  return -1;
}

/** Ms of sound (20 ms frames above SOUND_DBFS) in the recording. */
export function soundMs(x: Int16Array): number {
  let n = 0;
  for (let f = 0; f * FRAME < x.length; f++) if (frameDbfs(x, f) > SOUND_DBFS) n++;
  return n * 20;
}
