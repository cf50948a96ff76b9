/**
 * A local server speaking ElevenLabs' documented streaming text-to-speech protocol:
 * `POST /v1/text-to-speech/{voice_id}/stream?output_format=...` with the key in `xi-api-key` and a
 * JSON body {text, model_id, language_code?, voice_settings?...}. Raw formats are answered with real
 * espeak-ng speech: `pcm_<rate>` as 16-bit little-endian mono at that rate, `ulaw_8000`/`alaw_8000`
 * as G.711. Errors use ElevenLabs' `{"detail": {"status", "message"}}` body, and FastAPI's
 * `{"detail": [{"loc", "msg", "type"}]}` for validation failures (422).
 */
import type http from 'node:http';
import {
  listenTts,
  sendJson,
  spokenAudio,
  streamAudio,
  type TtsEncoding,
  type TtsServerBase,
} from './tts-stream.js';

export interface ElevenLabsServer extends TtsServerBase {
  /** The `base_url` to configure (the origin: paths start with /v1). */
  baseUrl: string;
  apiKey: string;
  voiceIds: string[];
}

const RAW_FORMATS: Record<string, { rate: number; encoding: TtsEncoding }> = {
  pcm_8000: { rate: 8000, encoding: 'pcm16' },
  pcm_16000: { rate: 16000, encoding: 'pcm16' },
  pcm_22050: { rate: 22050, encoding: 'pcm16' },
  pcm_24000: { rate: 24000, encoding: 'pcm16' },
  pcm_44100: { rate: 44100, encoding: 'pcm16' },
  pcm_48000: { rate: 48000, encoding: 'pcm16' },
  ulaw_8000: { rate: 8000, encoding: 'ulaw' },
  alaw_8000: { rate: 8000, encoding: 'alaw' },
};
/** Models that take `language_code` (the others refuse it). */
const LANGUAGE_MODELS = new Set(['eleven_flash_v2_5', 'eleven_turbo_v2_5']);

function detail(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { detail: { status: code, message } });
}

function invalid(res: http.ServerResponse, loc: string[], msg: string, type: string): void {
  sendJson(res, 422, { detail: [{ loc, msg, type }] });
}

export async function startElevenLabsServer(
  options: { apiKey?: string; voiceIds?: string[]; chunkBytes?: number; delayMs?: number } = {},
): Promise<ElevenLabsServer> {
  const apiKey = options.apiKey ?? 'xi-test-elevenlabs-key';
  const voiceIds = options.voiceIds ?? ['JBFqnCBsd6RMkjVDRZzb', 'EXAVITQu4vr4xnSDxMaL'];
  const base = await listenTts(async (req, res, body, server) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(url.pathname);
    if (!route) {
      sendJson(res, 404, { detail: 'Not Found' });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { detail: 'Method Not Allowed' });
      return;
    }
    if (req.headers['xi-api-key'] !== apiKey) {
      detail(res, 401, 'invalid_api_key', 'Invalid API key');
      return;
    }
    const mode = server.mode;
    if (mode.kind === 'status') {
      detail(
        res,
        mode.status,
        'service_unavailable',
        'The service is temporarily unavailable, please try again later.',
      );
      return;
    }
    const voiceId = decodeURIComponent(route[1] ?? '');
    if (!voiceIds.includes(voiceId)) {
      detail(res, 404, 'voice_not_found', `A voice with voice_id ${voiceId} was not found.`);
      return;
    }
    const outputFormat = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    const raw = RAW_FORMATS[outputFormat];
    if (!raw) {
      invalid(
        res,
        ['query', 'output_format'],
        `Unsupported output format by this server: ${outputFormat}`,
        'value_error',
      );
      return;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      invalid(res, ['body'], 'Expecting value: JSON decode error', 'value_error.jsondecode');
      return;
    }
    if (typeof json.text !== 'string' || json.text === '') {
      invalid(res, ['body', 'text'], 'field required', 'value_error.missing');
      return;
    }
    const model = typeof json.model_id === 'string' ? json.model_id : 'eleven_multilingual_v2';
    if (json.language_code !== undefined && !LANGUAGE_MODELS.has(model)) {
      detail(res, 400, 'unsupported_language', `Model '${model}' does not support language_code.`);
      return;
    }
    if (mode.kind === 'hang') return;
    if (mode.kind === 'silent-headers') {
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      res.flushHeaders();
      return;
    }
    const audio = await spokenAudio(json.text, raw.rate, raw.encoding);
    server.streams.push(
      streamAudio(res, audio, raw.encoding === 'pcm16' ? 'audio/pcm' : 'audio/basic', mode, options),
    );
  });
  return Object.assign(base, { baseUrl: base.origin, apiKey, voiceIds });
}
