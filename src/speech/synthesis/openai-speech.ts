import type { SpeechProvider } from '../speech-provider.js';
import type { PcmChunk, SpeechRequest, StreamingSynthesizer } from '../speech-synthesizer.js';
import { bodySnippet, streamHttpPcm } from './http-pcm-stream.js';
import { renderStreamToWav } from './render-stream.js';
import { PcmDecoder } from './wav-file.js';

/** OpenAI's `pcm` response format: raw 16-bit little-endian mono at 24 kHz, no header. */
export const OPENAI_PCM_RATE = 24000;

export interface OpenAiSpeechOptions {
  /** API base ending in /v1 (speech.openai_speech.base_url). */
  baseUrl: string;
  /** Bearer key; empty sends no Authorization header (local servers that need none). */
  apiKey: string;
  model: string;
  /** Default voice (speech.openai_speech.voice). */
  voice: string;
  /** speech.provider_timeout_ms: longest wait for the first byte of audio. */
  firstByteTimeoutMs: number;
  /** speech.timeout_ms: longest one synthesis may take. */
  timeoutMs: number;
}

/**
 * An OpenAI-compatible `POST {base_url}/audio/speech` (OpenAI, and local servers such as
 * Kokoro-FastAPI or Piper's OpenAI shims) asking for `response_format: "pcm"`, so the body is audio
 * from its first byte and plays as it arrives. A server must support the pcm format: one that answers
 * mp3 or WAV instead fails with a `protocol` error naming what it sent.
 */
export class OpenAiSpeech implements SpeechProvider, StreamingSynthesizer {
  readonly name = 'openai';
  readonly provider = 'openai';

  constructor(private readonly options: OpenAiSpeechOptions) {}

  voiceFor(request: SpeechRequest): string {
    return request.voice ?? this.options.voice;
  }

  stream(request: SpeechRequest, options: { signal?: AbortSignal } = {}): AsyncIterable<PcmChunk> {
    const o = this.options;
    return streamHttpPcm({
      provider: this.provider,
      url: `${o.baseUrl.replace(/\/+$/, '')}/audio/speech`,
      headers: o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {},
      body: { model: o.model, input: request.text, voice: this.voiceFor(request), response_format: 'pcm' },
      firstByteTimeoutMs: o.firstByteTimeoutMs,
      timeoutMs: o.timeoutMs,
      decoder: new PcmDecoder(),
      sampleRate: OPENAI_PCM_RATE,
      describeError: describeOpenAiError,
      checkContentType: refuseEncodedAudio,
      secrets: [o.apiKey],
      signal: options.signal,
    });
  }

  render(request: SpeechRequest, outputPath: string, signal?: AbortSignal): Promise<void> {
    return renderStreamToWav(this.provider, this.stream(request, { signal }), outputPath);
  }
}

/**
 * OpenAI's error body is `{"error": {"message", "type", "param", "code"}}`; FastAPI-based local
 * servers answer `{"detail": ...}`. Anything else is quoted as text.
 */
export function describeOpenAiError(status: number, body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return bodySnippet(body, status);
  }
  const record = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const top = record(parsed);
  const error = record(top?.error);
  if (error && typeof error.message === 'string') {
    const code =
      typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : '';
    return code ? `${code}: ${error.message}` : error.message;
  }
  if (typeof top?.error === 'string') return top.error;
  const detail = top?.detail;
  if (typeof detail === 'string') return detail;
  const d = record(detail);
  if (d && typeof d.message === 'string') return d.message;
  return bodySnippet(body, status);
}

/** A server that ignored `response_format: "pcm"` sends a container we would play as noise. */
function refuseEncodedAudio(contentType: string): string | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || type === 'application/octet-stream' || /^audio\/(pcm|l16|raw|x-raw)$/.test(type)) {
    return undefined;
  }
  return `the server answered ${type}, not raw PCM: it must support response_format "pcm" (16-bit 24 kHz mono)`;
}
