/**
 * Speech recognition behind one interface; providers come in a later issue. Until then transcript
 * lines reach a call from the webhook agent's replies and from `POST /calls/:id/transcript`, through
 * the same path a recogniser's lines will take (`CallSession.transcript`).
 */
export interface TranscriptLine {
  text: string;
  /** Partial lines are revised until a final one; only final lines fire intent triggers. */
  final: boolean;
  speaker: 'caller' | 'agent';
  confidence?: number;
}

export interface RecognitionOptions {
  /** BCP 47 language tag. */
  language: string;
  /** Sample rate of the PCM frames written (8000 for G.711 calls). */
  sampleRate: number;
  /** Phrases worth boosting (intent phrases of the agent). */
  hints?: readonly string[];
  signal?: AbortSignal;
}

/** One stream per call leg: 16-bit mono PCM frames in, transcript lines out. */
export interface RecognitionStream {
  write(frame: Int16Array): void;
  /** No more audio: the stream emits its last final line and ends. */
  end(): void;
  readonly lines: AsyncIterable<TranscriptLine>;
}

export interface SpeechRecognizer {
  readonly provider: string;
  start(options: RecognitionOptions): RecognitionStream;
}
