/**
 * Server transactions (RFC 3261 §17.2) with the RFC 6026 Accepted state for 2xx to INVITE.
 *
 * INVITE:     Proceeding --1xx--> Proceeding --2xx--> Accepted --L--> Terminated
 *                         --3xx-6xx--> Completed --ACK--> Confirmed --I--> Terminated
 *                                                 --H (no ACK)--> Terminated   (G retransmits over UDP)
 * non-INVITE: Trying --1xx--> Proceeding --final--> Completed --J--> Terminated
 */
import type { SipRequest } from './sip-message.js';
import type { Destination } from './sip-transport.js';
import type { TransactionContext } from './transaction-context.js';

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

const ALLOWED: Record<ServerState, ServerState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['proceeding', 'completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

export class ServerTransaction {
  private stateValue: ServerState;
  private lastResponse?: string;
  private retransmitTimer?: NodeJS.Timeout;
  private endTimer?: NodeJS.Timeout;
  /** Set by the TU: called when no ACK arrived for a non-2xx final (Timer H). */
  onAckTimeout?: () => void;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly request: SipRequest,
    /** Where responses go (RFC 3261 §18.2.2 with RFC 3581 rport). */
    readonly replyTo: Destination,
  ) {
    this.stateValue = request.method === 'INVITE' ? 'proceeding' : 'trying';
  }

  get state(): ServerState {
    return this.stateValue;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  private get reliable(): boolean {
    return this.replyTo.transport !== 'udp';
  }

  private transition(next: ServerState): void {
    if (!ALLOWED[this.stateValue].includes(next)) {
      throw new Error(`server transaction ${this.key}: ${this.stateValue} -> ${next} not allowed`);
    }
    this.stateValue = next;
    if (next === 'terminated') {
      this.ctx.timers.clear(this.retransmitTimer);
      this.ctx.timers.clear(this.endTimer);
      this.ctx.terminated(this.key, 'server');
    }
  }

  /** Sends a response the TU built; ignored once a final response went out. */
  respond(status: number, text: string): void {
    const s = this.stateValue;
    if (s !== 'trying' && s !== 'proceeding') return;
    this.lastResponse = text;
    this.ctx.send(text, this.replyTo);
    if (status < 200) {
      if (s === 'trying') this.transition('proceeding');
      return;
    }
    const { t1, t2, timers } = this.ctx;
    if (this.isInvite && status < 300) {
      // RFC 6026 §7.1: Accepted absorbs INVITE retransmissions for 64*T1 (Timer L); the TU resends the 2xx.
      this.transition('accepted');
      this.endTimer = timers.set(64 * t1, () => this.transition('terminated'));
      return;
    }
    this.transition('completed');
    if (!this.isInvite) {
      // Timer J: 64*T1 on UDP to absorb request retransmissions, zero on reliable transports.
      if (this.reliable) this.transition('terminated');
      else this.endTimer = timers.set(64 * t1, () => this.transition('terminated'));
      return;
    }
    if (!this.reliable) {
      // Timer G: retransmit the final response, doubling up to T2 (RFC 3261 §17.2.1).
      const retransmit = (interval: number): void => {
        this.retransmitTimer = timers.set(interval, () => {
          if (this.stateValue !== 'completed' || !this.lastResponse) return;
          this.ctx.send(this.lastResponse, this.replyTo);
          retransmit(Math.min(interval * 2, t2));
        });
      };
      retransmit(t1);
    }
    // Timer H: give up waiting for the ACK.
    this.endTimer = timers.set(64 * t1, () => {
      this.transition('terminated');
      this.onAckTimeout?.();
    });
  }

  /** A retransmission of the request (or the ACK for a non-2xx final) matched this transaction. */
  receive(request: SipRequest): void {
    if (request.method === 'ACK') {
      if (this.stateValue !== 'completed') return;
      this.ctx.timers.clear(this.retransmitTimer);
      this.ctx.timers.clear(this.endTimer);
      this.transition('confirmed');
      // Timer I: T4 on UDP to absorb ACK retransmissions, zero on reliable transports.
      if (this.reliable) this.transition('terminated');
      else this.endTimer = this.ctx.timers.set(this.ctx.t4, () => this.transition('terminated'));
      return;
    }
    // RFC 3261 §17.2.1/§17.2.2: a retransmitted request gets the last response again. In Accepted the
    // TU retransmits the 2xx itself, so the request is absorbed (RFC 6026 §7.1).
    if (this.lastResponse && this.stateValue !== 'accepted' && this.stateValue !== 'confirmed') {
      this.ctx.send(this.lastResponse, this.replyTo);
    }
  }

  /** Ends the transaction at once (shutdown). */
  abort(): void {
    if (this.stateValue !== 'terminated') this.transition('terminated');
  }
}
