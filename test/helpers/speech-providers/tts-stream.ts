/**
 * What the local text-to-speech servers share: real audio for a text (espeak-ng, converted by sox to
 * the rate and encoding the client asked for), sent in small chunks with chunked transfer encoding
 * the way a provider streams it, and the failures a test can ask for.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type TtsEncoding = 'pcm16' | 'ulaw' | 'alaw';

/** How the server answers the next synthesis requests. */
export type TtsServerMode =
  | { kind: 'ok' }
  /** The provider's own error body for this status (500, 503, 429...). */
  | { kind: 'status'; status: number }
  /** Accept the request and never answer (no status line). */
  | { kind: 'hang' }
  /** Send the 200 and headers, then no audio. */
  | { kind: 'silent-headers' }
  /** Send part of the audio, then close the connection mid-stream. */
  | { kind: 'cut'; afterBytes: number };

export interface AudioStreamRecord {
  /** The audio the server would send in full. */
  audio: Buffer;
  bytesSent: number;
  startedAt: number;
  /** Set when the last byte has been written and the response ended. */
  finishedAt?: number;
  /** The client closed the connection before the end of the audio. */
  clientClosedEarly: boolean;
  /** The server cut the stream on purpose (`cut` mode). */
  cutByServer: boolean;
  /** Resolves when the response closes, whichever side closed it. */
  closed: Promise<void>;
}

export interface TtsRequestRecord {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TtsServerBase {
  /** The server's origin, http://127.0.0.1:<port>. */
  origin: string;
  requests: TtsRequestRecord[];
  streams: AudioStreamRecord[];
  mode: TtsServerMode;
  close(): Promise<void>;
}

const rendered = new Map<string, Promise<Buffer>>();

/** espeak-ng's speech for `text`, as raw mono audio at `rate` in `encoding` (sox does the conversion). */
export function spokenAudio(text: string, rate: number, encoding: TtsEncoding): Promise<Buffer> {
  const key = JSON.stringify([text, rate, encoding]);
  let audio = rendered.get(key);
  if (!audio) {
    audio = render(text, rate, encoding);
    rendered.set(key, audio);
  }
  return audio;
}

function render(text: string, rate: number, encoding: TtsEncoding): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const espeak = spawn('espeak-ng', ['--stdout', '-v', 'en-us', '--stdin'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const format =
      encoding === 'pcm16'
        ? ['-e', 'signed-integer', '-b', '16']
        : ['-e', encoding === 'ulaw' ? 'u-law' : 'a-law', '-b', '8'];
    // espeak-ng's streamed WAV has a placeholder length: --ignore-length makes sox read to the end.
    const sox = spawn(
      'sox',
      ['--ignore-length', '-t', 'wav', '-', '-t', 'raw', '-r', String(rate), ...format, '-c', '1', '-L', '-'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    espeak.stdout.pipe(sox.stdin);
    espeak.stdin.end(text);
    const out: Buffer[] = [];
    let err = '';
    sox.stdout.on('data', (d: Buffer) => out.push(d));
    sox.stderr.on('data', (d: Buffer) => (err += d.toString()));
    espeak.on('error', reject);
    sox.on('error', reject);
    sox.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`sox exited with ${code}: ${err}`));
    });
  });
}

/**
 * Streams `audio` in chunks of `chunkBytes` (odd by default, so samples straddle chunk boundaries)
 * every `delayMs`, honouring a `cut` mode; records what was sent and whether the client left early.
 */
export function streamAudio(
  res: http.ServerResponse,
  audio: Buffer,
  contentType: string,
  mode: TtsServerMode,
  options: { chunkBytes?: number; delayMs?: number } = {},
): AudioStreamRecord {
  const chunkBytes = options.chunkBytes ?? 2401;
  const delayMs = options.delayMs ?? 15;
  let markClosed: () => void = () => undefined;
  const record: AudioStreamRecord = {
    audio,
    bytesSent: 0,
    startedAt: Date.now(),
    clientClosedEarly: false,
    cutByServer: false,
    closed: new Promise<void>((resolve) => (markClosed = resolve)),
  };
  res.on('close', () => {
    if (record.finishedAt === undefined && !record.cutByServer) record.clientClosedEarly = true;
    markClosed();
  });
  // No content-length: node sends `Transfer-Encoding: chunked`, as the providers do when streaming.
  res.writeHead(200, { 'content-type': contentType });
  const limit = mode.kind === 'cut' ? Math.min(mode.afterBytes, audio.length) : audio.length;
  const next = (): void => {
    if (res.destroyed) return;
    if (record.bytesSent >= limit) {
      if (mode.kind === 'cut') {
        // A mid-stream failure: the body stops without its terminating chunk.
        record.cutByServer = true;
        res.socket?.destroy();
        return;
      }
      record.finishedAt = Date.now();
      res.end();
      return;
    }
    const piece = audio.subarray(record.bytesSent, Math.min(limit, record.bytesSent + chunkBytes));
    record.bytesSent += piece.length;
    res.write(piece);
    setTimeout(next, delayMs);
  };
  next();
  return record;
}

/** Reads a request body to the end. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers JSON with a status. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A real HTTP server on 127.0.0.1, port 0, with the handler's requests recorded. */
export async function listenTts(
  handle: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: string,
    server: TtsServerBase,
  ) => Promise<void> | void,
): Promise<TtsServerBase> {
  const sockets = new Set<Socket>();
  const base: TtsServerBase = {
    origin: '',
    requests: [],
    streams: [],
    mode: { kind: 'ok' },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    void readBody(req).then(async (body) => {
      base.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      try {
        await handle(req, res, body, base);
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return base;
}
