import { SpeechProviderError, failureOfStatus } from '../speech-error.js';
import type { PcmChunk } from '../speech-synthesizer.js';
import { synthesisCancelled } from './cancelled.js';
import { ProviderClock } from './provider-clock.js';

/** A POST whose reply body is raw audio, read as it arrives. */
export interface HttpPcmRequest {
  /** Provider name for errors (`openai`, `elevenlabs`). */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Longest wait for the first byte of audio (speech.provider_timeout_ms). */
  firstByteTimeoutMs: number;
  /** Longest the whole reply may take (speech.timeout_ms). */
  timeoutMs: number;
  /** Turns one piece of the body into samples; keeps its own state across pieces (odd bytes). */
  decoder: { push(bytes: Uint8Array): Int16Array; readonly pending: boolean };
  sampleRate: number;
  /** The provider's words from an error body (JSON or text), without the key. */
  describeError(status: number, body: string): string;
  /** Refuses a 200 whose content type is not the raw audio asked for; returns why, or undefined. */
  checkContentType?(contentType: string): string | undefined;
  /** Values never to show in a message (the key). */
  secrets: string[];
  signal?: AbortSignal;
}

const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * The reply's audio chunk by chunk, as the provider sends it. Two clocks: the first byte of audio
 * must come within `firstByteTimeoutMs` (a provider that accepts the connection and then says nothing
 * fails fast), the whole reply within `timeoutMs` of waiting for the provider (time the consumer holds
 * a chunk does not count: see ProviderClock). Aborting the signal, a timeout, or the consumer
 * leaving the loop aborts the request, which closes its connection.
 */
export async function* streamHttpPcm(req: HttpPcmRequest): AsyncGenerator<PcmChunk> {
  const controller = new AbortController();
  let why: Error | undefined;
  const stop = (err: Error): void => {
    why ??= err;
    controller.abort(err);
  };
  const timeout = (what: string, ms: number): SpeechProviderError =>
    new SpeechProviderError(req.provider, 'timeout', `${what} within ${ms} ms`);
  const firstByte = setTimeout(
    () => stop(timeout('no audio arrived (speech.provider_timeout_ms)', req.firstByteTimeoutMs)),
    req.firstByteTimeoutMs,
  );
  const whole = new ProviderClock(req.timeoutMs, () =>
    stop(timeout('the speech did not finish (speech.timeout_ms)', req.timeoutMs)),
  );
  whole.run();
  const onAbort = (): void => stop(synthesisCancelled());
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });
  const redact = (text: string): string => redactSecrets(text, req.secrets);

  let finished = false;
  try {
    let response: Response;
    try {
      response = await fetch(req.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...req.headers },
        body: JSON.stringify(req.body),
        signal: controller.signal,
      });
    } catch (err) {
      throw why ?? connectionFailure(req.provider, req.url, err);
    }
    if (!response.ok) {
      const text = await readBounded(response).catch((err: unknown) => {
        throw why ?? connectionFailure(req.provider, req.url, err);
      });
      const message = redact(req.describeError(response.status, text));
      throw new SpeechProviderError(
        req.provider,
        failureOfStatus(response.status),
        `${response.status} ${message}`,
        response.status,
      );
    }
    const refused = req.checkContentType?.(response.headers.get('content-type') ?? '');
    if (refused) throw new SpeechProviderError(req.provider, 'protocol', refused, response.status);
    if (!response.body) throw new SpeechProviderError(req.provider, 'protocol', 'the reply has no body');

    const reader = response.body.getReader();
    let bytes = 0;
    try {
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (err) {
          throw (
            why ??
            new SpeechProviderError(
              req.provider,
              'unavailable',
              `the connection broke after ${bytes} bytes of audio: ${errorText(err)}`,
              undefined,
              { cause: err },
            )
          );
        }
        if (next.done) break;
        if (next.value.length === 0) continue;
        if (bytes === 0) clearTimeout(firstByte);
        bytes += next.value.length;
        const samples = req.decoder.push(next.value);
        if (samples.length > 0) {
          whole.pause();
          yield { samples, sampleRate: req.sampleRate };
          whole.run();
          // The whole reply may already be buffered here: an abort while the consumer held the
          // chunk must still end the stream.
          if (why) throw why;
        }
      }
    } finally {
      reader.releaseLock();
    }
    if (why) throw why;
    if (bytes === 0) throw new SpeechProviderError(req.provider, 'protocol', 'the reply held no audio');
    if (req.decoder.pending) {
      throw new SpeechProviderError(
        req.provider,
        'protocol',
        `the audio ended inside a sample (${bytes} bytes is not whole 16-bit samples)`,
      );
    }
    finished = true;
  } finally {
    clearTimeout(firstByte);
    whole.stop();
    req.signal?.removeEventListener('abort', onAbort);
    // Leaving early (barge-in, an error, the consumer's break) must end the provider's work too.
    if (!finished) controller.abort();
  }
}

/** The reply body up to a limit: an error page must not be read without end. */
async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
    if (size >= ERROR_BODY_LIMIT) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(parts).toString('utf8').slice(0, ERROR_BODY_LIMIT);
}

function connectionFailure(provider: string, url: string, err: unknown): SpeechProviderError {
  return new SpeechProviderError(
    provider,
    'unavailable',
    `could not reach ${new URL(url).origin}: ${errorText(err)}`,
    undefined,
    { cause: err },
  );
}

/** fetch hides the socket's error (ECONNREFUSED) in `cause`. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ? `${err.message}: ${cause.message}` : err.message;
}

/** Removes each secret from a provider's message (some echo the key they refused). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/** A short piece of a non-JSON error body: one line, bounded. */
export function bodySnippet(body: string, status: number): string {
  const line = body.replace(/\s+/g, ' ').trim().slice(0, 300);
  return line || `HTTP ${status} with an empty body`;
}
