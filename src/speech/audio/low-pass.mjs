// The one FIR design of the speech layer, in plain JavaScript so worker threads (utterance-prep.mjs)
// and TypeScript modules (resampler.ts) share it. Types: low-pass.d.mts.

/**
 * Windowed-sinc low-pass (Blackman window) of `taps` coefficients; `cutoff` as a fraction of the
 * sample rate; the coefficients sum to `gain` (1 = unity at DC; 2 after zero-stuffing by two).
 */
export function lowPassKernel(taps, cutoff, gain = 1) {
  const k = new Float32Array(taps);
  const m = taps - 1;
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const x = i - m / 2;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / m) + 0.08 * Math.cos((4 * Math.PI * i) / m);
    k[i] = sinc * w;
    sum += sinc * w;
  }
  for (let i = 0; i < taps; i++) k[i] = (k[i] * gain) / sum;
  return k;
}
