// How loud a recorded message is, in plain JavaScript so it runs unchanged in a worker thread: a
// two-minute message is about a million samples, and the thread that paces every call's RTP must not
// spend that time decoding (the embedded backend sends a packet every 20 ms). Types: recording-level.d.mts.
import { readFile } from 'node:fs/promises';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;

/** The level reported for digital silence (all samples zero): below any threshold worth setting. */
export const LEVEL_FLOOR_DBFS = -100;
/** Loudness is judged per window, so a long message with a few words is not averaged down to silence. */
export const LEVEL_WINDOW_MS = 50;
/** 0 dBFS for 16-bit samples. */
const FULL_SCALE = 32768;

function dbfs(ratio) {
  if (!(ratio > 0)) return LEVEL_FLOOR_DBFS;
  return Math.max(LEVEL_FLOOR_DBFS, Math.round(200 * Math.log10(ratio)) / 10);
}

/**
 * Measures a WAV file's bytes: `level_dbfs` is the RMS of its loudest 50 ms window, `peak_dbfs` its
 * largest sample, both relative to full scale (0 dBFS) and floored at -100; `duration_ms` its length.
 * Reads what wavefile reads (PCM 8-32 bit, float, A-law, µ-law, IMA ADPCM; any rate and channels).
 */
export function measureWavLevel(bytes) {
  const wav = new WaveFile();
  wav.fromBuffer(bytes);
  if (wav.bitDepth === '8a') wav.fromALaw();
  else if (wav.bitDepth === '8m') wav.fromMuLaw();
  else if (wav.bitDepth === '4') wav.fromIMAADPCM();
  // Both backends record 16-bit PCM; other depths are converted first (wavefile's conversion is slow).
  if (wav.bitDepth !== '16') wav.toBitDepth('16');
  const rate = wav.fmt.sampleRate;
  const samples = wav.getSamples(false, Int16Array);
  const channels = samples.length && typeof samples[0] === 'number' ? [samples] : samples;
  const window = Math.max(1, Math.round((rate * LEVEL_WINDOW_MS) / 1000));
  let loudest = 0;
  let peak = 0;
  let frames = 0;
  for (const ch of channels) {
    frames = Math.max(frames, ch.length);
    for (let start = 0; start < ch.length; start += window) {
      const end = Math.min(ch.length, start + window);
      let sum = 0;
      for (let i = start; i < end; i++) {
        const s = ch[i];
        sum += s * s;
        const a = Math.abs(s);
        if (a > peak) peak = a;
      }
      const rms = Math.sqrt(sum / (end - start)) / FULL_SCALE;
      if (rms > loudest) loudest = rms;
    }
  }
  return {
    level_dbfs: dbfs(loudest),
    peak_dbfs: dbfs(peak / FULL_SCALE),
    duration_ms: rate > 0 ? Math.round((frames * 1000) / rate) : 0,
  };
}

if (!isMainThread && workerData?.role === 'callwright-recording-level') {
  readFile(workerData.path)
    .then((bytes) => parentPort.postMessage({ level: measureWavLevel(bytes) }))
    .catch((err) => parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) }));
}
