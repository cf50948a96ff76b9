import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CallwrightError } from '../errors.js';
import type { SpeechProvider } from './speech-provider.js';
import type { SpeechRequest, SpeechSynthesizer } from './speech-synthesizer.js';

const MAX_TEXT = 5000;

/**
 * Synthesised prompts cached on disk, keyed by sha256(provider, voice, language, text): the same
 * prompt on a thousand calls is rendered once. Files are rendered under a temporary name and renamed
 * into place, so a crash never leaves a half-written prompt that later plays as truncated; concurrent
 * requests for the same prompt share one rendering.
 */
export class PromptCache implements SpeechSynthesizer {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly engine: SpeechProvider,
    private readonly dir: string,
  ) {}

  get provider(): string {
    return this.engine.name;
  }

  pathFor(request: SpeechRequest): string {
    const voice = this.engine.voiceFor(request);
    const key = createHash('sha256')
      .update(JSON.stringify([this.engine.name, voice, request.language ?? '', request.text]))
      .digest('hex');
    return path.join(this.dir, `${this.engine.name}-${key.slice(0, 32)}.wav`);
  }

  async synthesize(request: SpeechRequest, options: { signal?: AbortSignal } = {}): Promise<string> {
    checkSpeechText(request.text);
    const file = this.pathFor(request);
    if (await exists(file)) return file;
    const pending = this.inFlight.get(file);
    if (pending) return pending;
    const job = this.render(request, file, options.signal).finally(() => this.inFlight.delete(file));
    this.inFlight.set(file, job);
    return job;
  }

  /** The cached prompt's file, when it has been rendered (or streamed to the end) before. */
  async cached(request: SpeechRequest): Promise<string | undefined> {
    const file = this.pathFor(request);
    return (await exists(file)) ? file : undefined;
  }

  /**
   * Keeps a WAV rendered elsewhere (a streamed sentence) as the request's prompt, under a temporary
   * name renamed into place like every rendering.
   */
  async store(request: SpeechRequest, wav: Uint8Array): Promise<string> {
    const file = this.pathFor(request);
    await mkdir(this.dir, { recursive: true });
    const temp = tempPath(file);
    try {
      await writeFile(temp, wav);
      await rename(temp, file);
      return file;
    } finally {
      await rm(temp, { force: true });
    }
  }

  private async render(request: SpeechRequest, file: string, signal?: AbortSignal): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const temp = tempPath(file);
    try {
      await this.engine.render(request, temp, signal);
      await rename(temp, file);
      return file;
    } finally {
      await rm(temp, { force: true });
    }
  }
}

/** Refuses text no provider should be asked to speak (empty, or longer than any prompt). */
export function checkSpeechText(text: unknown): void {
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) {
    throw new CallwrightError('VALIDATION', 'speech text must be 1-5000 characters', [
      { field: 'text', expected: `a non-empty string of at most ${MAX_TEXT} characters` },
    ]);
  }
}

function tempPath(file: string): string {
  return `${file}.${randomBytes(4).toString('hex')}.tmp`;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 44;
  } catch {
    return false;
  }
}
