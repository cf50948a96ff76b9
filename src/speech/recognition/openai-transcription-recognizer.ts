import { deadline } from '../../util/deadline.js';
import type { Logger } from '../../logging/logger.js';
import { SpeechProviderError, failureOfStatus, type SpeechFailure } from '../speech-error.js';
import type {
  RecognitionHints,
  RecognitionOptions,
  RecognitionStream,
  SpeechRecognizer,
} from '../speech-recognizer.js';
import { encodeWavFile } from '../synthesis/wav-file.js';
import { ResultQueue } from './result-queue.js';

const PROVIDER = 'openai';

export interface OpenAiTranscriptionRecognizerOptions {
  /** OpenAI-compatible API base ending in /v1 (speech.openai_transcription.base_url). */
  baseUrl: string;
  apiKey: string;
  /** whisper-1, gpt-4o-transcribe, a local server's model name. */
  model: string;
  /** Longest one transcription request may take (speech.provider_timeout_ms). */
  timeoutMs: number;
  logger?: Logger;
  /** Audio kept from before the speech-start mark, so a clipped first syllable is still sent. Default 300. */
  leadInMs?: number;
  /** An utterance longer than this is cut and sent; the rest becomes the next one. Default 120000. */
  maxUtteranceMs?: number;
}

/**
 * OpenAI-compatible transcription (`POST {base}/audio/transcriptions`): one request per utterance,
 * between the detector's speechStarted and speechEnded marks. Works with OpenAI, Groq and local
 * Whisper servers that implement the same endpoint.
 */
export class OpenAiTranscriptionRecognizer implements SpeechRecognizer {
  readonly provider = PROVIDER;
  private readonly streams = new Set<TranscriptionStream>();

  constructor(private readonly options: OpenAiTranscriptionRecognizerOptions) {}

  start(options: RecognitionOptions): RecognitionStream {
    const stream = new TranscriptionStream(this.options, options, (done) => this.streams.delete(done));
    if (!stream.results.finished) this.streams.add(stream);
    return stream;
  }

  async close(): Promise<void> {
    for (const stream of [...this.streams]) stream.abort();
    this.streams.clear();
  }
}

interface Utterance {
  frames: Int16Array[];
  samples: number;
  startMs: number;
  endMs: number;
}

/**
 * Audio is copied into frames as it is written (cheap, on the RTP pacing thread); the WAV is built and
 * sent from a later task. Utterances are transcribed one at a time, so results come out in the order
 * they were spoken.
 */
class TranscriptionStream implements RecognitionStream {
  readonly results = new ResultQueue();
  private readonly samplesPerMs: number;
  private readonly leadInSamples: number;
  private readonly maxSamples: number;
  /** Recent frames, so the lead-in and the detector's look-back are still there at speechStarted. */
  private readonly recent: Int16Array[] = [];
  private recentSamples = 0;
  private readonly recentLimit: number;
  /** Samples written so far: the stream's clock. */
  private written = 0;
  private current: Utterance | undefined;
  private hints: RecognitionHints | undefined;
  private chain: Promise<void> = Promise.resolve();
  private ending = false;
  private stopped = false;
  private readonly controller = new AbortController();
  private readonly onAbort = (): void => this.abort();

  constructor(
    private readonly settings: OpenAiTranscriptionRecognizerOptions,
    private readonly options: RecognitionOptions,
    private readonly onDone: (stream: TranscriptionStream) => void,
  ) {
    this.samplesPerMs = options.sampleRate / 1000;
    this.leadInSamples = Math.round((settings.leadInMs ?? 300) * this.samplesPerMs);
    this.maxSamples = Math.round((settings.maxUtteranceMs ?? 120_000) * this.samplesPerMs);
    // The detector's mark may point back a second or so (its own look-back) before the lead-in.
    this.recentLimit = this.leadInSamples + options.sampleRate * 2;
    this.hints = options.hints;
    if (!settings.apiKey) {
      this.fail(
        'unauthorized',
        'no API key: set speech.openai_transcription.api_key (environment CALLWRIGHT_SPEECH_OPENAI_TRANSCRIPTION_API_KEY)',
      );
      return;
    }
    if (options.signal?.aborted) {
      this.abort();
      return;
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  write(frame: Int16Array): void {
    if (this.stopped || this.ending) return;
    const copy = frame.slice();
    this.written += copy.length;
    const current = this.current;
    if (current) {
      const room = this.maxSamples - current.samples;
      const head = copy.length > room ? copy.subarray(0, room) : copy;
      current.frames.push(head);
      current.samples += head.length;
      if (current.samples >= this.maxSamples) {
        // Still talking at the limit: send what there is and keep listening as a new utterance.
        const atMs = (this.written - (copy.length - head.length)) / this.samplesPerMs;
        this.close(atMs);
        const rest = copy.subarray(head.length);
        this.current = { frames: [rest], samples: rest.length, startMs: atMs, endMs: atMs };
      }
      return;
    }
    this.recent.push(copy);
    this.recentSamples += copy.length;
    while (this.recent.length > 1 && this.recentSamples - (this.recent[0]?.length ?? 0) >= this.recentLimit) {
      this.recentSamples -= (this.recent.shift() as Int16Array).length;
    }
  }

  speechStarted(atMs: number): void {
    if (this.stopped || this.ending || this.current) return;
    // Keep the recent frames from `lead-in` before the mark on.
    const fromSample = Math.max(0, Math.round(atMs * this.samplesPerMs) - this.leadInSamples);
    let at = this.written - this.recentSamples;
    const frames: Int16Array[] = [];
    let samples = 0;
    for (const frame of this.recent) {
      const end = at + frame.length;
      if (end > fromSample) {
        const part = at >= fromSample ? frame : frame.subarray(fromSample - at);
        frames.push(part);
        samples += part.length;
      }
      at = end;
    }
    this.recent.length = 0;
    this.recentSamples = 0;
    this.current = { frames, samples, startMs: atMs, endMs: atMs };
  }

  speechEnded(atMs: number): void {
    if (this.stopped || this.ending || !this.current) return;
    this.close(atMs);
  }

  setHints(hints: RecognitionHints): void {
    // Applies from the next request: each utterance's prompt is built when it is sent.
    this.hints = hints;
  }

  end(): void {
    if (this.stopped || this.ending) return;
    if (this.current) this.close(this.written / this.samplesPerMs);
    this.ending = true;
    this.chain = this.chain.then(() => this.finish());
  }

  abort(): void {
    if (this.stopped) return;
    this.controller.abort();
    this.finish();
  }

  /** Ends the current utterance and queues its transcription behind the earlier ones. */
  private close(endMs: number): void {
    const utterance = this.current;
    this.current = undefined;
    if (!utterance || utterance.samples === 0) return;
    utterance.endMs = Math.max(endMs, utterance.startMs);
    const hints = this.hints;
    this.chain = this.chain
      .then(() => this.transcribe(utterance, hints))
      .catch((err: unknown) => this.fail('protocol', `the request could not be made: ${String(err)}`));
  }

  private async transcribe(utterance: Utterance, hints: RecognitionHints | undefined): Promise<void> {
    if (this.stopped) return;
    const pcm = new Int16Array(utterance.samples);
    let at = 0;
    for (const frame of utterance.frames) {
      pcm.set(frame, at);
      at += frame.length;
    }
    const form = new FormData();
    form.append(
      'file',
      new Blob([encodeWavFile([pcm], this.options.sampleRate)], { type: 'audio/wav' }),
      'utterance.wav',
    );
    form.append('model', this.settings.model);
    // The endpoint takes ISO 639-1: the language part of the BCP 47 tag.
    const language = this.options.language.split('-')[0]?.toLowerCase();
    if (language) form.append('language', language);
    form.append('response_format', 'json');
    const prompt = promptOf(hints);
    if (prompt) form.append('prompt', prompt);
    const url = `${this.settings.baseUrl.replace(/\/+$/, '')}/audio/transcriptions`;
    const timer = deadline(this.settings.timeoutMs, this.controller.signal);
    try {
      await this.post(url, form, timer.signal, utterance);
    } finally {
      timer.clear();
    }
  }

  private async post(url: string, form: FormData, signal: AbortSignal, utterance: Utterance): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.settings.apiKey}` },
        body: form,
        signal,
      });
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof Error && err.name === 'TimeoutError') {
        this.fail('timeout', `no answer within ${this.settings.timeoutMs} ms (speech.provider_timeout_ms)`);
      } else {
        const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
        const detail = cause?.code ? `${cause.code}: ${cause.message}` : String(err);
        this.fail('unavailable', `${url}: ${detail}`, undefined, err);
      }
      return;
    }
    let body: string;
    try {
      body = await response.text();
    } catch (err) {
      if (this.stopped) return;
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      this.fail(
        timedOut ? 'timeout' : 'unavailable',
        `the answer broke off: ${String(err)}`,
        response.status,
      );
      return;
    }
    if (this.stopped) return;
    if (!response.ok) {
      this.fail(
        failureOfStatus(response.status),
        `HTTP ${response.status}: ${messageOfError(body)}`,
        response.status,
      );
      return;
    }
    let text: unknown;
    try {
      text = (JSON.parse(body) as { text?: unknown }).text;
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string') {
      this.fail('protocol', `an answer without a "text" string: ${body.slice(0, 200)}`, response.status);
      return;
    }
    const trimmed = text.trim();
    // Silence and noise come back empty: no line for them.
    if (trimmed) {
      this.results.push({ text: trimmed, final: true, startMs: utterance.startMs, endMs: utterance.endMs });
    }
  }

  private fail(failure: SpeechFailure, detail: string, status?: number, cause?: unknown): void {
    if (this.stopped) return;
    const redacted = this.settings.apiKey ? detail.split(this.settings.apiKey).join('[key]') : detail;
    const error = new SpeechProviderError(PROVIDER, failure, redacted, status, cause ? { cause } : undefined);
    this.settings.logger?.warn({ provider: PROVIDER, failure, status }, error.message);
    this.results.fail(error);
    this.finish();
  }

  private finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.current = undefined;
    this.recent.length = 0;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.results.close();
    this.onDone(this);
  }
}

/** Hints as the request's prompt: Whisper-style models take vocabulary as prior text. */
function promptOf(hints: RecognitionHints | undefined): string {
  const all = [...(hints?.phrases ?? []), ...(hints?.answers ?? [])].map((h) => h.trim()).filter(Boolean);
  return [...new Set(all)].join(', ');
}

/** OpenAI's error body: `{"error": {"message", "type", "code"}}`; anything else as text. */
function messageOfError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown } | string };
    const error = parsed.error;
    if (typeof error === 'string') return error;
    if (error && typeof error.message === 'string') {
      return typeof error.code === 'string' ? `${error.message} (${error.code})` : error.message;
    }
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 500) || 'no message';
}
