/**
 * Matches messages to transactions (RFC 3261 §17.1.3, §17.2.3), stamps received/rport on incoming
 * requests (RFC 3261 §18.2.1, RFC 3581 §4) and hands everything unmatched to the transaction user.
 */
import type { Logger } from '../../../logging/logger.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { formatVia, type Via } from './sip-uri.js';
import { ClientTransaction, type ClientCallbacks } from './client-transaction.js';
import { ServerTransaction } from './server-transaction.js';
import type { Destination } from './sip-transport.js';
import type { TransactionContext } from './transaction-context.js';
import type { TimerRegistry } from './timer-registry.js';

const MAGIC = 'z9hG4bK';

export interface TransactionUser {
  /** A new request. `tx` is undefined for ACK (no transaction for ACK to a 2xx, RFC 3261 §17). */
  onRequest(request: SipRequest, tx: ServerTransaction | undefined, source: Destination): void;
  /** A response no client transaction matched (a 2xx retransmission after the transaction ended). */
  onStrayResponse(response: SipResponse, source: Destination): void;
  /** False drops a new request from `source` unanswered, before it gets a transaction (a banned source). */
  accepts?(source: Destination): boolean;
}

export interface TransactionLayerOptions {
  t1: number;
  t2: number;
  t4: number;
  timers: TimerRegistry;
  send(data: string, dest: Destination): void;
  logger: Logger;
}

function serverKey(request: SipRequest, method: string): string {
  const via = request.vias[0] as Via;
  if (via.branch?.startsWith(MAGIC)) return `${via.branch}|${via.host}:${via.port ?? ''}|${method}`;
  // RFC 2543 peers: fall back to the dialog/CSeq identifiers (RFC 3261 §17.2.3, simplified).
  return `2543|${request.callId}|${request.cseq.seq}|${request.from.params.tag ?? ''}|${method}`;
}

/** RFC 3581 §4: record where the request really came from, so responses go back there. */
function stamp(request: SipRequest, source: Destination): void {
  const via = request.vias[0] as Via;
  let changed = false;
  if (via.host !== source.address || 'rport' in via.params) {
    via.params.received = source.address;
    changed = true;
  }
  if ('rport' in via.params) {
    via.params.rport = String(source.port);
    changed = true;
  }
  if (changed) request.headers.replaceFirst('via', formatVia(via));
}

/** RFC 3261 §18.2.2: UDP responses go to received (or sent-by) at rport (or the Via port). */
function replyDestination(request: SipRequest, source: Destination): Destination {
  if (source.transport !== 'udp') return source;
  const via = request.vias[0] as Via;
  const rport = via.params.rport ? Number(via.params.rport) : undefined;
  return {
    transport: 'udp',
    address: via.params.received ?? via.host,
    port: rport ?? via.port ?? 5060,
  };
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly ctx: TransactionContext;
  user?: TransactionUser;

  constructor(private readonly options: TransactionLayerOptions) {
    this.ctx = {
      t1: options.t1,
      t2: options.t2,
      t4: options.t4,
      timers: options.timers,
      send: options.send,
      terminated: (key, kind) => (kind === 'server' ? this.servers : this.clients).delete(key),
    };
  }

  stats(): { serverTransactions: number; clientTransactions: number } {
    return { serverTransactions: this.servers.size, clientTransactions: this.clients.size };
  }

  receiveRequest(request: SipRequest, source: Destination): void {
    stamp(request, source);
    // An ACK to a non-2xx belongs to the INVITE's transaction (RFC 3261 §17.2.3); any other request's
    // key is also the key of the transaction it starts.
    const key = serverKey(request, request.method === 'ACK' ? 'INVITE' : request.method);
    const existing = this.servers.get(key);
    if (existing) {
      existing.receive(request);
      return;
    }
    if (this.user?.accepts?.(source) === false) return;
    if (request.method === 'ACK') {
      this.user?.onRequest(request, undefined, source);
      return;
    }
    const tx = new ServerTransaction(this.ctx, key, request, replyDestination(request, source));
    this.servers.set(tx.key, tx);
    this.user?.onRequest(request, tx, source);
  }

  /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2). */
  findInviteFor(cancel: SipRequest): ServerTransaction | undefined {
    return this.servers.get(serverKey(cancel, 'INVITE'));
  }

  receiveResponse(response: SipResponse, source: Destination): void {
    const branch = response.vias[0]?.branch ?? '';
    const tx = this.clients.get(`${branch}|${response.cseq.method}`);
    if (tx) tx.receive(response);
    else this.user?.onStrayResponse(response, source);
  }

  /** Starts a client transaction for a request whose top Via carries `branch`. */
  sendRequest(
    method: string,
    branch: string,
    text: string,
    dest: Destination,
    callbacks: ClientCallbacks,
    buildAck?: (response: SipResponse) => string,
  ): ClientTransaction {
    const key = `${branch}|${method}`;
    const tx = new ClientTransaction(this.ctx, key, method, text, dest, callbacks, buildAck);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends a message outside any transaction (ACK for 2xx, 2xx retransmissions). */
  sendRaw(text: string, dest: Destination): void {
    this.options.send(text, dest);
  }

  stop(): void {
    for (const tx of [...this.servers.values()]) tx.abort();
    for (const tx of [...this.clients.values()]) tx.terminate();
  }
}
