/**
 * A local server that speaks the OpenAI transcription API (`POST /v1/audio/transcriptions`,
 * multipart/form-data), for recogniser tests. It parses the multipart body for real, checks the
 * `Authorization: Bearer` key, the fields and that `file` is an 8 kHz mono 16-bit WAV with audio in it,
 * and answers `{"text": ...}` with the words the test scripted (`say`) when the audio holds speech.
 * Errors use OpenAI's documented shape `{"error": {"message", "type", "param", "code"}}`.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  samples: number;
  rms: number;
}

export interface TranscriptionRequest {
  authorization: string | undefined;
  fields: Record<string, string>;
  file?: { filename: string; contentType: string; wav: WavInfo };
}

export type TranscriptionFault = { kind: 'status'; status: number; message?: string } | { kind: 'hang' };

export interface OpenAiTranscriptionServer {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: TranscriptionRequest[];
  /** The words of the next request whose audio holds speech. */
  say(text: string): void;
  /** Forgets scripted words not yet used. */
  reset(): void;
  fault(fault: TranscriptionFault | undefined): void;
  close(): Promise<void>;
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** multipart/form-data (RFC 7578) parts. */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error('no multipart boundary in the body');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts; // closing delimiter
    if (body.subarray(at, at + 2).toString() !== '\r\n')
      throw new Error('malformed multipart delimiter line');
    at += 2;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw new Error('a multipart part without a header end');
    const headers = body.subarray(at, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('a multipart part without a closing delimiter');
    const data = body.subarray(headerEnd + 4, next);
    let name: string | undefined;
    let filename: string | undefined;
    let contentType: string | undefined;
    for (const line of headers) {
      const [key, ...rest] = line.split(':');
      const value = rest.join(':').trim();
      if (key?.toLowerCase() === 'content-disposition') {
        name = /\bname="([^"]*)"/.exec(value)?.[1];
        filename = /\bfilename="([^"]*)"/.exec(value)?.[1];
      } else if (key?.toLowerCase() === 'content-type') contentType = value;
    }
    if (!name) throw new Error('a multipart part without a name');
    parts.push({
      name,
      data,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType ? { contentType } : {}),
    });
    at = next + 2;
  }
}

/** A RIFF/WAVE file's PCM format and samples; throws on anything else. */
function parseWav(buf: Buffer): WavInfo {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('file is not a RIFF/WAVE file');
  }
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      if (fmt.format !== 1) throw new Error(`WAV format ${fmt.format} is not PCM`);
      if (body + size > buf.length) throw new Error('data chunk is longer than the file');
      const samples = size / 2;
      let sum = 0;
      for (let i = 0; i < samples; i++) sum += buf.readInt16LE(body + i * 2) ** 2;
      return {
        sampleRate: fmt.rate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        samples,
        rms: samples > 0 ? Math.sqrt(sum / samples) : 0,
      };
    }
    at = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

const error = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

export async function startOpenAiTranscriptionServer(options: {
  apiKey: string;
  speechRms?: number;
}): Promise<OpenAiTranscriptionServer> {
  const requests: TranscriptionRequest[] = [];
  const script: string[] = [];
  let fault: TranscriptionFault | undefined;
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (fault?.kind === 'hang') return;
      if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
        return reply(404, error(`Invalid URL (${req.method} ${req.url})`, 'invalid_request_error', null));
      }
      const record: TranscriptionRequest = { authorization: req.headers.authorization, fields: {} };
      requests.push(record);
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${options.apiKey}`) {
        const given = auth.replace(/^Bearer\s+/, '');
        const masked = given.length > 8 ? `${given.slice(0, 3)}*****${given.slice(-4)}` : '*****';
        return reply(
          401,
          error(
            `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            'invalid_request_error',
            'invalid_api_key',
          ),
        );
      }
      if (fault?.kind === 'status') {
        return reply(
          fault.status,
          error(
            fault.message ?? 'The server had an error while processing your request.',
            'server_error',
            null,
          ),
        );
      }
      const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
      if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '') || !boundary) {
        return reply(400, error('Expected multipart/form-data.', 'invalid_request_error', null));
      }
      let parts: Part[];
      try {
        parts = parseMultipart(Buffer.concat(chunks), (boundary[1] ?? boundary[2] ?? '').trim());
      } catch (err) {
        return reply(
          400,
          error(`Could not parse multipart form: ${(err as Error).message}`, 'invalid_request_error', null),
        );
      }
      for (const p of parts) if (p.filename === undefined) record.fields[p.name] = p.data.toString('utf8');
      const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
      if (!file) return reply(400, error("you must provide a 'file'", 'invalid_request_error', null, 'file'));
      if (!record.fields.model)
        return reply(400, error("you must provide a 'model'", 'invalid_request_error', null, 'model'));
      const format = record.fields.response_format ?? 'json';
      if (!['json', 'verbose_json', 'text'].includes(format)) {
        return reply(
          400,
          error(
            `response_format ${format} is not supported here`,
            'invalid_request_error',
            null,
            'response_format',
          ),
        );
      }
      if (record.fields.language !== undefined && !/^[a-z]{2}$/.test(record.fields.language)) {
        return reply(
          400,
          error(
            `Invalid language '${record.fields.language}'. Language parameter must be specified in ISO-639-1 format.`,
            'invalid_request_error',
            null,
            'language',
          ),
        );
      }
      let wav: WavInfo;
      try {
        wav = parseWav(file.data);
      } catch (err) {
        return reply(
          400,
          error(`Invalid file format: ${(err as Error).message}`, 'invalid_request_error', null, 'file'),
        );
      }
      record.file = { filename: file.filename ?? '', contentType: file.contentType ?? '', wav };
      if (wav.sampleRate !== 8000 || wav.channels !== 1 || wav.bitsPerSample !== 16 || wav.samples === 0) {
        return reply(
          400,
          error(
            `Expected 8 kHz mono 16-bit audio with samples, got ${JSON.stringify(wav)}`,
            'invalid_request_error',
            null,
            'file',
          ),
        );
      }
      const text = wav.rms > (options.speechRms ?? 300) ? (script.shift() ?? '') : '';
      reply(200, { text });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    say: (text) => script.push(text),
    reset: () => (script.length = 0),
    fault: (f) => (fault = f),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
