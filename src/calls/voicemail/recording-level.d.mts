export interface WavLevel {
  /** RMS of the loudest 50 ms window, dBFS (floored at -100). */
  level_dbfs: number;
  /** Largest sample, dBFS (floored at -100). */
  peak_dbfs: number;
  duration_ms: number;
}

export const LEVEL_FLOOR_DBFS: number;
export const LEVEL_WINDOW_MS: number;

/** Measures a WAV file's bytes; throws on data wavefile cannot read. */
export function measureWavLevel(bytes: Uint8Array): WavLevel;
