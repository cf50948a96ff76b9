import type { CallLeg, AudioTap } from '../../telephony/port.js';
import type { Logger } from '../../logging/logger.js';
import type { RecognitionStream, SpeechRecognizer } from '../../speech/speech-recognizer.js';
import { SpeechProviderError } from '../../speech/speech-error.js';
import type { ResolvedSpeech } from '../../speech/turn-settings.js';
import { TurnDetector } from '../../speech/vad/turn-detector.js';
import type { VadStream, VoiceActivityPool } from '../../speech/vad/voice-activity.js';

/** What the listener tells the call. Offsets are ms since the listening began. */
export interface ListenerEvents {
  /** Caller speech long enough to stop the agent's audio. */
  bargeIn(onsetMs: number): void;
  speechStarted(onsetMs: number): void;
  speechEnded(endMs: number): void;
  /** A recognised line (partial lines are revised until the final one). */
  heard(line: { text: string; final: boolean; confidence?: number; startMs?: number; endMs?: number }): void;
  /** The recogniser failed; listening has stopped. */
  failed(error: SpeechProviderError): void;
}

/**
 * A call's ears: the leg's audio goes to the voice-activity detector (on its worker thread) and to the
 * recogniser; the detector's turn events mark utterances for the recogniser and stop the agent's
 * audio (barge-in); recognised lines go back to the call. The frame callback runs on the thread that
 * paces RTP, so it only hands frames on.
 */
export class CallListener {
  private tap: AudioTap | undefined;
  private vad: VadStream | undefined;
  private stream: RecognitionStream | undefined;
  private readonly turn: TurnDetector;
  private stopped = false;
  private phrases: string[];

  constructor(
    private readonly leg: CallLeg,
    private readonly settings: ResolvedSpeech,
    private readonly recognizer: SpeechRecognizer,
    private readonly vadPool: VoiceActivityPool,
    phrases: string[],
    private readonly events: ListenerEvents,
    private readonly log: Logger,
  ) {
    this.phrases = phrases;
    this.turn = new TurnDetector(settings.turn, {
      bargeIn: (onset) => this.events.bargeIn(onset),
      speechStarted: (onset) => {
        this.stream?.speechStarted(onset);
        this.events.speechStarted(onset);
      },
      speechEnded: (end) => {
        this.stream?.speechEnded(end);
        this.events.speechEnded(end);
      },
    });
  }

  /** Ms of audio heard so far (the listener's clock). */
  get elapsedMs(): number {
    return this.turn.elapsedMs;
  }

  async start(): Promise<void> {
    const stream = this.recognizer.start({
      language: this.settings.language,
      sampleRate: 8000,
      hints: { phrases: this.phrases },
    });
    this.stream = stream;
    this.vad = this.vadPool.open(this.settings.vadMode, (voiced) => {
      if (this.stopped) return;
      for (const v of voiced) this.turn.frame(v === 1);
    });
    void this.readResults(stream);
    try {
      this.tap = await this.leg.listen((frame) => {
        this.vad?.write(frame);
        stream.write(frame);
      });
    } catch (err) {
      this.stop();
      throw err;
    }
    if (this.stopped) this.tap.stop();
  }

  /** A question expects these answers (or none any more): recognisers with a grammar use them. */
  expect(answers: string[] | undefined): void {
    this.stream?.setHints(answers?.length ? { phrases: this.phrases, answers } : { phrases: this.phrases });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.tap?.stop();
    this.vad?.close();
    this.stream?.end();
  }

  private async readResults(stream: RecognitionStream): Promise<void> {
    try {
      for await (const r of stream.results) {
        if (this.stopped && !r.final) continue;
        this.events.heard(r);
      }
    } catch (err) {
      if (this.stopped) return;
      const error =
        err instanceof SpeechProviderError
          ? err
          : new SpeechProviderError(this.recognizer.provider, 'protocol', (err as Error).message);
      this.log.warn({ provider: error.provider, failure: error.failure }, 'speech recognition failed');
      this.stop();
      this.events.failed(error);
    }
  }
}
