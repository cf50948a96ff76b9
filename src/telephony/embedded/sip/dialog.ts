/**
 * One SIP dialog (RFC 3261 §12): its identifiers, sequence numbers, remote target and route set, and the
 * requests sent inside it. Also retransmits our 2xx to an INVITE until the ACK arrives (§13.3.1.4).
 */
import { buildRequest, newBranch } from './sip-builder.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipStack } from './sip-stack.js';
import type { Destination, TransportName } from './sip-transport.js';
import { parseNameAddr, splitNameAddrList } from './sip-uri.js';

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From/To value without tag. */
  localAddr: string;
  /** Their From/To value without tag. */
  remoteAddr: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
  remoteSeq: number;
  transport: TransportName;
  /** Where requests go when the remote target cannot be resolved (the peer's signalling address). */
  fallback: Destination;
  contactUser: string;
}

export type DialogResponse = SipResponse | { status: 408; timeout: true };

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

export function stripTag(value: string): string {
  return value.replace(/;\s*tag=[^;>\s]*/i, '');
}

/**
 * The Record-Route entries of a message, one per proxy, top first: header lines and the comma-separated
 * values inside each (RFC 3261 §7.3.1). The UAS uses them in this order, the UAC reversed (§12.1.1, §12.1.2).
 */
export function recordRoutes(message: SipRequest | SipResponse): string[] {
  return message.headers.getAll('record-route').flatMap(splitNameAddrList);
}

/** Contact URI of a request or response, used as the remote target. */
export function contactUri(message: SipRequest | SipResponse): string | undefined {
  const c = message.headers.get('contact');
  return c ? parseNameAddr(c.split(',')[0] ?? '')?.uriText : undefined;
}

export class Dialog {
  readonly key: string;
  private localSeq: number;
  private remoteSeq: number;
  remoteTarget: string;
  private ackWaiter?: { cseq: number; done: (acked: boolean) => void; timer?: NodeJS.Timeout };
  /** The last ACK we sent for a 2xx, resent when that 2xx is retransmitted. */
  lastAck?: { cseq: number; text: string };

  constructor(
    private readonly stack: SipStack,
    readonly init: DialogInit,
  ) {
    this.key = dialogKey(init.callId, init.localTag, init.remoteTag);
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
  }

  get callId(): string {
    return this.init.callId;
  }

  get localUri(): string {
    return parseNameAddr(this.init.localAddr)?.uriText ?? this.init.localAddr;
  }

  /** Where in-dialog requests go: the first loose route, else the remote target (RFC 3261 §12.2.1.1). */
  destination(): Destination {
    // RFC 7118 §5: a browser's Contact host is `.invalid`; it is reached only over its own connection.
    if (this.init.transport === 'ws') return this.init.fallback;
    const first = this.init.routeSet[0];
    const target = first ? (parseNameAddr(first)?.uriText ?? '') : this.remoteTarget;
    return this.stack.resolveSync(target, this.init.transport) ?? this.init.fallback;
  }

  /** RFC 3261 §12.2.2: a lower CSeq than the last one is out of order (answered 500). */
  acceptRemoteSeq(request: SipRequest): boolean {
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    if (request.cseq.seq < this.remoteSeq) return false;
    this.remoteSeq = request.cseq.seq;
    return true;
  }

  private headersFor(
    method: string,
    seq: number,
    via: string,
    extra: Array<[string, string]>,
    body: string,
    contentType?: string,
  ): string {
    return buildRequest({
      method,
      uri: this.remoteTarget,
      via,
      from: `${this.init.localAddr};tag=${this.init.localTag}`,
      to: `${this.init.remoteAddr};tag=${this.init.remoteTag}`,
      callId: this.init.callId,
      cseq: seq,
      routes: this.init.routeSet,
      contact:
        method === 'INVITE' || method === 'REFER' || method === 'NOTIFY'
          ? this.stack.contact(this.init.contactUser, this.init.transport)
          : undefined,
      userAgent: this.stack.options.userAgent,
      headers: extra,
      body,
      contentType,
    }).text;
  }

  /** Sends an in-dialog request (not ACK) and resolves with its final response, or a timeout (Timer F/B). */
  request(
    method: string,
    extra: Array<[string, string]> = [],
    body = '',
    contentType?: string,
  ): Promise<DialogResponse> {
    const seq = ++this.localSeq;
    return new Promise((resolve) => {
      this.stack.request(
        method,
        (via) => this.headersFor(method, seq, via, extra, body, contentType),
        this.destination(),
        {
          onResponse: (r) => {
            if (r.status >= 200) resolve(r);
          },
          onTimeout: () => resolve({ status: 408, timeout: true }),
        },
      );
    });
  }

  /** ACK for a 2xx to our INVITE: a new request outside any transaction (RFC 3261 §13.2.2.4). */
  sendAck(inviteSeq: number, body = '', contentType?: string): void {
    const via = this.stack.via(this.init.transport, newBranch());
    const text = this.headersFor('ACK', inviteSeq, via, [], body, contentType).replace(
      /^CSeq: .*$/m,
      `CSeq: ${inviteSeq} ACK`,
    );
    this.lastAck = { cseq: inviteSeq, text };
    this.stack.send(text, this.destination());
  }

  resendAck(cseq: number): void {
    if (this.lastAck?.cseq === cseq) this.stack.send(this.lastAck.text, this.destination());
  }

  /**
   * Retransmits our 2xx (already sent once through the server transaction) at T1 doubling to T2 until
   * the ACK arrives; resolves false after 64*T1 without one (RFC 3261 §13.3.1.4).
   */
  awaitAck(cseq: number, response: string, replyTo: Destination): Promise<boolean> {
    const { t1, t2 } = this.stack.options;
    const timers = this.stack.timers;
    return new Promise((resolve) => {
      const started = Date.now();
      const waiter: NonNullable<Dialog['ackWaiter']> = {
        cseq,
        done: (acked) => {
          timers.clear(waiter.timer);
          if (this.ackWaiter === waiter) this.ackWaiter = undefined;
          resolve(acked);
        },
      };
      this.ackWaiter = waiter;
      const retransmit = (interval: number): void => {
        waiter.timer = timers.set(interval, () => {
          if (Date.now() - started >= 64 * t1) return waiter.done(false);
          if (replyTo.transport === 'udp') this.stack.send(response, replyTo);
          retransmit(Math.min(interval * 2, t2));
        });
      };
      retransmit(replyTo.transport === 'udp' ? t1 : 64 * t1);
    });
  }

  /** An ACK arrived in this dialog. */
  ackReceived(request: SipRequest): void {
    if (this.ackWaiter && this.ackWaiter.cseq === request.cseq.seq) this.ackWaiter.done(true);
  }

  /** Stops waiting for an ACK (dialog ended). */
  close(): void {
    this.ackWaiter?.done(false);
  }
}
