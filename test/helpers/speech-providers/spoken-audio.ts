/**
 * Real speech for recogniser tests: espeak-ng says the text, sox resamples it to the telephony format
 * (8 kHz 16-bit mono), and `feed` writes it to a recognition stream in 20 ms frames with the voice
 * activity marks where a detector would put them.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { RecognitionStream } from '../../../src/speech/speech-recognizer.js';
import { RATE, readWav8kMono } from '../audio.js';

export const FRAME = 160; // 20 ms at 8 kHz

export interface Spoken {
  /** Silence, the speech, silence. */
  samples: Int16Array;
  /** Where the speech starts and ends (ms into `samples`). */
  speechStartMs: number;
  speechEndMs: number;
}

/** `text` spoken by espeak-ng at 8 kHz, with `leadMs` of silence before and `tailMs` after. */
export function speak(text: string, dir: string, name: string, leadMs = 500, tailMs = 1000): Spoken {
  const raw = path.join(dir, `${name}-22k.wav`);
  const wav = path.join(dir, `${name}-8k.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', String(RATE), '-c', '1', '-b', '16', wav]);
  const speech = readWav8kMono(wav);
  // espeak-ng pads its output with a little silence; find where the voice really is.
  const loud = (i: number): boolean => Math.abs(speech[i] as number) > 300;
  let first = 0;
  while (first < speech.length && !loud(first)) first++;
  let last = speech.length - 1;
  while (last > first && !loud(last)) last--;
  const lead = (leadMs * RATE) / 1000;
  const samples = new Int16Array(lead + speech.length + (tailMs * RATE) / 1000);
  samples.set(speech, lead);
  return {
    samples,
    speechStartMs: ((lead + first) * 1000) / RATE,
    speechEndMs: ((lead + last) * 1000) / RATE,
  };
}

/**
 * Writes `spoken` to `stream` frame by frame (one reused buffer, as the RTP side does), calls
 * speechStarted when the speech starts and speechEnded `endOfTurnMs` after it ends.
 * `streamAtMs` is where `spoken` begins in the stream (marks are stream offsets).
 * `paceMs` > 0 waits that long every `paceEvery` frames, so time passes as the audio is written.
 */
export async function feed(
  stream: RecognitionStream,
  spoken: Spoken,
  opts: { endOfTurnMs?: number; paceMs?: number; paceEvery?: number; streamAtMs?: number } = {},
): Promise<void> {
  const endOfTurnMs = opts.endOfTurnMs ?? 700;
  // Where `spoken` begins in the stream, for marks when several pieces are fed one after another.
  const base = opts.streamAtMs ?? 0;
  const frame = new Int16Array(FRAME);
  let started = false;
  let ended = false;
  for (let at = 0; at + FRAME <= spoken.samples.length; at += FRAME) {
    frame.set(spoken.samples.subarray(at, at + FRAME));
    stream.write(frame);
    const ms = ((at + FRAME) * 1000) / RATE;
    if (!started && ms >= spoken.speechStartMs + 100) {
      // A detector hears speech after some of it: the mark points back to where it began.
      started = true;
      stream.speechStarted(base + spoken.speechStartMs);
    }
    if (started && !ended && ms >= spoken.speechEndMs + endOfTurnMs) {
      ended = true;
      stream.speechEnded(base + spoken.speechEndMs);
    }
    const frames = at / FRAME + 1;
    if (opts.paceMs && frames % (opts.paceEvery ?? 10) === 0) {
      await new Promise((resolve) => setTimeout(resolve, opts.paceMs));
    }
  }
}
