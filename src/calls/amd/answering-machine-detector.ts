import type { AmdBeep, AmdClassifierEvidence, AmdDecision, AmdOutcome, AmdReason } from './amd-decision.js';
import { DEFAULT_AMD_SETTINGS, type AmdSettings } from './amd-settings.js';
import { EnergyVoiceActivity } from './energy-voice-activity.js';
import { frameEnergy, levelDbfs } from './goertzel.js';
import { ToneTracker, type ToneRun } from './tone-tracker.js';

/** 20 ms at 8 kHz: the frames the media layer's listen tap gives. */
export const AMD_FRAME_SAMPLES = 160;
const FRAME_MS = 20;

/** Fax tones (ITU-T T.30): CNG 1100 Hz, 0.5 s on / 3 s off, from the calling fax; CED 2100 Hz, 2.6-4 s. */
const CNG_HZ = 1100;
const CED_HZ = 2100;
const FAX_TOLERANCE_HZ = 50;
const CNG_MIN_MS = 350;
const CNG_MAX_MS = 800;
const CED_MIN_MS = 500;
/**
 * A tone that another follows within this gap is part of a sequence (two tones meet in one frame that
 * holds both, which is no tone): a beep is judged only once this much non-tone follows it.
 */
const SEQUENCE_GAP_MS = 40;
/**
 * Special information tones (ITU-T E.180 / ANSI T1.401), before a carrier's intercept message ("the
 * number you have dialled is not in service"): 913.8 or 985.2 Hz, then 1370.6 or 1428.5 Hz, then
 * 1776.7 Hz, each 274 or 380 ms.
 */
const SIT_BANDS: readonly (readonly [number, number])[] = [
  [880, 1020],
  [1340, 1460],
  [1740, 1810],
];
const SIT_MIN_MS = 200;
const SIT_MAX_MS = 450;

/**
 * Where the detector is:
 * ```
 * listening ──word──► greeting ──short speech, then silence──► decided (human)
 *     │                   ├──long speech / many words / long word──► awaiting-ready (machine)
 *     │                   ├──beep──► decided (machine-ready)
 *     │                   └──SIT tones──► awaiting-ready (machine)
 *     ├──SIT tones──► awaiting-ready (machine)
 *     ├──initial silence / fax tone / beep / total time──► decided
 * awaiting-ready ──beep / greeting-end silence / max wait──► decided (machine-ready)
 * decided (human) ──hold()──► held ──release()──► decided (human)
 *                               └──overrule()──► awaiting-ready (machine; machine-ready at once if
 *                                                the beep or the greeting's end came while held)
 * ```
 */
type Phase = 'listening' | 'greeting' | 'awaiting-ready' | 'held' | 'decided';

/**
 * Streaming answering-machine detection on the callee's audio from the moment of the answer.
 * Feed every 20 ms frame (8 kHz, 16-bit mono) to `push`, optionally with the frame's voice flag
 * (WebRTC VAD); without flags, an energy detector decides. `push` returns a decision on the frame
 * that makes one, else null: first one of human, machine, fax, silence, uncertain or machine-ready,
 * and after `machine` a second one, `machine-ready`. Then `done` is true and frames are ignored.
 *
 * Pure and synchronous: no timers (time is frames seen), a few dozen Goertzel filters on loud frames
 * and a handful of comparisons otherwise, so it can run beside the voice activity worker, off the
 * thread that paces RTP, and be tested frame by frame.
 */
export class AnsweringMachineDetector {
  private readonly s: AmdSettings;
  private readonly energyVad: EnergyVoiceActivity;
  private readonly tones: ToneTracker;
  private phase: Phase = 'listening';
  private t = 0;

  private voiceRun = 0;
  private silenceRun = 0;
  private inWord = false;
  private words = 0;
  private pauses = 0;
  private speechMs = 0;
  private longestWordMs = 0;
  private firstWordAt = -1;
  private lastVoiceEnd = 0;
  private beep: AmdBeep | null = null;
  private faxTone: 'cng' | 'ced' | null = null;
  private machineAt = -1;
  /** Tones that ended less than SEQUENCE_GAP_MS ago, or that another tone followed: not judged yet. */
  private pendingTones: ToneRun[] = [];
  private first: AmdDecision | null = null;
  private last: AmdDecision | null = null;
  /** What would have made machine-ready while held (the beep, the greeting's end). */
  private readyWhileHeld: AmdReason | null = null;
  private classifier: AmdClassifierEvidence | undefined;

  constructor(settings: AmdSettings = DEFAULT_AMD_SETTINGS) {
    this.s = settings;
    this.energyVad = new EnergyVoiceActivity(settings.voiceThresholdDbfs, settings.voiceAboveNoiseDb);
    this.tones = new ToneTracker({
      minHz: settings.fax ? Math.min(settings.beepMinHz, CNG_HZ) : settings.beepMinHz,
      maxHz: settings.fax ? Math.max(settings.beepMaxHz, CED_HZ + FAX_TOLERANCE_HZ) : settings.beepMaxHz,
      dominance: settings.toneDominance,
      minDbfs: settings.toneMinDbfs,
    });
  }

  /** The first decision (null until one is made). */
  get decision(): AmdDecision | null {
    return this.first;
  }

  /** The latest decision: `machine-ready` after `machine`, else the first. */
  get latest(): AmdDecision | null {
    return this.last;
  }

  /** No more decisions will come. */
  get done(): boolean {
    return this.phase === 'decided';
  }

  /** Audio seen so far (ms since the answer). */
  get elapsedMs(): number {
    return this.t;
  }

  /**
   * Ends the analysis now, as the call layer's hard timeout does when audio stops coming (no frames,
   * no clock): `uncertain` (total-time) before a first decision, `machine-ready` (max-wait) after
   * `machine`; null when already done.
   */
  expire(): AmdDecision | null {
    if (this.phase === 'decided') return null;
    if (this.phase === 'held') return this.release();
    if (this.phase === 'awaiting-ready')
      return this.decide('machine-ready', this.readyWhileHeld ?? 'max-wait');
    return this.decide('uncertain', 'total-time');
  }

  /** Held: a `human` decision waits for the greeting classifier (`release` or `overrule`). */
  get held(): boolean {
    return this.phase === 'held';
  }

  /**
   * Right after a `human` decision: keep listening, deciding nothing, while the greeting classifier
   * works, as if the answer were a machine (the beep and the greeting's end are noted). Time goes on,
   * so the decision that ends the hold has the wait in its `decisionMs`.
   */
  hold(): void {
    if (this.phase !== 'decided' || this.last?.outcome !== 'human') {
      throw new Error('answering-machine detector: hold() follows a human decision only');
    }
    this.phase = 'held';
    this.machineAt = this.t;
  }

  /** The hold ends in a person after all (the classifier agreed, failed or ran out of time). */
  release(classifier?: AmdClassifierEvidence): AmdDecision {
    this.assertHeld();
    this.classifier = classifier;
    this.readyWhileHeld = null;
    const d = this.makeDecision('human', this.last?.reason ?? 'after-greeting-silence');
    this.phase = 'decided';
    return d;
  }

  /**
   * The hold ends in a machine (`transcript`, `call-screening`): `machine` now, then `machine-ready`
   * as after any machine decision; on the next frame if the beep or the greeting's end came while held.
   */
  overrule(reason: AmdReason, classifier: AmdClassifierEvidence): AmdDecision {
    this.assertHeld();
    this.classifier = classifier;
    return this.decideMachine(reason);
  }

  private assertHeld(): void {
    if (this.phase !== 'held') throw new Error('answering-machine detector: not held');
  }

  /**
   * One 20 ms frame (160 samples at 8 kHz; resample other rates first). `voiced` is the frame's voice
   * activity flag when a VAD gives one; tonal frames (beeps, fax tones) never count as speech whatever
   * the flag says.
   */
  push(frame: Int16Array, voiced?: boolean): AmdDecision | null {
    if (this.phase === 'decided') return null;
    if (this.phase === 'awaiting-ready' && this.readyWhileHeld)
      return this.decide('machine-ready', this.readyWhileHeld);
    if (frame.length !== AMD_FRAME_SAMPLES) {
      // Time is frames seen: a frame of another length (another rate or ptime) would skew every rule.
      throw new RangeError(
        `answering-machine detector: got a frame of ${frame.length} samples, expected ${AMD_FRAME_SAMPLES} (20 ms at 8 kHz)`,
      );
    }
    const start = this.t;
    this.t += FRAME_MS;
    const energy = frameEnergy(frame);
    const level = levelDbfs(energy, frame.length);
    const energyVoiced = this.energyVad.voiced(level);
    const ended = this.tones.frame(frame, energy, level, start);
    // Tones too short for a beep or a SIT segment (a voice holding a harmonic) are dropped at once.
    if (ended && ended.durationMs >= Math.min(this.s.beepMinMs, SIT_MIN_MS)) this.pendingTones.push(ended);
    const running = this.tones.current;
    const lastTone = this.pendingTones[this.pendingTones.length - 1];
    if (!running && lastTone) {
      if (this.t - (lastTone.startMs + lastTone.durationMs) < SEQUENCE_GAP_MS) {
        // Just after a tone: another may follow. Like the tone itself, these frames are neither speech
        // nor silence, so a silence rule cannot fire before the tone is judged.
        return this.onClock();
      }
      const sequence = this.pendingTones;
      this.pendingTones = [];
      const d = sequence.length === 1 ? this.onToneEnded(lastTone) : this.onToneSequence(sequence);
      if (d) return d;
    }
    if (running) {
      const d = this.onToneRunning(running);
      if (d) return d;
    } else {
      const d = this.onSpeechFrame(voiced ?? energyVoiced);
      if (d) return d;
    }
    return this.onClock();
  }

  private onToneEnded(run: ToneRun): AmdDecision | null {
    const s = this.s;
    if (s.fax && Math.abs(run.hz - CNG_HZ) <= FAX_TOLERANCE_HZ && this.phase === 'listening') {
      // A calling fax's CNG burst before anyone spoke; the same tone after a greeting is its beep.
      if (run.durationMs >= CNG_MIN_MS && run.durationMs <= CNG_MAX_MS) {
        this.faxTone = 'cng';
        return this.decide('fax', 'cng-tone');
      }
    }
    if (this.isBeep(run)) {
      this.beep = { hz: Math.round(run.hz), atMs: run.startMs, durationMs: run.durationMs };
      return this.decide('machine-ready', 'beep');
    }
    return null;
  }

  /**
   * Tones back to back: special information tones before an intercept message are a machine (the
   * message follows; machine-ready when it ends); any other sequence is a multi-tone beep, judged
   * by its last tone.
   */
  private onToneSequence(tones: ToneRun[]): AmdDecision | null {
    const sit =
      tones.length <= SIT_BANDS.length &&
      tones.every((run, i) => {
        const [lo, hi] = SIT_BANDS[i]!;
        return run.hz >= lo && run.hz <= hi && run.durationMs >= SIT_MIN_MS && run.durationMs <= SIT_MAX_MS;
      });
    if (sit && (this.phase === 'listening' || this.phase === 'greeting')) {
      return this.decideMachine('sit-tone');
    }
    return this.onToneEnded(tones[tones.length - 1]!);
  }

  private onToneRunning(run: ToneRun): AmdDecision | null {
    const s = this.s;
    if (s.fax && Math.abs(run.hz - CED_HZ) <= FAX_TOLERANCE_HZ && run.durationMs >= CED_MIN_MS) {
      this.faxTone = 'ced';
      return this.decide('fax', 'ced-tone');
    }
    // A tone that goes on and on is still a beep (some machines hold it): do not wait for its end.
    if (run.durationMs >= s.beepMaxMs && this.isBeep(run)) {
      this.beep = { hz: Math.round(run.hz), atMs: run.startMs, durationMs: run.durationMs };
      return this.decide('machine-ready', 'beep');
    }
    return null;
  }

  private isBeep(run: ToneRun): boolean {
    const s = this.s;
    return run.durationMs >= s.beepMinMs && run.hz >= s.beepMinHz - 25 && run.hz <= s.beepMaxHz + 25;
  }

  /** Words, pauses and the speech rules, in the manner of Asterisk's app_amd. */
  private onSpeechFrame(voiced: boolean): AmdDecision | null {
    const s = this.s;
    if (voiced) {
      this.silenceRun = 0;
      this.voiceRun += FRAME_MS;
      this.lastVoiceEnd = this.t;
      if (this.firstWordAt >= 0) this.speechMs += FRAME_MS;
      if (!this.inWord && this.voiceRun >= s.minWordMs) {
        this.inWord = true;
        if (this.words > 0) this.pauses++;
        this.words++;
        if (this.firstWordAt < 0) {
          this.firstWordAt = this.t - this.voiceRun;
          this.speechMs = this.voiceRun;
        }
        if (this.phase === 'listening') this.phase = 'greeting';
      }
      if (this.inWord) this.longestWordMs = Math.max(this.longestWordMs, this.voiceRun);
      if (this.phase !== 'greeting') return null;
      if (this.inWord && this.voiceRun >= s.maxWordMs) return this.decideMachine('long-word');
      if (this.words >= s.maxWords) return this.decideMachine('max-words');
      if (this.speechMs >= s.greetingMs) return this.decideMachine('long-greeting');
      return null;
    }
    this.voiceRun = 0;
    this.silenceRun += FRAME_MS;
    if (this.inWord && this.silenceRun >= s.betweenWordsSilenceMs) this.inWord = false;
    if (this.phase === 'greeting' && this.silenceRun >= s.afterGreetingSilenceMs) {
      return this.decide('human', 'after-greeting-silence');
    }
    if (this.awaitingReady && this.silenceRun >= s.greetingEndSilenceMs) {
      return this.decide('machine-ready', 'greeting-ended');
    }
    return null;
  }

  /** The rules on time alone. */
  private onClock(): AmdDecision | null {
    const s = this.s;
    // A tone running or just ended (not judged yet) is not silence: a fax tone may be starting.
    const toneInHand = this.tones.current !== null || this.pendingTones.length > 0;
    if (this.phase === 'listening' && this.t >= s.initialSilenceMs && !toneInHand) {
      return this.decide('silence', 'initial-silence');
    }
    if (this.awaitingReady) {
      if (this.t - this.machineAt >= s.machineReadyMaxWaitMs) return this.decide('machine-ready', 'max-wait');
      return null;
    }
    if (this.t >= s.totalAnalysisMs) return this.decide('uncertain', 'total-time');
    return null;
  }

  /** After a machine decision, or held (a machine until the classifier says otherwise). */
  private get awaitingReady(): boolean {
    return this.phase === 'awaiting-ready' || this.phase === 'held';
  }

  private decideMachine(reason: AmdReason): AmdDecision {
    this.machineAt = this.t;
    const d = this.makeDecision('machine', reason);
    this.phase = 'awaiting-ready';
    return d;
  }

  private decide(outcome: AmdOutcome, reason: AmdReason): AmdDecision | null {
    if (this.phase === 'held') {
      // Held, nothing is decided: what would make a machine ready is kept for an overrule.
      if (outcome === 'machine-ready') this.readyWhileHeld ??= reason;
      return null;
    }
    this.readyWhileHeld = null;
    const d = this.makeDecision(outcome, reason);
    this.phase = 'decided';
    return d;
  }

  private makeDecision(outcome: AmdOutcome, reason: AmdReason): AmdDecision {
    const d: AmdDecision = {
      outcome,
      reason,
      evidence: {
        initialSilenceMs: this.firstWordAt >= 0 ? this.firstWordAt : this.t,
        speechMs: this.speechMs,
        greetingMs: this.firstWordAt >= 0 ? this.lastVoiceEnd - this.firstWordAt : 0,
        words: this.words,
        pauses: this.pauses,
        longestWordMs: this.longestWordMs,
        beep: this.beep,
        faxTone: this.faxTone,
        decisionMs: this.t,
        ...(this.classifier ? { classifier: this.classifier } : {}),
      },
    };
    this.first ??= d;
    this.last = d;
    return d;
  }
}
