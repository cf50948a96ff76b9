import { spawn as nodeSpawn } from 'node:child_process';
import { CallwrightError } from '../errors.js';
import type { SpeechRequest } from './speech-synthesizer.js';
import type { SpeechProvider } from './speech-provider.js';

const VOICE_HINT = 'an espeak-ng voice name such as en-us, en-gb+f3, de';

export interface EspeakOptions {
  /** Default voice (espeak-ng -v). */
  voice: string;
  timeoutMs: number;
  /** The program to run; tests point it elsewhere. */
  command?: string;
  spawn?: typeof nodeSpawn;
}

/**
 * espeak-ng, the offline default: `espeak-ng -w <file> -v <voice> --stdin`. Text goes through stdin,
 * never the command line, so prompts (which may hold names and numbers) do not show in process lists.
 * Output is 22.05 kHz mono WAV; the media layer resamples it to 8 kHz when it plays.
 */
export class EspeakProvider implements SpeechProvider {
  readonly name = 'espeak';
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
    const voice = this.voiceFor(request);
    if (!/^[A-Za-z0-9_+.-]+$/.test(voice)) {
      return Promise.reject(
        new CallwrightError(
          'VALIDATION',
          `speech voice: got ${JSON.stringify(voice)}, expected ${VOICE_HINT}`,
          [{ field: 'voice', value: voice, expected: VOICE_HINT }],
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const child = this.spawn(this.command, ['-w', outputPath, '-v', voice, '--stdin'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const kill = (why: string): void => {
        child.kill('SIGKILL');
        finish(new CallwrightError('UNAVAILABLE', why));
      };
      const timer = setTimeout(
        () =>
          kill(`espeak-ng took longer than speech.timeout_ms (${this.options.timeoutMs} ms) and was stopped`),
        this.options.timeoutMs,
      );
      const onAbort = (): void => kill('speech synthesis was cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      child.on('error', (err: NodeJS.ErrnoException) => {
        finish(
          err.code === 'ENOENT'
            ? new CallwrightError(
                'UNAVAILABLE',
                `${this.command} is not installed: install the Debian package espeak-ng (apt-get install espeak-ng, or npm run setup)`,
              )
            : new CallwrightError('UNAVAILABLE', `${this.command} could not start: ${err.message}`, [], {
                cause: err,
              }),
        );
      });
      child.on('close', (code) => {
        if (code === 0) finish();
        else
          finish(
            new CallwrightError(
              'UNAVAILABLE',
              `espeak-ng exited with ${code}: ${stderr.trim() || 'no message'}`,
            ),
          );
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(request.text);
    });
  }
}
