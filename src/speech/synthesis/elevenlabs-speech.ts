import alawmulaw from 'alawmulaw';
import { CallwrightError } from '../../errors.js';
import { SpeechProviderError } from '../speech-error.js';
import type { SpeechProvider } from '../speech-provider.js';
import type { PcmChunk, SpeechRequest, StreamingSynthesizer } from '../speech-synthesizer.js';
import { bodySnippet, streamHttpPcm } from './http-pcm-stream.js';
import { renderStreamToWav } from './render-stream.js';
import { PcmDecoder } from './wav-file.js';

/**
 * The raw `output_format`s of ElevenLabs' stream endpoint this provider reads: `pcm_<rate>` is 16-bit
 * little-endian mono at that rate; `ulaw_8000` / `alaw_8000` are G.711 at 8 kHz, the telephone's own
 * codec (decoded here to PCM; G.711 decode then encode gives back the same bytes, so nothing is lost
 * on the way to the caller). pcm_44100 and above need a paid tier.
 */
export const ELEVENLABS_OUTPUT_FORMATS = [
  'pcm_8000',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'pcm_48000',
  'ulaw_8000',
  'alaw_8000',
] as const;
export type ElevenLabsOutputFormat = (typeof ELEVENLABS_OUTPUT_FORMATS)[number];

export interface ElevenLabsSpeechOptions {
  /** API base (speech.elevenlabs.base_url, https://api.elevenlabs.io). */
  baseUrl: string;
  apiKey: string;
  /** Default voice id (speech.elevenlabs.voice_id); a request's `voice` overrides it. */
  voiceId: string;
  modelId: string;
  /** speech.provider_timeout_ms: longest wait for the first byte of audio. */
  firstByteTimeoutMs: number;
  /** speech.timeout_ms: longest one synthesis may take. */
  timeoutMs: number;
  /** Default pcm_16000: twice the telephone rate, on every tier. */
  outputFormat?: ElevenLabsOutputFormat;
}

/**
 * ElevenLabs streaming text to speech: `POST {base_url}/v1/text-to-speech/{voice_id}/stream
 * ?output_format=pcm_16000` with the key in `xi-api-key`; the body is raw audio from its first byte.
 */
export class ElevenLabsSpeech implements SpeechProvider, StreamingSynthesizer {
  readonly name = 'elevenlabs';
  readonly provider = 'elevenlabs';
  private readonly outputFormat: ElevenLabsOutputFormat;

  constructor(private readonly options: ElevenLabsSpeechOptions) {
    this.outputFormat = options.outputFormat ?? 'pcm_16000';
    if (!(ELEVENLABS_OUTPUT_FORMATS as readonly string[]).includes(this.outputFormat)) {
      throw new CallwrightError(
        'VALIDATION',
        `ElevenLabs output format ${JSON.stringify(this.outputFormat)}`,
        [{ field: 'outputFormat', value: this.outputFormat, expected: ELEVENLABS_OUTPUT_FORMATS.join(', ') }],
      );
    }
  }

  voiceFor(request: SpeechRequest): string {
    return request.voice ?? this.options.voiceId;
  }

  async *stream(request: SpeechRequest, options: { signal?: AbortSignal } = {}): AsyncIterable<PcmChunk> {
    const o = this.options;
    const voiceId = this.voiceFor(request);
    if (voiceId === '') {
      throw new CallwrightError(
        'VALIDATION',
        'speech.elevenlabs.voice_id is empty and the request names no voice: set an ElevenLabs voice id',
        [
          {
            field: 'speech.elevenlabs.voice_id',
            value: '',
            expected: 'an ElevenLabs voice id (GET /v1/voices)',
          },
        ],
      );
    }
    if (o.apiKey === '') {
      throw new SpeechProviderError(
        this.provider,
        'unauthorized',
        'speech.elevenlabs.api_key is empty: set CALLWRIGHT_SPEECH_ELEVENLABS_API_KEY',
      );
    }
    const [codec, rate] = this.outputFormat.split('_') as [string, string];
    const url = new URL(
      `${o.baseUrl.replace(/\/+$/, '')}/v1/text-to-speech/${encodeURIComponent(voiceId)}/stream`,
    );
    url.searchParams.set('output_format', this.outputFormat);
    const body: Record<string, string> = { text: request.text, model_id: o.modelId };
    const language = languageCode(o.modelId, request.language);
    if (language) body.language_code = language;
    yield* streamHttpPcm({
      provider: this.provider,
      url: url.toString(),
      headers: { 'xi-api-key': o.apiKey, accept: 'audio/*' },
      body,
      firstByteTimeoutMs: o.firstByteTimeoutMs,
      timeoutMs: o.timeoutMs,
      decoder: codec === 'pcm' ? new PcmDecoder() : new G711Decoder(codec === 'ulaw' ? 'ulaw' : 'alaw'),
      sampleRate: Number(rate),
      describeError: describeElevenLabsError,
      secrets: [o.apiKey],
      signal: options.signal,
    });
  }

  render(request: SpeechRequest, outputPath: string, signal?: AbortSignal): Promise<void> {
    return renderStreamToWav(this.provider, this.stream(request, { signal }), outputPath);
  }
}

/**
 * ElevenLabs takes `language_code` (ISO 639-1) only on models that enforce a language (the v2.5
 * Turbo and Flash models) and refuses the request on others, so it goes only to those.
 */
function languageCode(modelId: string, language: string | undefined): string | undefined {
  if (!language || !/_v2_5$/.test(modelId)) return undefined;
  const primary = language.split('-')[0]?.toLowerCase() ?? '';
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}

/** G.711 bytes (one sample each) to 16-bit PCM. */
class G711Decoder {
  readonly pending = false;
  constructor(private readonly law: 'ulaw' | 'alaw') {}
  push(bytes: Uint8Array): Int16Array {
    return this.law === 'ulaw' ? alawmulaw.mulaw.decode(bytes) : alawmulaw.alaw.decode(bytes);
  }
}

/**
 * ElevenLabs errors: `{"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}`, or
 * FastAPI's validation list `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` for a 422.
 */
export function describeElevenLabsError(status: number, body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return bodySnippet(body, status);
  }
  const detail = (parsed as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    const items = detail.map((item: unknown) => {
      const i = (item ?? {}) as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(i.loc) ? i.loc.join('.') : '';
      const msg = typeof i.msg === 'string' ? i.msg : JSON.stringify(item);
      return where ? `${where}: ${msg}` : msg;
    });
    if (items.length > 0) return items.join('; ');
  }
  if (typeof detail === 'object' && detail !== null) {
    const d = detail as { status?: unknown; message?: unknown };
    if (typeof d.message === 'string')
      return typeof d.status === 'string' ? `${d.status}: ${d.message}` : d.message;
  }
  return bodySnippet(body, status);
}
