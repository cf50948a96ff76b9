import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { Logger } from '../../logging/logger.js';
import { SpeechProviderError, failureOfStatus, type SpeechFailure } from '../speech-error.js';
import type {
  RecognitionHints,
  RecognitionOptions,
  RecognitionResult,
  RecognitionStream,
  SpeechRecognizer,
} from '../speech-recognizer.js';
import { ResultQueue } from './result-queue.js';

const PROVIDER = 'deepgram';

export interface DeepgramRecognizerOptions {
  /** Live streaming endpoint (speech.deepgram.url, wss://api.deepgram.com/v1/listen). */
  url: string;
  apiKey: string;
  /** nova-2, nova-3, …: nova-3 takes `keyterm` hints, older models `keywords`. */
  model: string;
  /** Silence (ms) after which Deepgram marks a result `speech_final`. */
  endpointingMs: number;
  /** Longest the WebSocket may take to open, and to close after CloseStream (speech.provider_timeout_ms). */
  timeoutMs: number;
  logger?: Logger;
  /**
   * A KeepAlive goes out after this long without audio. Deepgram closes a stream that sends nothing for
   * 10 s (NET-0001) and asks for a KeepAlive every 3-5 s; default 4000.
   */
  keepAliveMs?: number;
  /** Audio kept while the socket opens; beyond it the oldest is dropped. Default 10000. */
  maxQueuedMs?: number;
}

/** Intensifier for nova-2 `keywords`: Deepgram's scale is exponential, 1 = neutral; 2 is a firm nudge. */
const KEYWORD_BOOST = 2;
/** Deepgram takes at most 100 keywords or keyterms per request. */
const MAX_HINTS = 100;

/**
 * Deepgram live streaming (`/v1/listen` over a WebSocket): binary linear16 audio up, JSON `Results` down.
 * One WebSocket per recognition stream, opened by `start`.
 */
export class DeepgramRecognizer implements SpeechRecognizer {
  readonly provider = PROVIDER;
  private readonly streams = new Set<DeepgramStream>();

  constructor(private readonly options: DeepgramRecognizerOptions) {}

  start(options: RecognitionOptions): RecognitionStream {
    const stream = new DeepgramStream(this.options, options, (done) => this.streams.delete(done));
    if (!stream.results.finished) this.streams.add(stream);
    return stream;
  }

  async close(): Promise<void> {
    for (const stream of [...this.streams]) stream.abort();
    this.streams.clear();
  }
}

/** The query string of the listen request (Deepgram streaming API reference: query parameters). */
export function deepgramListenUrl(
  settings: Pick<DeepgramRecognizerOptions, 'url' | 'model' | 'endpointingMs'>,
  options: Pick<RecognitionOptions, 'language' | 'sampleRate' | 'hints'>,
): string {
  const url = new URL(settings.url);
  const q = url.searchParams;
  q.set('encoding', 'linear16');
  q.set('sample_rate', String(options.sampleRate));
  q.set('channels', '1');
  q.set('model', settings.model);
  q.set('language', options.language);
  q.set('interim_results', 'true');
  q.set('endpointing', String(settings.endpointingMs));
  q.set('smart_format', 'true');
  const hints = [...new Set([...(options.hints?.phrases ?? []), ...(options.hints?.answers ?? [])])]
    .map((h) => h.trim())
    .filter((h) => h.length > 0)
    .slice(0, MAX_HINTS);
  // Keyterm prompting is Nova-3's (plain phrases, no intensifier); `keywords=word:boost` is for Nova-2
  // and older, and Nova-3 rejects it (Deepgram docs: Keywords, Keyterm Prompting).
  const keyterm = /^nova-3/i.test(settings.model);
  for (const hint of hints) {
    if (keyterm) q.append('keyterm', hint);
    else q.append('keywords', `${hint}:${KEYWORD_BOOST}`);
  }
  return url.toString();
}

interface DeepgramAlternative {
  transcript?: unknown;
  confidence?: unknown;
}

interface DeepgramResults {
  type: 'Results';
  start?: unknown;
  duration?: unknown;
  is_final?: unknown;
  speech_final?: unknown;
  from_finalize?: unknown;
  channel?: { alternatives?: DeepgramAlternative[] };
}

interface Segment {
  text: string;
  confidence?: number;
  startMs: number;
  endMs: number;
}

/**
 * One stream's socket. Results: an interim `Results` becomes a partial line (the finished segments of
 * the utterance so far plus the interim words). Deepgram finalises an utterance in pieces (`is_final`
 * segments) before its endpoint (`speech_final`); those pieces are joined and the utterance comes out
 * as one final line when `speech_final`, a Finalize's answer (`from_finalize`), an `UtteranceEnd` or
 * the end of the stream says it is over, so an intent phrase cut across two segments still matches
 * one final line. (Deepgram docs: "Using Interim Results", "Endpointing & Interim Results".)
 */
class DeepgramStream implements RecognitionStream {
  readonly results: ResultQueue;
  private readonly ws: WebSocket | undefined;
  private readonly queue: Buffer[] = [];
  private queuedSamples = 0;
  /** Samples dropped before the socket opened: Deepgram's clock starts after them. */
  private droppedSamples = 0;
  private readonly samplesPerMs: number;
  private readonly maxQueuedSamples: number;
  /** Samples not sent because the socket's send buffer was full; Deepgram's clock then runs behind ours. */
  private droppedWhileOpen = 0;
  private open = false;
  private ending = false;
  private finished = false;
  private finalizeOnOpen = false;
  private lastSentAt = Date.now();
  private segments: Segment[] = [];
  private openTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.abort();

  constructor(
    private readonly settings: DeepgramRecognizerOptions,
    private readonly options: RecognitionOptions,
    private readonly onDone: (stream: DeepgramStream) => void,
  ) {
    this.results = new ResultQueue();
    this.samplesPerMs = options.sampleRate / 1000;
    this.maxQueuedSamples = Math.round((settings.maxQueuedMs ?? 10_000) * this.samplesPerMs);
    if (!settings.apiKey) {
      this.fail(
        'unauthorized',
        'no API key: set speech.deepgram.api_key (environment CALLWRIGHT_SPEECH_DEEPGRAM_API_KEY)',
      );
      return;
    }
    if (options.signal?.aborted) {
      this.finish();
      return;
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    let url: string;
    try {
      url = deepgramListenUrl(settings, options);
    } catch {
      this.fail(
        'rejected',
        `speech.deepgram.url ${JSON.stringify(settings.url)} is not a ws:// or wss:// URL`,
      );
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { headers: { Authorization: `Token ${settings.apiKey}` } });
    } catch (err) {
      this.fail('rejected', `speech.deepgram.url: ${(err as Error).message}`, undefined, err);
      return;
    }
    this.ws = ws;
    this.openTimer = setTimeout(() => {
      this.fail(
        'timeout',
        `the stream did not open within ${settings.timeoutMs} ms (speech.provider_timeout_ms)`,
      );
    }, settings.timeoutMs);
    ws.on('unexpected-response', (req, res) => this.onRefused(req, res));
    ws.on('open', () => this.onOpen());
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (this.finished) return;
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
      const code = err.code ?? cause?.code;
      this.fail('unavailable', code ? `${code}: ${err.message}` : err.message, undefined, err);
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
  }

  write(frame: Int16Array): void {
    if (this.finished || this.ending) return;
    // A copy: the caller may reuse its frame buffer once write returns.
    const bytes = Buffer.from(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
    if (bytes.length === 0) return; // an empty binary frame closes a Deepgram stream
    if (this.open) {
      // A socket that cannot keep up (a stalled network) holds at most the queue's worth of audio.
      if ((this.ws?.bufferedAmount ?? 0) > this.maxQueuedSamples * 2) {
        this.droppedWhileOpen += frame.length;
        return;
      }
      if (this.droppedWhileOpen > 0) this.reportStall();
      this.send(bytes);
      return;
    }
    this.queue.push(bytes);
    this.queuedSamples += frame.length;
    while (this.queuedSamples > this.maxQueuedSamples && this.queue.length > 1) {
      const dropped = this.queue.shift() as Buffer;
      this.queuedSamples -= dropped.length / 2;
      this.droppedSamples += dropped.length / 2;
    }
  }

  speechStarted(_atMs: number): void {
    // Deepgram runs its own voice activity detection on the audio it receives.
  }

  speechEnded(_atMs: number): void {
    if (this.finished || this.ending) return;
    // Finalize flushes what Deepgram holds, so the turn's final result does not wait for its endpointing.
    if (this.open) this.sendControl('Finalize');
    else this.finalizeOnOpen = true;
  }

  /**
   * Deepgram takes keywords/keyterms in the listen URL, fixed when the stream connects: new hints reach
   * Deepgram with the next connection (the `hints` of the next `start`), not this one. Nova-3 documents a
   * `Configure` message that replaces keyterms mid-stream, on its global endpoint only; not used here.
   */
  setHints(hints: RecognitionHints): void {
    this.settings.logger?.debug(
      { provider: PROVIDER, phrases: hints.phrases.length },
      'recognition hints change on the next Deepgram connection, not this one',
    );
  }

  end(): void {
    if (this.finished || this.ending) return;
    this.ending = true;
    if (this.open) this.sendCloseStream();
    // Not open yet: onOpen sends the queued audio, then CloseStream.
  }

  /** Stops without waiting for results (call over, recogniser closed). */
  abort(): void {
    if (this.finished) return;
    this.ws?.terminate();
    this.finish();
  }

  private onOpen(): void {
    if (this.finished) return;
    clearTimeout(this.openTimer);
    this.open = true;
    for (const bytes of this.queue) this.send(bytes);
    this.queue.length = 0;
    this.queuedSamples = 0;
    if (this.droppedSamples > 0) {
      this.settings.logger?.warn(
        { provider: PROVIDER, droppedMs: Math.round(this.droppedSamples / this.samplesPerMs) },
        'audio written before the recognition stream opened was dropped',
      );
    }
    if (this.finalizeOnOpen) this.sendControl('Finalize');
    if (this.ending) {
      this.sendCloseStream();
      return;
    }
    const keepAliveMs = this.settings.keepAliveMs ?? 4000;
    this.keepAliveTimer = setInterval(
      () => {
        if (Date.now() - this.lastSentAt >= keepAliveMs) this.sendControl('KeepAlive');
      },
      Math.max(50, Math.floor(keepAliveMs / 4)),
    );
    this.keepAliveTimer.unref();
  }

  private reportStall(): void {
    this.settings.logger?.warn(
      { provider: PROVIDER, droppedMs: Math.round(this.droppedWhileOpen / this.samplesPerMs) },
      'audio was dropped while the recognition stream could not keep up',
    );
    this.droppedSamples += this.droppedWhileOpen;
    this.droppedWhileOpen = 0;
  }

  private send(bytes: Buffer): void {
    this.ws?.send(bytes, { binary: true });
    this.lastSentAt = Date.now();
  }

  /** Control messages are JSON in text frames (Deepgram: a KeepAlive sent as binary is misread). */
  private sendControl(type: 'KeepAlive' | 'Finalize' | 'CloseStream'): void {
    this.ws?.send(JSON.stringify({ type }), { binary: false });
    this.lastSentAt = Date.now();
  }

  private sendCloseStream(): void {
    clearInterval(this.keepAliveTimer);
    this.sendControl('CloseStream');
    // Deepgram answers CloseStream with the last results, a Metadata message and a 1000 close.
    this.closeTimer = setTimeout(() => {
      this.fail(
        'timeout',
        `the stream did not close within ${this.settings.timeoutMs} ms of CloseStream (speech.provider_timeout_ms)`,
      );
    }, this.settings.timeoutMs);
  }

  private onRefused(req: ClientRequest, res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    const header = res.headers['dg-error'];
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 4000) body += chunk;
    });
    const done = (): void => {
      const detail = (typeof header === 'string' && header) || messageOfBody(body) || res.statusMessage || '';
      this.fail(failureOfStatus(status), `HTTP ${status}: ${detail || 'no message'}`, status);
      req.destroy();
    };
    res.on('end', done);
    res.on('error', done);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.finished || isBinary) return;
    let message: { type?: unknown };
    try {
      message = JSON.parse(rawText(data)) as { type?: unknown };
    } catch {
      this.fail('protocol', `a message that is not JSON: ${rawText(data).slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'Results':
        this.onResults(message as DeepgramResults);
        break;
      case 'UtteranceEnd':
        // Sent when utterance_end_ms is asked for: the end of an utterance Deepgram's endpointing missed.
        this.flush();
        break;
      case 'Metadata':
      case 'SpeechStarted':
      default:
        // Metadata (request id, duration) and SpeechStarted (vad_events) carry no transcript.
        break;
    }
  }

  private onResults(message: DeepgramResults): void {
    const alt = message.channel?.alternatives?.[0];
    if (!alt || typeof alt.transcript !== 'string') {
      this.fail('protocol', 'a Results message without channel.alternatives[0].transcript');
      return;
    }
    const offsetMs = this.droppedSamples / this.samplesPerMs;
    const start = typeof message.start === 'number' ? message.start : 0;
    const duration = typeof message.duration === 'number' ? message.duration : 0;
    const segment: Segment = {
      text: alt.transcript.trim(),
      ...(typeof alt.confidence === 'number' ? { confidence: alt.confidence } : {}),
      startMs: Math.round(start * 1000 + offsetMs),
      endMs: Math.round((start + duration) * 1000 + offsetMs),
    };
    if (message.is_final === true) {
      if (segment.text) this.segments.push(segment);
      if (message.speech_final === true || message.from_finalize === true) this.flush();
      else if (segment.text) this.emit(this.segments, false);
    } else if (segment.text) {
      this.emit([...this.segments, segment], false);
    }
  }

  /** The utterance so far as one final line. */
  private flush(): void {
    if (this.segments.length === 0) return;
    this.emit(this.segments, true);
    this.segments = [];
  }

  private emit(segments: Segment[], final: boolean): void {
    const first = segments[0];
    const last = segments[segments.length - 1];
    if (!first || !last) return;
    const confidences = segments.flatMap((s) => (s.confidence === undefined ? [] : [s.confidence]));
    const result: RecognitionResult = {
      text: segments.map((s) => s.text).join(' '),
      final,
      startMs: first.startMs,
      endMs: last.endMs,
    };
    if (confidences.length > 0) result.confidence = Math.min(...confidences);
    this.results.push(result);
  }

  private onClose(code: number, reason: string): void {
    if (this.finished) return;
    if (code === 1000 && this.ending) {
      this.flush();
      this.finish();
      return;
    }
    const [failure, what] = failureOfClose(code, reason);
    this.fail(failure, `${what} (close ${code}${reason ? ` ${reason}` : ''})`);
  }

  private fail(failure: SpeechFailure, detail: string, status?: number, cause?: unknown): void {
    if (this.finished) return;
    // What was heard before the failure still counts.
    this.flush();
    const redacted = this.settings.apiKey ? detail.split(this.settings.apiKey).join('[key]') : detail;
    const error = new SpeechProviderError(PROVIDER, failure, redacted, status, cause ? { cause } : undefined);
    this.settings.logger?.warn({ provider: PROVIDER, failure, status }, error.message);
    this.results.fail(error);
    this.ws?.terminate();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.openTimer);
    clearTimeout(this.closeTimer);
    clearInterval(this.keepAliveTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.queue.length = 0;
    this.results.close();
    this.onDone(this);
  }
}

/**
 * What a close frame means. Deepgram closes with a status code and a reason payload (RFC 6455 §7.4.1):
 * 1008 DATA-0000 (audio it cannot decode), 1011 NET-0000 (no transcript in time, an internal fault) and
 * NET-0001 (no audio or KeepAlive within 10 s); 1006 is a dropped connection with no close frame.
 */
function failureOfClose(code: number, reason: string): [SpeechFailure, string] {
  if (/^DATA-/i.test(reason) || code === 1003 || code === 1007) return ['rejected', 'the audio was refused'];
  if (code === 1008) return ['unauthorized', 'the stream was refused by policy'];
  if (/^NET-0001/i.test(reason)) return ['timeout', 'the provider received no audio in time'];
  if (code === 1000) return ['unavailable', 'the provider closed the stream before it was ended'];
  return ['unavailable', 'the stream was closed'];
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Deepgram's error bodies: `{"err_code": "...", "err_msg": "...", "request_id": "..."}`. */
function messageOfBody(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as { err_msg?: unknown; err_code?: unknown; message?: unknown };
    const msg = typeof parsed.err_msg === 'string' ? parsed.err_msg : parsed.message;
    if (typeof msg === 'string') {
      return typeof parsed.err_code === 'string' ? `${parsed.err_code}: ${msg}` : msg;
    }
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}
