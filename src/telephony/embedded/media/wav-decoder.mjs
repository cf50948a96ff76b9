// WAV decoding to 8 kHz 16-bit mono, in plain JavaScript so it runs unchanged in a worker thread
// (resampling a 30 s 44.1 kHz stereo file takes over a second of CPU: on the main thread that would
// stall every call's audio). Types: wav-decoder.d.mts.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;
const RATE = 8000;

/** Any WAV wavefile reads (PCM 8-32 bit, float, A-law, µ-law, IMA ADPCM; any rate and channel count). */
export function decodeWavBytes(bytes) {
  const wav = new WaveFile();
  wav.fromBuffer(bytes);
  if (wav.bitDepth === '8a') wav.fromALaw();
  else if (wav.bitDepth === '8m') wav.fromMuLaw();
  else if (wav.bitDepth === '4') wav.fromIMAADPCM();
  if (wav.bitDepth !== '16') wav.toBitDepth('16');
  // wavefile low-passes before decimating (LPF), so 44.1/48 kHz music does not alias into the band.
  if (wav.fmt.sampleRate !== RATE) wav.toSampleRate(RATE, { method: 'sinc', LPF: true });
  const samples = wav.getSamples(false, Int16Array);
  return Array.isArray(samples) ? mixDown(samples) : samples;
}

function mixDown(channels) {
  if (channels.length === 1) return channels[0];
  const out = new Int16Array(channels[0].length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i];
    out[i] = Math.round(sum / channels.length);
  }
  return out;
}

if (!isMainThread && workerData?.role === 'callwright-wav-decoder') {
  parentPort.on('message', ({ id, bytes }) => {
    try {
      const pcm = decodeWavBytes(bytes);
      parentPort.postMessage({ id, pcm }, [pcm.buffer]);
    } catch (err) {
      parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
