/**
 * A local server speaking OpenAI's documented `POST /v1/audio/speech` wire protocol: Bearer key,
 * JSON body {model, input, voice, response_format, speed?, instructions?}, unknown fields refused,
 * `pcm` answered as raw 16-bit little-endian mono at 24 kHz (real espeak-ng speech), streamed in
 * chunks. Errors use OpenAI's `{"error": {"message", "type", "param", "code"}}` body.
 */
import type http from 'node:http';
import { listenTts, sendJson, spokenAudio, streamAudio, type TtsServerBase } from './tts-stream.js';

export const OPENAI_SPEECH_RATE = 24000;

export interface OpenAiSpeechServer extends TtsServerBase {
  /** The `base_url` to configure: <origin>/v1. */
  baseUrl: string;
  apiKey: string;
}

const KNOWN_FIELDS = new Set([
  'model',
  'input',
  'voice',
  'response_format',
  'speed',
  'instructions',
  'stream_format',
]);
const FORMATS = new Set(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);

function openAiError(
  res: http.ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } });
}

export async function startOpenAiSpeechServer(
  options: { apiKey?: string; chunkBytes?: number; delayMs?: number } = {},
): Promise<OpenAiSpeechServer> {
  const apiKey = options.apiKey ?? 'sk-test-openai-speech-key';
  const base = await listenTts(async (req, res, body, server) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/v1/audio/speech') {
      openAiError(res, 404, `Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error');
      return;
    }
    if (req.method !== 'POST') {
      openAiError(res, 405, `Method ${req.method} not allowed`, 'invalid_request_error');
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${apiKey}`) {
      // OpenAI quotes (part of) the key it refused: the client must not pass that on.
      const given = auth.replace(/^Bearer /, '');
      openAiError(
        res,
        401,
        given
          ? `Incorrect API key provided: ${given}. You can find your API key at https://platform.openai.com/account/api-keys.`
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
        'invalid_request_error',
        'invalid_api_key',
      );
      return;
    }
    const mode = server.mode;
    if (mode.kind === 'status') {
      openAiError(
        res,
        mode.status,
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
      return;
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      openAiError(res, 400, 'Content-Type must be application/json', 'invalid_request_error');
      return;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      openAiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
      return;
    }
    for (const key of Object.keys(json)) {
      if (!KNOWN_FIELDS.has(key)) {
        openAiError(
          res,
          400,
          `Unrecognized request argument supplied: ${key}`,
          'invalid_request_error',
          null,
          key,
        );
        return;
      }
    }
    for (const field of ['model', 'input', 'voice']) {
      if (typeof json[field] !== 'string' || json[field] === '') {
        openAiError(
          res,
          400,
          `Missing required parameter: '${field}'.`,
          'invalid_request_error',
          'missing_required_parameter',
          field,
        );
        return;
      }
    }
    const input = json.input as string;
    if (input.length > 4096) {
      openAiError(
        res,
        400,
        'input: string too long (maximum 4096 characters)',
        'invalid_request_error',
        null,
        'input',
      );
      return;
    }
    const format = json.response_format ?? 'mp3';
    if (typeof format !== 'string' || !FORMATS.has(format)) {
      openAiError(
        res,
        400,
        `Invalid value for response_format: ${String(format)}`,
        'invalid_request_error',
        null,
        'response_format',
      );
      return;
    }
    if (format !== 'pcm') {
      // This stand-in only renders the raw format the client must ask for.
      openAiError(
        res,
        400,
        `response_format ${format} is not rendered by this test server`,
        'invalid_request_error',
      );
      return;
    }
    if (mode.kind === 'hang') return;
    if (mode.kind === 'silent-headers') {
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      res.flushHeaders();
      return;
    }
    const audio = await spokenAudio(input, OPENAI_SPEECH_RATE, 'pcm16');
    server.streams.push(streamAudio(res, audio, 'audio/pcm', mode, options));
  });
  return Object.assign(base, { baseUrl: `${base.origin}/v1`, apiKey });
}
