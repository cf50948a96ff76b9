/** Windowed-sinc low-pass (Blackman); `cutoff` as a fraction of the rate; coefficients sum to `gain`. */
export function lowPassKernel(taps: number, cutoff: number, gain?: number): Float32Array;
