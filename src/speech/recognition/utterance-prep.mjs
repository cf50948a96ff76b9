// Prepares utterances for the pocketsphinx decoder processes, in a worker thread so the thread that
// paces RTP never spends the milliseconds it takes: 8 kHz → 16 kHz (the model's rate) with a proper
// low-pass, then base64 for the decoder's JSON line. Plain JavaScript so it runs unchanged in the
// worker. Types: utterance-prep.d.mts.
import { Buffer } from 'node:buffer';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { lowPassKernel } from '../audio/low-pass.mjs';

const TAPS = 47;
/** Low-pass at 3.8 kHz of 16 kHz, gain 2 for zero-stuffing. */
const KERNEL = lowPassKernel(TAPS, 3800 / 16000, 2);

/**
 * 8 kHz → 16 kHz: zero-stuffing then the low-pass, so the 4-8 kHz band stays empty (linear
 * interpolation would leave mirror images of the speech there, which the wideband model hears).
 */
export function upsampleTo16k(pcm) {
  const n = pcm.length * 2;
  const out = new Int16Array(n);
  const half = (TAPS - 1) / 2;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    // Only even positions of the stuffed signal are non-zero.
    for (let t = (i + half) & 1; t < TAPS; t += 2) {
      const j = i - t + half;
      if (j < 0 || j >= n) continue;
      acc += KERNEL[t] * pcm[j >> 1];
    }
    out[i] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}

/** The decoder's input: 16 kHz little-endian PCM as base64. */
export function prepareUtterance(pcm) {
  const wide = upsampleTo16k(pcm);
  return Buffer.from(wide.buffer, wide.byteOffset, wide.byteLength).toString('base64');
}

if (!isMainThread && workerData?.role === 'callwright-utterance-prep') {
  parentPort.on('message', ({ id, pcm }) => {
    try {
      parentPort.postMessage({ id, b64: prepareUtterance(pcm) });
    } catch (err) {
      parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
