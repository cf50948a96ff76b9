// Prepares utterances for the pocketsphinx decoder processes, in a worker thread so the thread that
// paces RTP never spends the milliseconds it takes: 8 kHz → 16 kHz (the model's rate) with a proper
// low-pass, then base64 for the decoder's JSON line. Plain JavaScript so it runs unchanged in the
// worker. Types: utterance-prep.d.mts.
import { Buffer } from 'node:buffer';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const TAPS = 47;
/** Low-pass at 3.8 kHz of 16 kHz (Blackman-windowed sinc), gain 2 for zero-stuffing. */
const KERNEL = (() => {
  const k = new Float32Array(TAPS);
  const m = TAPS - 1;
  const cutoff = 3800 / 16000;
  let sum = 0;
  for (let i = 0; i < TAPS; i++) {
    const x = i - m / 2;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / m) + 0.08 * Math.cos((4 * Math.PI * i) / m);
    k[i] = sinc * w;
    sum += sinc * w;
  }
  for (let i = 0; i < TAPS; i++) k[i] = (k[i] * 2) / sum;
  return k;
})();

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
