import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { CallwrightError } from '../errors.js';
import { SpeechProviderError } from './speech-error.js';
import type { PcmChunk, SpeechRequest, StreamingSynthesizer } from './speech-synthesizer.js';
import type { SpeechProvider } from './speech-provider.js';
import { synthesisCancelled } from './synthesis/cancelled.js';
import { ProviderClock } from './synthesis/provider-clock.js';
import { WavStreamParser } from './synthesis/wav-file.js';

const VOICE_HINT = 'an espeak-ng voice name such as en-us, en-gb+f3, de';

export interface EspeakOptions {
  /** Default voice (espeak-ng -v). */
  voice: string;
  timeoutMs: number;
  /** The program to run; tests point it elsewhere. */
  command?: string;
  spawn?: typeof nodeSpawn;
}

/** One running espeak-ng: the child, and a promise that settles when it is done or has failed. */
interface EspeakRun {
  child: ChildProcess;
  done: Promise<void>;
  /** Kills the child; `done` then rejects with the run's own failure if it had one, else with `err`. */
  fail(err: Error): void;
  /** speech.timeout_ms, counting only while espeak-ng is waited for. */
  clock: ProviderClock;
}

/**
 * espeak-ng, the offline default. Text goes through stdin, never the command line, so prompts (which
 * may hold names and numbers) do not show in process lists. Output is 22.05 kHz mono 16-bit PCM; the
 * media layer resamples it to 8 kHz when it plays.
 * - `render`: `espeak-ng -w <file> -v <voice> --stdin` (a cached prompt);
 * - `stream`: `espeak-ng --stdout -v <voice> --stdin`, the WAV read as it arrives, so the first words
 *   play while the rest of a long reply is still being synthesised.
 */
export class EspeakProvider implements SpeechProvider, StreamingSynthesizer {
  readonly name = 'espeak';
  readonly provider = 'espeak';
  private readonly command: string;
  private readonly spawn: typeof nodeSpawn;

  constructor(private readonly options: EspeakOptions) {
    this.command = options.command ?? 'espeak-ng';
    this.spawn = options.spawn ?? nodeSpawn;
  }

  /** The voice used for a request: its own, else one from its language tag, else the default. */
  voiceFor(request: SpeechRequest): string {
    return request.voice ?? (request.language ? request.language.toLowerCase() : this.options.voice);
  }

  render(request: SpeechRequest, outputPath: string, signal?: AbortSignal): Promise<void> {
    try {
      const voice = this.checkedVoice(request);
      return this.run(['-w', outputPath, '-v', voice, '--stdin'], request.text, 'ignore', signal).done;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async *stream(request: SpeechRequest, options: { signal?: AbortSignal } = {}): AsyncIterable<PcmChunk> {
    const voice = this.checkedVoice(request);
    const run = this.run(['--stdout', '-v', voice, '--stdin'], request.text, 'pipe', options.signal);
    // The exit is awaited after the audio; a failure before then must not go unhandled meanwhile.
    run.done.catch(() => undefined);
    const parser = new WavStreamParser('espeak-ng output');
    let finished = false;
    try {
      const stdout = run.child.stdout;
      if (stdout) {
        for await (const data of stdout as AsyncIterable<Buffer>) {
          const samples = parser.push(data);
          if (samples.length > 0) {
            // A consumer that takes audio at the pace it plays must not use up espeak-ng's time.
            run.clock.pause();
            yield { samples, sampleRate: parser.sampleRate ?? 22050 };
            run.clock.run();
            // espeak-ng may have finished long ago, its audio still in the pipe: the abort wins.
            if (options.signal?.aborted) throw synthesisCancelled();
          }
        }
      }
      await run.done;
      try {
        parser.end();
      } catch (err) {
        throw new SpeechProviderError('espeak', 'protocol', (err as Error).message, undefined, {
          cause: err,
        });
      }
      finished = true;
    } catch (err) {
      // A failed run (timeout, missing program) explains a broken stream better than the parser does.
      run.fail(err as Error);
      await run.done;
      throw err;
    } finally {
      // The consumer stopped listening (barge-in): espeak-ng must not keep running for nobody.
      if (!finished) run.fail(synthesisCancelled());
    }
  }

  private checkedVoice(request: SpeechRequest): string {
    const voice = this.voiceFor(request);
    if (!/^[A-Za-z0-9_+.-]+$/.test(voice)) {
      throw new CallwrightError(
        'VALIDATION',
        `speech voice: got ${JSON.stringify(voice)}, expected ${VOICE_HINT}`,
        [{ field: 'voice', value: voice, expected: VOICE_HINT }],
      );
    }
    return voice;
  }

  /** Starts espeak-ng with the text on stdin; the run fails on timeout, abort, a missing program or a bad exit. */
  private run(args: string[], text: string, stdout: 'pipe' | 'ignore', signal?: AbortSignal): EspeakRun {
    const child = this.spawn(this.command, args, { stdio: ['pipe', stdout, 'pipe'] });
    let stderr = '';
    let failure: Error | undefined;
    let settle: (err?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err?: Error): void => {
        clock.stop();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
    });
    const kill = (err: Error): void => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const clock = new ProviderClock(this.options.timeoutMs, () =>
      kill(
        new SpeechProviderError(
          'espeak',
          'timeout',
          `espeak-ng took longer than speech.timeout_ms (${this.options.timeoutMs} ms) and was stopped`,
        ),
      ),
    );
    clock.run();
    const onAbort = (): void => kill(synthesisCancelled());
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??=
        err.code === 'ENOENT'
          ? new SpeechProviderError(
              'espeak',
              'unavailable',
              `${this.command} is not installed: install the Debian package espeak-ng (apt-get install espeak-ng, or npm run setup)`,
            )
          : new SpeechProviderError(
              'espeak',
              'unavailable',
              `${this.command} could not start: ${err.message}`,
              undefined,
              {
                cause: err,
              },
            );
      // A child that never started emits no 'close' on every Node version.
      settle(failure);
    });
    child.on('close', (code) => {
      if (failure) settle(failure);
      else if (code === 0) settle();
      else {
        const message = stderr.trim() || 'no message';
        // espeak-ng exits 1 for a voice it does not have: the request, not the program, is wrong.
        const kind = /voice/i.test(message) ? 'rejected' : 'unavailable';
        settle(new SpeechProviderError('espeak', kind, `espeak-ng exited with ${code}: ${message}`));
      }
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(text);
    return { child, done, fail: kill, clock };
  }
}
