// WebRTC voice activity detection (libfvad compiled to WebAssembly) for many call streams, in a
// worker thread so the thread that paces RTP never runs it. Plain JavaScript so it runs unchanged in
// the worker. Protocol (types: vad-worker.d.mts):
//   in:  { op: 'open', id, mode }           one detector per stream (mode 0-3)
//        { op: 'frames', id, seq, pcm }     pcm: Int16Array of whole 20 ms frames at 8 kHz
//        { op: 'close', id }
//   out: { id, seq, voiced: Uint8Array }    one flag per frame, in order
//        { id, error }
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import fvad from '@echogarden/fvad-wasm';

const FRAME = 160;

if (!isMainThread && workerData?.role === 'callwright-vad') {
  const wasm = await fvad();
  const handles = new Map();
  const ptr = wasm._malloc(FRAME * 2);
  parentPort.on('message', (msg) => {
    const { op, id } = msg;
    if (op === 'open') {
      const h = wasm._fvad_new();
      if (!h || wasm._fvad_set_mode(h, msg.mode) !== 0 || wasm._fvad_set_sample_rate(h, 8000) !== 0) {
        parentPort.postMessage({ id, error: `voice activity detector could not start (mode ${msg.mode})` });
        return;
      }
      handles.set(id, h);
    } else if (op === 'frames') {
      const h = handles.get(id);
      if (!h) return;
      const pcm = msg.pcm;
      const frames = Math.floor(pcm.length / FRAME);
      const voiced = new Uint8Array(frames);
      for (let f = 0; f < frames; f++) {
        wasm.HEAP16.set(pcm.subarray(f * FRAME, (f + 1) * FRAME), ptr >> 1);
        voiced[f] = wasm._fvad_process(h, ptr, FRAME) === 1 ? 1 : 0;
      }
      parentPort.postMessage({ id, seq: msg.seq, voiced }, [voiced.buffer]);
    } else if (op === 'close') {
      const h = handles.get(id);
      if (h) wasm._fvad_free(h);
      handles.delete(id);
    }
  });
  parentPort.postMessage({ ready: true });
}
