/**
 * The detector with the greeting classifier, offline (`npm run bench:amd` and the classifier's tests):
 * the phrases classifier on the offline recogniser (pocketsphinx, one call at a time), as
 * AnswerDetection runs it on a call: every frame goes to the recogniser from the answer on; a `human`
 * decision is held while the transcript is decoded, and the audio goes on meanwhile (as many frames as
 * the decode took in wall time), so a decision's `decisionMs` includes the wait as on a call.
 */
import { planClassifier, type AmdClassifierPlan } from '../../src/calls/amd/amd-classifier-settings.js';
import type { AmdDecision } from '../../src/calls/amd/amd-decision.js';
import type { AmdSettings } from '../../src/calls/amd/amd-settings.js';
import {
  AMD_FRAME_SAMPLES,
  AnsweringMachineDetector,
} from '../../src/calls/amd/answering-machine-detector.js';
import { GreetingClassifier } from '../../src/calls/amd/greeting-classifier.js';
import { PocketsphinxRecognizer } from '../../src/speech/recognition/pocketsphinx-recognizer.js';
import type { AmdRun, AmdSample } from './amd-corpus.js';

export interface ClassifiedRun extends AmdRun {
  /** Wall time the held `human` waited for the classifier (ms), when one was held. */
  waitMs?: number;
  /** What the recogniser heard (verbose output only). */
  transcript?: string;
  verdict?: string | null;
}

/**
 * One sample through detector and classifier, frame by frame; `voiced` are per-frame WebRTC flags, or
 * omitted for the detector's energy voice activity.
 */
export async function runClassified(
  sample: AmdSample,
  settings: AmdSettings,
  plan: AmdClassifierPlan,
  recognizer: PocketsphinxRecognizer,
  voiced?: ArrayLike<number>,
): Promise<ClassifiedRun> {
  const detector = new AnsweringMachineDetector(settings);
  const classifier = new GreetingClassifier(plan, { recognizer, language: 'en-US' });
  classifier.start();
  const out: ClassifiedRun = { first: null, ready: null, usPerFrame: 0 };
  const note = (d: AmdDecision | null): void => {
    if (!d) return;
    out.first ??= d;
    if (d.outcome === 'machine-ready') out.ready = d;
  };
  const total = Math.floor(sample.samples.length / AMD_FRAME_SAMPLES);
  let held = false;
  for (let f = 0; f < total && !detector.done; f++) {
    const frame = sample.samples.slice(f * AMD_FRAME_SAMPLES, (f + 1) * AMD_FRAME_SAMPLES);
    classifier.write(frame);
    const d = detector.push(frame, flag(voiced, f));
    if (d?.outcome !== 'human' || held) {
      note(d);
      continue;
    }
    held = true;
    detector.hold();
    const t0 = performance.now();
    const result = await classifier.classify(d.evidence.decisionMs);
    out.waitMs = performance.now() - t0;
    // The call's audio went on while the transcript was decoded.
    const waitFrames = Math.ceil(out.waitMs / 20);
    for (let k = 0; k < waitFrames && f + 1 < total; k++) {
      f++;
      detector.push(
        sample.samples.slice(f * AMD_FRAME_SAMPLES, (f + 1) * AMD_FRAME_SAMPLES),
        flag(voiced, f),
      );
    }
    const evidence = { ...result, waitedMs: detector.elapsedMs - d.evidence.decisionMs };
    out.transcript = result.transcript;
    out.verdict = result.verdict;
    if (result.verdict === 'machine' || result.verdict === 'screening') {
      note(detector.overrule(result.verdict === 'machine' ? 'transcript' : 'call-screening', evidence));
    } else {
      note(detector.release(evidence));
    }
  }
  classifier.stop();
  return out;
}

const flag = (voiced: ArrayLike<number> | undefined, f: number): boolean | undefined =>
  voiced ? voiced[f] === 1 : undefined;

/** The offline recogniser as the bench and tests run it (BENCH_AMD_PYTHON, BENCH_AMD_MODEL_DIR). */
export function offlineRecognizer(): PocketsphinxRecognizer {
  return new PocketsphinxRecognizer({
    python: process.env.BENCH_AMD_PYTHON ?? '/usr/bin/python3',
    modelDir: process.env.BENCH_AMD_MODEL_DIR ?? '/usr/share/pocketsphinx/model/en-us',
    decoders: 1,
  });
}

/** Every sample with the phrases classifier (default phrases, offline recogniser). */
export async function classifiedRuns(
  corpus: AmdSample[],
  settings: AmdSettings,
  flags?: Uint8Array[],
): Promise<ClassifiedRun[]> {
  const plan = planClassifier({ kind: 'phrases' })!;
  const recognizer = offlineRecognizer();
  try {
    // The decoder's model loads once, before the clock matters.
    await recognizer.decode(new Int16Array(8000), { phrases: [] });
    const runs: ClassifiedRun[] = [];
    for (const [i, sample] of corpus.entries()) {
      runs.push(await runClassified(sample, settings, plan, recognizer, flags?.[i]));
    }
    return runs;
  } finally {
    await recognizer.close();
  }
}
