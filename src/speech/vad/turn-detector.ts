/** Turn-taking settings, in ms (the agent's speech settings over the server's `speech.turn`). */
export interface TurnSettings {
  endOfTurnMs: number;
  minSpeechMs: number;
  maxUtteranceMs: number;
  bargeInMinSpeechMs: number;
}

export interface TurnEvents {
  /** Speech long enough to stop the agent's audio began at `onsetMs`. */
  bargeIn(onsetMs: number, atMs: number): void;
  /** Speech long enough to be a turn began at `onsetMs` (known at `atMs`). */
  speechStarted(onsetMs: number, atMs: number): void;
  /** The turn ended: silence for end-of-turn after speech that ended at `endMs`, or the maximum length. */
  speechEnded(endMs: number, atMs: number, reason: 'silence' | 'max-length'): void;
}

const FRAME_MS = 20;
/** A pause this long inside a candidate onset restarts it (a click followed by silence is not speech). */
const ONSET_GAP_MS = 100;

/**
 * Turns per-frame voice decisions into turn events. Times are ms since the stream began (frame n
 * covers n·20 … n·20+20). Cheap: a few comparisons per frame.
 */
export class TurnDetector {
  private t = 0;
  private inTurn = false;
  private onset = -1;
  private voicedMs = 0;
  private gapMs = 0;
  private bargedIn = false;
  private turnStart = 0;
  private lastVoiceEnd = 0;
  private silenceMs = 0;

  constructor(
    private readonly settings: TurnSettings,
    private readonly events: TurnEvents,
  ) {}

  /** Time covered so far (ms). */
  get elapsedMs(): number {
    return this.t;
  }

  frame(voiced: boolean): void {
    const start = this.t;
    this.t += FRAME_MS;
    const s = this.settings;
    if (this.inTurn) {
      if (voiced) {
        this.silenceMs = 0;
        this.lastVoiceEnd = this.t;
      } else this.silenceMs += FRAME_MS;
      if (this.silenceMs >= s.endOfTurnMs) return this.endTurn(this.lastVoiceEnd, 'silence');
      if (this.t - this.turnStart >= s.maxUtteranceMs) return this.endTurn(this.t, 'max-length');
      return;
    }
    if (voiced) {
      if (this.onset < 0) this.onset = start;
      this.voicedMs += FRAME_MS;
      this.gapMs = 0;
      this.lastVoiceEnd = this.t;
      if (!this.bargedIn && this.voicedMs >= s.bargeInMinSpeechMs) {
        this.bargedIn = true;
        this.events.bargeIn(this.onset, this.t);
      }
      if (this.voicedMs >= s.minSpeechMs) {
        this.inTurn = true;
        this.turnStart = this.onset;
        this.silenceMs = 0;
        this.events.speechStarted(this.onset, this.t);
      }
    } else if (this.onset >= 0) {
      this.gapMs += FRAME_MS;
      if (this.gapMs > ONSET_GAP_MS) this.resetOnset();
    }
  }

  private endTurn(endMs: number, reason: 'silence' | 'max-length'): void {
    this.inTurn = false;
    this.resetOnset();
    this.events.speechEnded(endMs, this.t, reason);
  }

  private resetOnset(): void {
    this.onset = -1;
    this.voicedMs = 0;
    this.gapMs = 0;
    this.bargedIn = false;
  }
}
