import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Logger } from '../../logging/logger.js';
import { SpeechProviderError } from '../speech-error.js';
import type {
  RecognitionHints,
  RecognitionOptions,
  RecognitionResult,
  RecognitionStream,
  SpeechRecognizer,
} from '../speech-recognizer.js';
import { ResultQueue } from './result-queue.js';
import { UtteranceBuffer } from './utterance-buffer.js';

const SCRIPT = fileURLToPath(new URL('./pocketsphinx-decoder.py', import.meta.url));
const INSTALL = 'apt-get install pocketsphinx-en-us python3-pocketsphinx (or npm run setup)';
/** Longest one utterance may take to decode before the decoder is restarted. */
const DECODE_TIMEOUT_MS = 20_000;
const START_TIMEOUT_MS = 20_000;
/**
 * Decoders run below the server's priority: decoding is bulk work that may wait a few ms, the media
 * clock is not (on a loaded machine a decoder at the same priority takes the core the clock needs).
 */
const DECODER_NICE = 10;

/** Upsampling and encoding utterances on a worker thread (utterance-prep.mjs), off the media clock. */
class UtterancePrep {
  private worker: Worker | null = null;
  private readonly jobs = new Map<number, { resolve: (b64: string) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  prepare(pcm: Int16Array): Promise<string> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      if (this.jobs.size === 1) worker.ref();
      worker.postMessage({ id, pcm });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./utterance-prep.mjs', import.meta.url), {
      workerData: { role: 'callwright-utterance-prep' },
    });
    worker.on('message', (reply: { id: number; b64?: string; error?: string }) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      this.jobs.delete(reply.id);
      if (reply.b64 !== undefined) job.resolve(reply.b64);
      else
        job.reject(
          new SpeechProviderError('pocketsphinx', 'protocol', reply.error ?? 'preparing audio failed'),
        );
      if (this.jobs.size === 0) worker.unref();
    });
    const failAll = (err: Error): void => {
      for (const job of this.jobs.values()) job.reject(err);
      this.jobs.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      failAll(new SpeechProviderError('pocketsphinx', 'unavailable', 'the audio preparation thread exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

export interface PocketsphinxOptions {
  python: string;
  modelDir: string;
  /** Decoder processes; 0 = one per CPU core. */
  decoders: number;
  /**
   * Longest an utterance may wait for a free decoder (default 10 s). Past it the decoders are
   * overloaded: the utterance fails with `timeout`, so the call hears its fallback instead of an
   * answer that comes far too late.
   */
  queueTimeoutMs?: number;
  logger?: Logger;
}

interface Job {
  pcm: Int16Array;
  hints: RecognitionHints;
  queuedAt: number;
  /** The stream that asked has ended: nobody waits for the result any more. */
  abandoned: () => boolean;
  resolve: (r: { text: string; confidence: number }) => void;
  reject: (err: Error) => void;
}

const QUEUE_TIMEOUT_MS = 10_000;

type Reply =
  | { ready: true }
  | { fatal: string }
  | { id: number; text: string; confidence: number; search: string }
  | { id: number; error: string };

/** One `pocketsphinx-decoder.py` process: the model loaded once, one utterance at a time. */
class DecoderProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private ready: Promise<void> | null = null;
  private current: { id: number; job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;

  constructor(
    private readonly options: PocketsphinxOptions,
    private readonly prep: UtterancePrep,
    private readonly idle: () => void,
  ) {}

  get busy(): boolean {
    return this.current !== null;
  }

  async run(job: Job): Promise<void> {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.fail(
        new SpeechProviderError('pocketsphinx', 'timeout', `decoding took over ${DECODE_TIMEOUT_MS} ms`),
      );
      this.kill();
    }, DECODE_TIMEOUT_MS);
    this.current = { id, job, timer };
    let pcm: string;
    try {
      [pcm] = await Promise.all([this.prep.prepare(job.pcm), this.start()]);
    } catch (err) {
      return this.fail(err as Error);
    }
    if (this.current?.id !== id) return;
    this.child?.stdin.write(
      `${JSON.stringify({ id, pcm, phrases: job.hints.phrases, answers: job.hints.answers ?? [], spot: job.hints.spot ?? false })}\n`,
    );
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const child = spawn(this.options.python, [SCRIPT, this.options.modelDir], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.child = child;
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, DECODER_NICE);
        } catch {
          // Not allowed here (a container without the capability): it runs at our priority.
        }
      }
      let stderr = '';
      const startTimer = setTimeout(() => {
        reject(
          new SpeechProviderError(
            'pocketsphinx',
            'timeout',
            `the decoder did not start in ${START_TIMEOUT_MS} ms`,
          ),
        );
        this.kill();
      }, START_TIMEOUT_MS);
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(startTimer);
        const why =
          err.code === 'ENOENT'
            ? `${this.options.python} not found (speech.pocketsphinx.python): ${INSTALL}`
            : `${this.options.python} could not start: ${err.message}`;
        const error = new SpeechProviderError('pocketsphinx', 'unavailable', why);
        reject(error);
        this.fail(error);
      });
      child.on('exit', (code) => {
        clearTimeout(startTimer);
        const error = new SpeechProviderError(
          'pocketsphinx',
          'unavailable',
          `the decoder exited (${code}): ${
            stderr
              .split('\n')
              .filter((l) => l && !l.startsWith('INFO'))
              .slice(-3)
              .join(' ') || 'no message'
          }`,
        );
        reject(error);
        this.fail(error);
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          return;
        }
        if ('ready' in reply) {
          clearTimeout(startTimer);
          resolve();
        } else if ('fatal' in reply) {
          clearTimeout(startTimer);
          reject(new SpeechProviderError('pocketsphinx', 'unavailable', `${reply.fatal}: ${INSTALL}`));
        } else if (this.current && reply.id === this.current.id) {
          const { job, timer } = this.current;
          clearTimeout(timer);
          this.current = null;
          if ('error' in reply) job.reject(new SpeechProviderError('pocketsphinx', 'rejected', reply.error));
          else job.resolve({ text: reply.text, confidence: reply.confidence });
          this.idle();
        }
      });
      child.unref();
    });
    // A start failure is reported to the job; the next job tries again.
    this.ready.catch(() => (this.ready = null));
    return this.ready;
  }

  private fail(err: Error): void {
    const c = this.current;
    if (!c) return;
    clearTimeout(c.timer);
    this.current = null;
    c.job.reject(err);
    this.idle();
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
    this.ready = null;
  }
}

/**
 * The offline recogniser: pocketsphinx (Debian) in a few decoder processes shared by every call.
 * Each stream keeps the audio of the current utterance (from the detector's start mark, with a
 * lead-in) and sends it to a free decoder at the end mark; results come back in order per stream.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly provider = 'pocketsphinx';
  private readonly decoders: DecoderProcess[];
  private readonly queue: Job[] = [];
  private readonly prep = new UtterancePrep();

  constructor(private readonly options: PocketsphinxOptions) {
    const n = options.decoders > 0 ? options.decoders : availableParallelism();
    this.decoders = Array.from(
      { length: n },
      () => new DecoderProcess(options, this.prep, () => this.pump()),
    );
  }

  /** Decodes one utterance (8 kHz PCM). */
  decode(
    pcm: Int16Array,
    hints: RecognitionHints,
    abandoned: () => boolean = () => false,
  ): Promise<{ text: string; confidence: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ pcm, hints, queuedAt: Date.now(), abandoned, resolve, reject });
      this.pump();
    });
  }

  start(options: RecognitionOptions): RecognitionStream {
    if (!/^en\b/i.test(options.language)) {
      // Only the US English model is packaged; say so rather than decode another language as English.
      const queue = new ResultQueue();
      queue.fail(
        new SpeechProviderError(
          'pocketsphinx',
          'rejected',
          `language ${JSON.stringify(options.language)} is not available offline; the packaged model is en-US (pick deepgram or openai for other languages)`,
        ),
      );
      return { write() {}, speechStarted() {}, speechEnded() {}, setHints() {}, end() {}, results: queue };
    }
    return new PocketsphinxStream(this, options);
  }

  async close(): Promise<void> {
    for (const d of this.decoders) d.kill();
    await this.prep.close();
  }

  private pump(): void {
    const limit = this.options.queueTimeoutMs ?? QUEUE_TIMEOUT_MS;
    for (const d of this.decoders) {
      if (d.busy) continue;
      const job = this.next(limit);
      if (!job) return;
      void d.run(job);
    }
  }

  /** The next job worth decoding: abandoned ones are dropped, ones that waited too long fail. */
  private next(limit: number): Job | undefined {
    for (;;) {
      const job = this.queue.shift();
      if (!job) return undefined;
      if (job.abandoned()) {
        job.reject(new SpeechProviderError('pocketsphinx', 'rejected', 'the call stopped listening'));
        continue;
      }
      const waited = Date.now() - job.queuedAt;
      if (waited > limit) {
        job.reject(
          new SpeechProviderError(
            'pocketsphinx',
            'timeout',
            `the decoders are overloaded: an utterance waited ${waited} ms for one (speech.pocketsphinx.decoders, or fewer listening calls)`,
          ),
        );
        continue;
      }
      return job;
    }
  }
}

class PocketsphinxStream implements RecognitionStream {
  private readonly buffer: UtteranceBuffer;
  private readonly queue = new ResultQueue();
  private hints: RecognitionHints;
  /** Decodes in flight, chained so results keep the utterances' order. */
  private chain: Promise<void> = Promise.resolve();
  private ended = false;
  /** Nobody waits for this stream's results any more: queued utterances are dropped. */
  private readonly abandoned: () => boolean;

  constructor(
    private readonly recognizer: PocketsphinxRecognizer,
    options: RecognitionOptions,
  ) {
    this.buffer = new UtteranceBuffer(options.sampleRate);
    this.hints = options.hints ?? { phrases: [] };
    const signal = options.signal;
    signal?.addEventListener('abort', () => this.end(), { once: true });
    // A stream with a signal is given up when it aborts: after end() its last utterance is still
    // decoded, however busy the decoders (the greeting classifier ends the utterance and the stream
    // at once, then waits for the transcript). Without one, end() means nobody is waiting.
    this.abandoned = signal ? () => signal.aborted : () => this.ended;
  }

  get results(): AsyncIterable<RecognitionResult> {
    return this.queue;
  }

  write(frame: Int16Array): void {
    if (!this.ended) this.buffer.write(frame);
  }

  speechStarted(atMs: number): void {
    this.buffer.start(atMs);
  }

  speechEnded(atMs: number): void {
    const utterance = this.buffer.take(atMs);
    if (!utterance) return;
    const hints = this.hints;
    const decoding = this.recognizer.decode(utterance.pcm, hints, this.abandoned);
    this.chain = this.chain.then(async () => {
      try {
        const r = await decoding;
        if (r.text)
          this.queue.push({
            text: r.text,
            final: true,
            confidence: r.confidence,
            startMs: utterance.startMs,
            endMs: utterance.endMs,
          });
      } catch (err) {
        this.queue.fail(err as Error);
      }
    });
  }

  setHints(hints: RecognitionHints): void {
    this.hints = hints;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    void this.chain.then(() => this.queue.close());
  }
}
