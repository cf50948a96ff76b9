/**
 * Speech recognition behind one interface. A call's caller audio (16-bit mono PCM frames from the
 * telephony port's `listen`) goes into one `RecognitionStream`; the voice-activity detector tells the
 * stream where utterances start and end; results come out. Recognisers that decode per utterance
 * (pocketsphinx, OpenAI-compatible transcription) decode when `speechEnded` comes; streaming ones
 * (Deepgram) send audio as it comes and may use the marks to finalise early.
 *
 * Transcript lines also reach a call from the webhook agent's replies and from
 * `POST /calls/:id/transcript`, through the same path (`CallSession.transcript`).
 */
export interface TranscriptLine {
  text: string;
  /** Partial lines are revised until a final one; only final lines fire intent triggers. */
  final: boolean;
  speaker: 'caller' | 'agent';
  confidence?: number;
  /** Offsets in the call (ms since the call was answered), when the line comes from audio. */
  startMs?: number;
  endMs?: number;
  /** The recogniser that heard it. */
  provider?: string;
}

/** What a recogniser says about one piece of speech. Offsets are ms since the stream started. */
export interface RecognitionResult {
  text: string;
  final: boolean;
  /** 0-1 where the provider gives one. */
  confidence?: number;
  startMs?: number;
  endMs?: number;
}

/**
 * Phrases worth boosting. `phrases` are what might be said anywhere in an utterance (an agent's intent
 * phrases); `answers`, when set, is the closed set a question expects (a `gather` whose branches name
 * them): recognisers with a grammar mode may restrict the next utterances to it.
 */
export interface RecognitionHints {
  phrases: readonly string[];
  answers?: readonly string[];
  /**
   * The phrases may well be absent (a greeting classifier spotting "leave a message"): recognisers with
   * a grammar mode must not force the speech into one of them.
   */
  spot?: boolean;
}

export interface RecognitionOptions {
  /** BCP 47 language tag. */
  language: string;
  /** Sample rate of the PCM frames written (8000 for G.711 calls). */
  sampleRate: number;
  hints?: RecognitionHints;
  /**
   * Aborted when nobody waits for the results any more. Given one, a recogniser decodes the last
   * utterance after `end()` even when it has to queue for it; only the abort drops it.
   */
  signal?: AbortSignal;
}

/** One stream per call leg: 16-bit mono PCM frames in, results out. */
export interface RecognitionStream {
  write(frame: Int16Array): void;
  /** The detector heard speech begin `atMs` into the stream (including its lead-in). */
  speechStarted(atMs: number): void;
  /** The detector heard the end of the turn: per-utterance recognisers decode what they have now. */
  speechEnded(atMs: number): void;
  /** Replaces the hints (a question with expected answers starts or ends). */
  setHints(hints: RecognitionHints): void;
  /** No more audio: the stream emits its last final result and ends. */
  end(): void;
  /**
   * Results in order. The iterator throws a `SpeechProviderError` when the provider fails (down,
   * refused key, protocol error); the stream is then finished.
   */
  readonly results: AsyncIterable<RecognitionResult>;
}

export interface SpeechRecognizer {
  readonly provider: string;
  start(options: RecognitionOptions): RecognitionStream;
  /** Releases shared resources (decoder processes, sockets). */
  close?(): Promise<void>;
}
