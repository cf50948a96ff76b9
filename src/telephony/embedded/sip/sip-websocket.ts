/**
 * SIP over WebSocket (RFC 7118) for browsers: one SIP message per text frame, subprotocol `sip`
 * (§4.1), each connection a flow. Browsers cannot accept connections (their Contact host is
 * `.invalid`, §5.2), so every response and in-dialog request towards a browser goes back over the
 * connection its dialog came on; a connection is named by its remote address and port.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../../logging/logger.js';

export interface SipWebSocketOptions {
  host: string;
  port: number;
  /** PEM files: WSS when both are set. */
  tlsCert?: string;
  tlsKey?: string;
  maxConnections: number;
  pingIntervalMs: number;
  logger: Logger;
}

/** The largest SIP message accepted in one frame (the largest UDP datagram, as on TCP). */
export const MAX_WS_MESSAGE_BYTES = 65_535;
/** Close code for a frame that is not a SIP message (RFC 6455 §7.4.1: 1003 unsupported data). */
const UNSUPPORTED_DATA = 1003;

interface Flow {
  socket: WebSocket;
  alive: boolean;
}

export class SipWebSocketListener {
  private server?: http.Server | https.Server;
  private wss?: WebSocketServer;
  private pinger?: NodeJS.Timeout;
  private readonly flows = new Map<string, Flow>();
  private boundPort = 0;
  /** One SIP message from a connection (`address`, `port` name the flow). */
  onMessage: (data: Buffer, address: string, port: number) => void = () => undefined;
  /** A connection closed (the browser left, a missed pong, stop): its dialogs cannot go on. */
  onClose: (address: string, port: number) => void = () => undefined;

  constructor(private readonly options: SipWebSocketOptions) {}

  get port(): number {
    return this.boundPort;
  }

  get secure(): boolean {
    return Boolean(this.options.tlsCert && this.options.tlsKey);
  }

  get connections(): number {
    return this.flows.size;
  }

  async start(): Promise<void> {
    const { host, port, tlsCert, tlsKey } = this.options;
    const server = this.secure
      ? https.createServer({ cert: readFileSync(tlsCert as string), key: readFileSync(tlsKey as string) })
      : http.createServer();
    // Plain HTTP requests to the listener get a short answer, not a hanging socket.
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('SIP over WebSocket (RFC 7118): connect with subprotocol "sip"\n');
    });
    const wss = new WebSocketServer({
      server,
      maxPayload: MAX_WS_MESSAGE_BYTES,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
      verifyClient: (info, done) => {
        // RFC 7118 §4.1: the client must offer the "sip" subprotocol; anything else is not for us.
        const offered = String(info.req.headers['sec-websocket-protocol'] ?? '').split(',');
        if (!offered.some((p) => p.trim() === 'sip'))
          return done(false, 400, 'WebSocket subprotocol "sip" required (RFC 7118)');
        if (this.flows.size < this.options.maxConnections) return done(true);
        this.options.logger.warn(
          { limit: this.options.maxConnections },
          'sip websocket connection refused: sip.websocket.max_connections reached',
        );
        done(false, 503, 'Too many SIP WebSocket connections');
      },
    });
    wss.on('connection', (socket, req) => this.adopt(socket, req));
    // ws re-emits the HTTP server's errors here; the listen error is handled below, later ones logged.
    wss.on('error', (err) => this.options.logger.debug({ err: err.message }, 'sip websocket listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.warn({ err: err.message }, 'sip websocket server error'));
    this.server = server;
    this.wss = wss;
    this.boundPort = (server.address() as AddressInfo).port;
    // A browser that vanished (sleep, network change) never closes its socket: pings find it.
    this.pinger = setInterval(() => this.ping(), this.options.pingIntervalMs);
    this.pinger.unref();
  }

  private adopt(socket: WebSocket, req: http.IncomingMessage): void {
    const address = req.socket.remoteAddress ?? '';
    const port = req.socket.remotePort ?? 0;
    const k = `${address}:${port}`;
    const flow: Flow = { socket, alive: true };
    this.flows.set(k, flow);
    socket.on('pong', () => (flow.alive = true));
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      // RFC 7118 §5.1: a message is one frame; text or binary both carry it. Bare CRLF is a keep-alive.
      if (!isBinary && /^[\r\n]*$/.test(bytes.toString('latin1'))) return;
      if (bytes.length === 0) return;
      this.onMessage(bytes, address, port);
    });
    socket.on('error', (err) => {
      // Oversized frames and protocol errors: ws closes the socket itself (1009/1002); say why.
      this.options.logger.debug({ err: err.message, peer: k }, 'sip websocket error');
    });
    socket.on('close', () => {
      if (this.flows.get(k) === flow) this.flows.delete(k);
      this.onClose(address, port);
    });
  }

  private ping(): void {
    for (const [k, flow] of this.flows) {
      if (!flow.alive) {
        this.options.logger.debug({ peer: k }, 'sip websocket missed its pong; closing');
        flow.socket.terminate();
        this.flows.delete(k);
        continue;
      }
      flow.alive = false;
      flow.socket.ping();
    }
  }

  /** True while the connection named by address:port is open. */
  has(address: string, port: number): boolean {
    return this.flows.has(`${address}:${port}`);
  }

  /** Sends one SIP message on the flow; false when that connection is gone (the browser left). */
  send(data: string, address: string, port: number): boolean {
    const flow = this.flows.get(`${address}:${port}`);
    if (!flow || flow.socket.readyState !== flow.socket.OPEN) return false;
    flow.socket.send(data);
    return true;
  }

  /** Closes a connection whose frames are not SIP (a client speaking something else). */
  refuse(address: string, port: number, reason: string): void {
    this.flows.get(`${address}:${port}`)?.socket.close(UNSUPPORTED_DATA, reason.slice(0, 120));
  }

  async stop(): Promise<void> {
    clearInterval(this.pinger);
    for (const flow of this.flows.values()) flow.socket.terminate();
    this.flows.clear();
    const server = this.server;
    this.server = undefined;
    this.wss?.close();
    this.wss = undefined;
    if (server) {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
