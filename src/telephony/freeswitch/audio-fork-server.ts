import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../logging/logger.js';

/** The WebSocket subprotocol mod_audio_fork asks for (MOD_AUDIO_FORK_SUBPROTOCOL_NAME's default). */
export const AUDIO_FORK_SUBPROTOCOL = 'audio.drachtio.org';
/** 20 ms of 8 kHz mono: the frame size the port promises (AudioTap). */
export const FORK_FRAME_SAMPLES = 160;
const FRAME_BYTES = FORK_FRAME_SAMPLES * 2;
/** mod_audio_fork sends 320 or 640 bytes per message; anything this large is not a fork. */
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface AudioForkServerOptions {
  address: string;
  /** 0 = any free port. */
  port: number;
  /** The URL FreeSWITCH dials; empty = ws://<address>:<bound port>. */
  url: string;
  logger: Logger;
}

/**
 * One call's audio arriving from mod_audio_fork: a text frame of metadata first, then binary frames of
 * s16le PCM. Frames are usually 320 bytes (20 ms at 8 kHz) but the module may join two, so the
 * messages are read as one byte stream and cut into 160-sample frames.
 */
export class ForkConnection {
  /** The metadata text frame FreeSWITCH sent first, once it has arrived. */
  metadata: string | undefined;
  frames = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  private rest: Buffer = Buffer.alloc(0);
  private onFrame: ((frame: Int16Array) => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    onFrame: (frame: Int16Array) => void,
    private readonly log: Logger,
  ) {
    this.onFrame = onFrame;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number, reason: Buffer) => {
        this.onFrame = undefined;
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'audio fork socket error'));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
  }

  /** No more frames are delivered; the socket is closed (1000) and, if it lingers, dropped. */
  close(): void {
    this.onFrame = undefined;
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.ws.close(1000, 'stopped');
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!isBinary) {
      this.metadata ??= buf.toString('utf8');
      return;
    }
    const onFrame = this.onFrame;
    if (!onFrame) return;
    const bytes = this.rest.length ? Buffer.concat([this.rest, buf]) : buf;
    let off = 0;
    for (; off + FRAME_BYTES <= bytes.length; off += FRAME_BYTES) {
      const frame = new Int16Array(FORK_FRAME_SAMPLES);
      for (let i = 0; i < FORK_FRAME_SAMPLES; i++) frame[i] = bytes.readInt16LE(off + 2 * i);
      this.frames++;
      try {
        onFrame(frame);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'audio frame listener threw');
      }
    }
    // A copy: the remainder must not pin the whole message buffer.
    this.rest = Buffer.from(bytes.subarray(off));
  }
}

/** A fork this server is waiting for, on its own unguessable path. */
export interface PendingFork {
  /** What FreeSWITCH is told to connect to. */
  readonly url: string;
  /** Resolves once FreeSWITCH has connected; rejects on timeout, `fail` or server stop. */
  readonly connected: Promise<ForkConnection>;
  /** Gives up on the fork (FreeSWITCH reported a failure): `connected` rejects with `err`. */
  fail(err: Error): void;
}

interface Waiter {
  accept(ws: WebSocket): void;
  fail(err: Error): void;
}

/**
 * The WebSocket server mod_audio_fork streams call audio to. Each listen() registers a path token of
 * 24 random bytes; only a connection on a registered path is upgraded, once, so nobody who cannot read
 * the API command can feed audio into a call, and a fork cannot land on the wrong leg. Every other
 * path is refused at the upgrade with 404.
 */
export class AudioForkServer {
  private server: http.Server | undefined;
  private readonly wss: WebSocketServer;
  private readonly waiting = new Map<string, Waiter>();
  private base = '';
  private readonly log: Logger;

  constructor(private readonly opts: AudioForkServerOptions) {
    this.log = opts.logger.child({ component: 'audio-fork' });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      // RFC 6455 §4.2.2: echo the subprotocol the client asked for when we speak it.
      handleProtocols: (protocols) =>
        protocols.has(AUDIO_FORK_SUBPROTOCOL) ? AUDIO_FORK_SUBPROTOCOL : false,
    });
  }

  /** The URL forks connect under (a token path is appended per fork); '' before start. */
  get url(): string {
    return this.base;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((_req, res) => {
      res.writeHead(404).end();
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `freeswitch.audio_fork_address/audio_fork_port: cannot listen on ${this.opts.address}:${this.opts.port} (${err.code ?? err.message}); expected a free local address and port (0 = any port)`,
          ),
        ),
      );
      server.listen(this.opts.port, this.opts.address, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.address.includes(':') ? `[${this.opts.address}]` : this.opts.address;
    this.base = (this.opts.url || `ws://${host}:${port}`).replace(/\/+$/, '');
    this.log.info({ url: this.base }, 'audio fork server listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const w of [...this.waiting.values()]) w.fail(new Error('the audio fork server stopped'));
    this.waiting.clear();
    for (const ws of this.wss.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Registers a fork that must connect within `timeoutMs`; its frames go to `onFrame`. */
  expect(onFrame: (frame: Int16Array) => void, timeoutMs: number): PendingFork {
    if (!this.server) throw new Error('the audio fork server is not running');
    const token = randomBytes(24).toString('base64url');
    const url = `${this.base}/${token}`;
    let waiter!: Waiter;
    const connected = new Promise<ForkConnection>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          waiter.fail(
            new Error(
              `FreeSWITCH did not connect to ${this.base} within ${timeoutMs} ms; it must be able to reach freeswitch.audio_fork_url`,
            ),
          ),
        timeoutMs,
      );
      waiter = {
        accept: (ws) => {
          clearTimeout(timer);
          resolve(new ForkConnection(ws, onFrame, this.log));
        },
        fail: (err) => {
          clearTimeout(timer);
          this.waiting.delete(token);
          reject(err);
        },
      };
    });
    this.waiting.set(token, waiter);
    return { url, connected, fail: (err) => waiter.fail(err) };
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'audio fork upgrade socket error'));
    // The token is the last path segment, so a proxy in front may add a path prefix of its own.
    const token = (req.url ?? '').split('?')[0]?.split('/').filter(Boolean).pop() ?? '';
    const waiter = this.waiting.get(token);
    if (!waiter) {
      this.log.warn({ from: req.socket.remoteAddress }, 'audio fork connection on an unknown path refused');
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.waiting.delete(token);
    this.wss.handleUpgrade(req, socket, head, (ws) => waiter.accept(ws));
  }
}
