/**
 * UDP and TCP sockets for SIP on one address and port. Frames TCP streams by Content-Length
 * (RFC 3261 §18.3), answers CRLF keep-alive pings (RFC 5626 §4.4.1), and reuses the connection a request
 * came on for its responses (RFC 3261 §18.2.2). Optionally a WebSocket listener on a port of its own
 * (RFC 7118, `sip-websocket.ts`), whose flows are named like TCP connections: address and port.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../../logging/logger.js';
import { SipWebSocketListener, type SipWebSocketOptions } from './sip-websocket.js';

/** `ws` covers WSS too: which one the listener speaks is its own setting (`SipWebSocketListener.secure`). */
export type TransportName = 'udp' | 'tcp' | 'ws';

export interface Destination {
  transport: TransportName;
  address: string;
  port: number;
}

export interface SipTransportOptions {
  address: string;
  port: number;
  transports: Array<'udp' | 'tcp'>;
  logger: Logger;
  /** SIP over WebSocket on its own host and port (browsers); absent = off. */
  websocket?: Omit<SipWebSocketOptions, 'logger'>;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** Largest message accepted on TCP before the connection is dropped (the largest UDP datagram). */
const MAX_MESSAGE_BYTES = 65_535;
/** TCP connections idle this long (ms) are closed. */
const TCP_IDLE_MS = 600_000;

function key(address: string, port: number): string {
  return `${address}:${port}`;
}

export class SipTransport {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly connections = new Map<string, net.Socket>();
  private boundPort = 0;
  readonly websocket?: SipWebSocketListener;
  onData: (data: Buffer, from: Destination) => void = () => undefined;
  /** A WebSocket flow closed. */
  onFlowClosed: (flow: Destination) => void = () => undefined;

  constructor(private readonly options: SipTransportOptions) {
    if (options.websocket) {
      this.websocket = new SipWebSocketListener({ ...options.websocket, logger: options.logger });
      this.websocket.onMessage = (data, address, port) =>
        this.onData(data, { transport: 'ws', address, port });
      this.websocket.onClose = (address, port) => this.onFlowClosed({ transport: 'ws', address, port });
    }
  }

  get port(): number {
    return this.boundPort;
  }

  get tcpConnections(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    // With port 0 both transports must land on the same port: take UDP's, retry if TCP loses the race.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.bind(this.options.port);
        await this.startWebsocket();
        return;
      } catch (err) {
        await this.stop();
        if (this.options.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new Error('could not bind UDP and TCP to one free port');
  }

  private async startWebsocket(): Promise<void> {
    if (!this.websocket || !this.options.websocket) return;
    try {
      await this.websocket.start();
    } catch (err) {
      const { host, port } = this.options.websocket;
      await this.stop();
      // Not a port race of UDP and TCP: say which listener and setting it was.
      throw new Error(
        `sip.websocket: cannot listen on ${host}:${port}: ${(err as Error).message} (set sip.websocket.port, or 0 for any free port)`,
      );
    }
  }

  private async bind(port: number): Promise<void> {
    const { address, transports } = this.options;
    if (transports.includes('udp')) {
      const udp = dgram.createSocket({
        type: net.isIPv6(address) ? 'udp6' : 'udp4',
        recvBufferSize: 4 << 20,
      });
      udp.on('message', (msg, rinfo) =>
        this.onData(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port }),
      );
      udp.on('error', (err) => this.options.logger.warn({ err: err.message }, 'sip udp socket error'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.udp = udp;
      port = udp.address().port;
    }
    if (transports.includes('tcp')) {
      const tcp = net.createServer((socket) => this.adopt(socket));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.tcp = tcp;
      port = (tcp.address() as net.AddressInfo).port;
    }
    this.boundPort = port;
  }

  send(data: string, dest: Destination): void {
    if (dest.transport === 'ws') {
      // A browser cannot be connected to (RFC 7118 §5): its flow is open, or the message is lost.
      if (!this.websocket?.send(data, dest.address, dest.port))
        this.options.logger.debug({ peer: key(dest.address, dest.port) }, 'sip websocket flow is gone');
      return;
    }
    if (dest.transport === 'udp') {
      if (!this.udp) throw new Error('UDP transport is not enabled (sip.transports)');
      this.udp.send(data, dest.port, dest.address, (err) => {
        if (err) this.options.logger.debug({ err: err.message }, 'sip udp send failed');
      });
      return;
    }
    const k = key(dest.address, dest.port);
    let socket = this.connections.get(k);
    if (!socket || socket.destroyed) {
      socket = net.connect({ host: dest.address, port: dest.port });
      this.adopt(socket, k);
    }
    socket.write(data);
  }

  private adopt(socket: net.Socket, knownKey?: string): void {
    const k = knownKey ?? key(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.connections.set(k, socket);
    socket.setNoDelay(true);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('connect', () => {
      remote.address = socket.remoteAddress ?? remote.address;
      remote.port = socket.remotePort ?? remote.port;
    });
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      buffer = this.frames(buffer, socket, remote);
    });
    socket.on('error', (err) => this.options.logger.debug({ err: err.message }, 'sip tcp connection error'));
    socket.on('close', () => {
      if (this.connections.get(k) === socket) this.connections.delete(k);
    });
  }

  /** Emits every complete message in `buffer`; returns the unconsumed rest. */
  private frames(buffer: Buffer, socket: net.Socket, remote: { address: string; port: number }): Buffer {
    for (;;) {
      let start = 0;
      while (buffer[start] === 0x0d || buffer[start] === 0x0a) start++;
      if (start > 0) {
        // A CRLFCRLF ping gets a CRLF pong (RFC 5626 §4.4.1).
        if (start >= 4) socket.write('\r\n');
        buffer = buffer.subarray(start);
      }
      const end = buffer.indexOf(CRLF2);
      if (end < 0) {
        if (buffer.length > MAX_MESSAGE_BYTES) socket.destroy();
        return buffer;
      }
      const head = buffer.toString('latin1', 0, end);
      const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
      const length = m ? Number(m[1]) : 0;
      if (length > MAX_MESSAGE_BYTES) {
        socket.destroy();
        return Buffer.alloc(0);
      }
      const total = end + 4 + length;
      if (buffer.length < total) return buffer;
      const frame = Buffer.from(buffer.subarray(0, total));
      buffer = buffer.subarray(total);
      this.onData(frame, { transport: 'tcp', address: remote.address, port: remote.port });
    }
  }

  async stop(): Promise<void> {
    await this.websocket?.stop();
    for (const socket of this.connections.values()) socket.destroy();
    this.connections.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
}
