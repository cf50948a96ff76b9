import type { Logger } from '../../logging/logger.js';
import type { VadStream, VoiceActivityPool } from '../../speech/vad/voice-activity.js';
import type { AudioTap, CallLeg } from '../../telephony/port.js';
import type { AmdDecision } from './amd-decision.js';
import type { CallAmdPlan } from './amd-call-settings.js';
import { AMD_FRAME_SAMPLES, AnsweringMachineDetector } from './answering-machine-detector.js';
import type { GreetingClassifier } from './greeting-classifier.js';

const AMD_SAMPLE_RATE = 8000;
/** Audio may arrive a little late (jitter, a slow tap start): the first decision's timer allows for it. */
const FIRST_DECISION_SLACK_MS = 1000;
/**
 * Frames waiting for their voice flags beyond this (1 s) mean the VAD worker is not answering: the
 * detector goes on with its energy voice activity rather than fall behind the call.
 */
const MAX_WAITING_FRAMES = 50;

/** The calls' WebRTC VAD, when the call layer has one: its flags drive the detector's speech rules. */
export interface AnswerDetectionVad {
  pool: VoiceActivityPool;
  mode: number;
}

/**
 * Answering-machine detection on one answered call out: taps the callee's audio (the leg's `listen`
 * tap, which both backends implement), feeds the detector 20 ms frames paired with WebRTC voice flags
 * (they come back from the VAD worker in 40 ms batches, so frames wait in a short queue for theirs;
 * without the VAD, the detector's energy voice activity decides), and reports each decision: the first,
 * then `machine-ready` after `machine`. Hard timeouts end it when audio stops coming: the first decision
 * by `total_analysis_ms` (+1 s), every decision by `timeout_ms`. With a greeting classifier, the
 * callee's audio also goes to its recogniser, and a `human` decision is held until the classifier has
 * confirmed it or turned it into `machine` (the detector keeps listening meanwhile).
 */
export class AnswerDetection {
  private readonly detector: AnsweringMachineDetector;
  private tap: AudioTap | undefined;
  private vad: VadStream | undefined;
  /** Frames sent to the VAD whose flags have not come back yet, oldest first. */
  private readonly waiting: Int16Array[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** The start of a frame the tap has not finished delivering. */
  private readonly partial = new Int16Array(AMD_FRAME_SAMPLES);
  private partialLength = 0;
  private stopped = false;
  /** The classifier has been asked (once per call: the first `human` only). */
  private classifying = false;
  private resolveDone!: () => void;
  /** Resolves once the detector is done (its last decision reported) or detection was stopped. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(
    private readonly leg: CallLeg,
    private readonly plan: CallAmdPlan,
    private readonly onDecision: (decision: AmdDecision) => void,
    private readonly log: Logger,
    private readonly vadSource?: AnswerDetectionVad,
    private readonly classifier?: GreetingClassifier,
  ) {
    this.detector = new AnsweringMachineDetector(plan.detector);
  }

  /** Stopped: no more decisions will be reported. */
  get finished(): boolean {
    return this.stopped;
  }

  /** Ms of the callee's audio analysed so far. */
  get elapsedMs(): number {
    return this.detector.elapsedMs;
  }

  async start(): Promise<void> {
    this.vad = this.openVad();
    this.classifier?.start();
    this.timers.push(
      setTimeout(() => {
        if (!this.detector.decision) this.expire();
      }, this.plan.detector.totalAnalysisMs + FIRST_DECISION_SLACK_MS),
      setTimeout(() => {
        while (!this.detector.done && !this.stopped) this.expire();
      }, this.plan.timeoutMs),
    );
    try {
      this.tap = await this.leg.listen((frame) => this.onAudio(frame));
    } catch (err) {
      this.stop();
      throw err;
    }
    if (this.tap.sampleRate !== AMD_SAMPLE_RATE) {
      this.stop();
      throw new Error(`the callee's audio comes at ${this.tap.sampleRate} Hz; detection needs 8000 Hz`);
    }
    if (this.stopped) this.tap.stop();
  }

  /** Stops listening (the detector is done, the call ended, or the caller needs the tap). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.tap?.stop();
    this.vad?.close();
    this.classifier?.stop();
    this.waiting.length = 0;
    this.resolveDone();
  }

  private openVad(): VadStream | undefined {
    const source = this.vadSource;
    if (!source) return undefined;
    try {
      return source.pool.open(source.mode, (voiced) => {
        for (const v of voiced) {
          const frame = this.waiting.shift();
          if (!frame) return;
          this.feed(frame, v === 1);
        }
      });
    } catch (err) {
      this.log.warn({ err }, 'voice activity unavailable: answering-machine detection uses energy');
      return undefined;
    }
  }

  private onAudio(samples: Int16Array): void {
    if (this.stopped) return;
    // The rules count 20 ms frames at 8 kHz: audio is cut into them whatever size the tap delivers.
    let at = 0;
    if (this.partialLength > 0) {
      at = Math.min(samples.length, AMD_FRAME_SAMPLES - this.partialLength);
      this.partial.set(samples.subarray(0, at), this.partialLength);
      this.partialLength += at;
      if (this.partialLength < AMD_FRAME_SAMPLES) return;
      this.partialLength = 0;
      this.onFrame(this.partial.slice());
    }
    for (; at + AMD_FRAME_SAMPLES <= samples.length; at += AMD_FRAME_SAMPLES) {
      this.onFrame(samples.slice(at, at + AMD_FRAME_SAMPLES));
    }
    this.partial.set(samples.subarray(at), 0);
    this.partialLength = samples.length - at;
  }

  private onFrame(frame: Int16Array): void {
    this.classifier?.write(frame);
    if (!this.vad) return this.feed(frame);
    this.waiting.push(frame);
    this.vad.write(frame);
    if (this.waiting.length > MAX_WAITING_FRAMES) this.withoutVad();
  }

  private withoutVad(): void {
    this.log.warn({ waiting: this.waiting.length }, 'voice activity is late: detection goes on with energy');
    this.vad?.close();
    this.vad = undefined;
    for (const frame of this.waiting.splice(0)) this.feed(frame);
  }

  private feed(frame: Int16Array, voiced?: boolean): void {
    if (this.stopped) return;
    const decision = this.detector.push(frame, voiced);
    if (decision) this.report(decision);
  }

  private expire(): void {
    const decision = this.detector.expire();
    if (decision) this.report(decision);
  }

  private report(decision: AmdDecision): void {
    if (decision.outcome === 'human' && this.classifier && !this.classifying) {
      this.classifying = true;
      this.detector.hold();
      void this.classify(this.classifier, decision.evidence.decisionMs);
      return;
    }
    if (this.detector.done) this.stop();
    this.onDecision(decision);
  }

  /** The held `human`: confirmed, or overruled into `machine` (a screening assistant is one too). */
  private async classify(classifier: GreetingClassifier, atMs: number): Promise<void> {
    const result = await classifier.classify(atMs);
    // Stopped (the call ended) or released by the hard timeout meanwhile: nothing more to say.
    if (this.stopped || !this.detector.held) return;
    const evidence = { ...result, waitedMs: this.detector.elapsedMs - atMs };
    if (result.verdict === 'machine' || result.verdict === 'screening') {
      this.report(
        this.detector.overrule(result.verdict === 'machine' ? 'transcript' : 'call-screening', evidence),
      );
    } else {
      this.report(this.detector.release(evidence));
    }
  }
}
