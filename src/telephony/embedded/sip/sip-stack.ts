/**
 * Transport + parser + transaction layer in one object: what the embedded backend's SIP code talks to.
 * Malformed requests that can be answered get 400/416/505 (RFC 3261 §8.2, RFC 4475); the rest are dropped.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Logger } from '../../../logging/logger.js';
import { buildResponse, newBranch } from './sip-builder.js';
import type { SipResponse } from './sip-message.js';
import { parseSipMessage } from './sip-parser.js';
import { SipTransport, type Destination, type TransportName } from './sip-transport.js';
import type { SipWebSocketOptions } from './sip-websocket.js';
import { TimerRegistry } from './timer-registry.js';
import { TransactionLayer, type TransactionUser } from './transaction-layer.js';
import type { ClientCallbacks } from './client-transaction.js';
import { parseUri } from './sip-uri.js';

export interface SipStackOptions {
  address: string;
  port: number;
  transports: Array<'udp' | 'tcp'>;
  /** SIP over WebSocket for browsers (RFC 7118); absent = off. */
  websocket?: Omit<SipWebSocketOptions, 'logger'>;
  publicAddress: string;
  t1: number;
  t2: number;
  t4: number;
  userAgent: string;
  logger: Logger;
}

export interface SipStackStats {
  serverTransactions: number;
  clientTransactions: number;
  timers: number;
  tcpConnections: number;
  wsConnections: number;
  malformed: number;
  dropped: number;
}

export class SipStack {
  readonly timers = new TimerRegistry();
  readonly transactions: TransactionLayer;
  private readonly transport: SipTransport;
  private malformed = 0;
  dropped = 0;
  /** Who to tell when a WebSocket flow closes, by `address:port`. */
  private readonly flowWatchers = new Map<string, Set<() => void>>();

  constructor(readonly options: SipStackOptions) {
    this.transport = new SipTransport({
      address: options.address,
      port: options.port,
      transports: options.transports,
      logger: options.logger,
      ...(options.websocket ? { websocket: options.websocket } : {}),
    });
    this.transactions = new TransactionLayer({
      t1: options.t1,
      t2: options.t2,
      t4: options.t4,
      timers: this.timers,
      send: (data, dest) => this.send(data, dest),
      logger: options.logger,
    });
    this.transport.onData = (data, from) => this.receive(data, from);
    this.transport.onFlowClosed = (flow) => {
      const key = `${flow.address}:${flow.port}`;
      const watchers = this.flowWatchers.get(key);
      this.flowWatchers.delete(key);
      for (const w of watchers ?? []) w();
    };
  }

  /**
   * Calls `onClosed` when the WebSocket connection `flow` closes (RFC 7118 §5: a dialog over it cannot
   * outlive it). Returns the function that stops watching.
   */
  watchFlow(flow: Destination, onClosed: () => void): () => void {
    const key = `${flow.address}:${flow.port}`;
    let watchers = this.flowWatchers.get(key);
    if (!watchers) this.flowWatchers.set(key, (watchers = new Set()));
    watchers.add(onClosed);
    return () => {
      watchers.delete(onClosed);
      if (watchers.size === 0 && this.flowWatchers.get(key) === watchers) this.flowWatchers.delete(key);
    };
  }

  set user(user: TransactionUser) {
    this.transactions.user = user;
  }

  get port(): number {
    return this.transport.port;
  }

  /** The SIP over WebSocket port actually bound; undefined when the listener is off. */
  get websocketPort(): number | undefined {
    return this.transport.websocket?.port;
  }

  /** `wss` when the WebSocket listener has a certificate, else `ws` (undefined when it is off). */
  get websocketScheme(): 'ws' | 'wss' | undefined {
    const ws = this.transport.websocket;
    return ws ? (ws.secure ? 'wss' : 'ws') : undefined;
  }

  /** Host we advertise in Via, Contact and SDP. */
  get host(): string {
    const a = this.options.publicAddress || this.options.address;
    return a === '0.0.0.0' || a === '::' ? '127.0.0.1' : a;
  }

  async start(): Promise<void> {
    await this.transport.start();
  }

  async stop(): Promise<void> {
    this.transactions.stop();
    this.timers.clearAll();
    await this.transport.stop();
  }

  stats(): SipStackStats {
    return {
      ...this.transactions.stats(),
      timers: this.timers.size,
      tcpConnections: this.transport.tcpConnections,
      wsConnections: this.transport.websocket?.connections ?? 0,
      malformed: this.malformed,
      dropped: this.dropped,
    };
  }

  send(data: string, dest: Destination): void {
    try {
      this.transport.send(data, dest);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'sip send failed');
    }
  }

  /** Via and Contact name the WebSocket listener's own scheme and port (RFC 7118 §5.2). */
  private sentBy(transport: TransportName): { name: string; port: number } {
    if (transport !== 'ws') return { name: transport, port: this.port };
    return { name: this.websocketScheme ?? 'ws', port: this.websocketPort ?? 0 };
  }

  via(transport: TransportName, branch: string): string {
    const { name, port } = this.sentBy(transport);
    return `SIP/2.0/${name.toUpperCase()} ${this.host}:${port};branch=${branch};rport`;
  }

  contact(user: string, transport: TransportName): string {
    const { name, port } = this.sentBy(transport);
    const t = transport === 'udp' ? '' : `;transport=${name}`;
    return `<sip:${user ? `${encodeURIComponent(user).replace(/%2B/g, '+')}@` : ''}${this.host}:${port}${t}>`;
  }

  /** Starts a client transaction; returns the branch used. */
  request(
    method: string,
    build: (via: string, branch: string) => string,
    dest: Destination,
    callbacks: ClientCallbacks,
    buildAck?: (response: SipResponse) => string,
  ): string {
    const branch = newBranch();
    const text = build(this.via(dest.transport, branch), branch);
    this.transactions.sendRequest(method, branch, text, dest, callbacks, buildAck);
    return branch;
  }

  private receive(data: Buffer, from: Destination): void {
    const result = parseSipMessage(data);
    if ('message' in result) {
      const msg = result.message;
      try {
        if (msg.kind === 'request') this.transactions.receiveRequest(msg, from);
        else this.transactions.receiveResponse(msg, from);
      } catch (err) {
        this.options.logger.error({ err }, 'sip message handling failed');
      }
      return;
    }
    this.malformed++;
    this.options.logger.debug(
      { error: result.error, peer: `${from.address}:${from.port}` },
      'malformed sip message',
    );
    // Answer only when a request's top Via could be read; never answer an ACK (RFC 3261 §17.2.1).
    const via = result.headers?.get('via');
    // Any SIP version in the Via will do: a SIP/7.0 request still learns it needs SIP/2.0 (505).
    const answerable =
      result.method !== 'ACK' && via !== undefined && /^SIP\s*\/\s*\d+\.\d+\s*\/\s*\w+\s+\S+/i.test(via);
    if (!answerable || !result.status) {
      // A WebSocket client is told why instead of getting silence: its connection closes with the reason.
      if (from.transport === 'ws')
        this.transport.websocket?.refuse(from.address, from.port, `not a SIP message: ${result.error}`);
      return;
    }
    // The Via could not be trusted for routing, so answer where the bytes came from.
    const text = buildResponse(result, result.status, {
      headers: [['Warning', `399 ${this.host} "${result.error.replace(/["\r\n\\]/g, ' ').slice(0, 100)}"`]],
      serverHeader: this.options.userAgent,
    });
    this.send(text, from);
  }

  /**
   * Where to send a request for `uri` (RFC 3263 reduced to A records: host, port or 5060, the
   * transport parameter or the given default).
   */
  async resolve(uri: string, defaultTransport: TransportName): Promise<Destination> {
    const parsed = parseUri(uri);
    if (!parsed || parsed.scheme === 'tel' || !parsed.host)
      throw new Error(`cannot route to ${JSON.stringify(uri)}`);
    const t = (parsed.params.transport ?? defaultTransport).toLowerCase();
    const transport: TransportName = t === 'tcp' ? 'tcp' : 'udp';
    const host = parsed.host.replace(/^\[|\]$/g, '');
    const address = net.isIP(host) ? host : (await lookup(host)).address;
    return { transport, address, port: parsed.port ?? 5060 };
  }

  /** Synchronous form for in-dialog targets, which are addresses in practice. */
  resolveSync(uri: string, defaultTransport: TransportName): Destination | undefined {
    const parsed = parseUri(uri);
    if (!parsed || !parsed.host) return undefined;
    const host = parsed.host.replace(/^\[|\]$/g, '');
    if (!net.isIP(host)) return undefined;
    const t = (parsed.params.transport ?? defaultTransport).toLowerCase();
    return { transport: t === 'tcp' ? 'tcp' : 'udp', address: host, port: parsed.port ?? 5060 };
  }
}
