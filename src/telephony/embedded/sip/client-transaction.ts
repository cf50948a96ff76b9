/**
 * Client transactions (RFC 3261 §17.1) with the RFC 6026 Accepted state for 2xx to INVITE.
 *
 * INVITE:     Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
 *             Calling/Proceeding --3xx-6xx--> Completed (ACK sent) --D--> Terminated
 *             Calling --B (no response)--> Terminated + timeout       (A retransmits over UDP)
 * non-INVITE: Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
 *             Trying/Proceeding --F--> Terminated + timeout           (E retransmits over UDP)
 */
import type { SipResponse } from './sip-message.js';
import type { Destination } from './sip-transport.js';
import type { TransactionContext } from './transaction-context.js';

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientCallbacks {
  onResponse(response: SipResponse): void;
  /** Timer B or F fired: treat as 408 (RFC 3261 §8.1.3.1). */
  onTimeout(): void;
}

export class ClientTransaction {
  private stateValue: ClientState;
  private retransmitTimer?: NodeJS.Timeout;
  private endTimer?: NodeJS.Timeout;
  private ack?: string;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly method: string,
    private readonly request: string,
    readonly dest: Destination,
    private readonly callbacks: ClientCallbacks,
    /** Builds the ACK for a non-2xx final (same branch, RFC 3261 §17.1.1.3). */
    private readonly buildAck?: (response: SipResponse) => string,
  ) {
    this.stateValue = method === 'INVITE' ? 'calling' : 'trying';
  }

  get state(): ClientState {
    return this.stateValue;
  }

  private get reliable(): boolean {
    return this.dest.transport !== 'udp';
  }

  start(): void {
    const { t1, t2, timers } = this.ctx;
    this.ctx.send(this.request, this.dest);
    const invite = this.method === 'INVITE';
    if (!this.reliable) {
      // Timer A doubles without bound; Timer E doubles up to T2 and stays at T2 once Proceeding.
      const retransmit = (interval: number): void => {
        this.retransmitTimer = timers.set(interval, () => {
          const s = this.stateValue;
          if (s !== 'calling' && s !== 'trying' && s !== 'proceeding') return;
          if (invite && s === 'proceeding') return;
          this.ctx.send(this.request, this.dest);
          retransmit(invite ? interval * 2 : s === 'proceeding' ? t2 : Math.min(interval * 2, t2));
        });
      };
      retransmit(t1);
    }
    // Timer B / Timer F.
    this.endTimer = timers.set(64 * t1, () => {
      if (this.stateValue === 'completed' || this.stateValue === 'accepted') return;
      this.terminate();
      this.callbacks.onTimeout();
    });
  }

  receive(response: SipResponse): void {
    const s = this.stateValue;
    const { t1, t4, timers } = this.ctx;
    if (response.status < 200) {
      if (s === 'calling' || s === 'trying' || s === 'proceeding') {
        if (this.method === 'INVITE') timers.clear(this.retransmitTimer);
        this.stateValue = 'proceeding';
        this.callbacks.onResponse(response);
      }
      return;
    }
    if (s === 'completed') {
      // A retransmitted final: resend the ACK (RFC 3261 §17.1.1.2).
      if (this.ack) this.ctx.send(this.ack, this.dest);
      return;
    }
    if (s === 'accepted') {
      // RFC 6026 §8.4: 2xx retransmissions go to the TU, which resends its ACK.
      if (response.status < 300) this.callbacks.onResponse(response);
      return;
    }
    if (s === 'terminated') return;
    timers.clear(this.retransmitTimer);
    timers.clear(this.endTimer);
    if (this.method === 'INVITE' && response.status < 300) {
      this.stateValue = 'accepted';
      this.endTimer = timers.set(64 * t1, () => this.terminate());
    } else if (this.method === 'INVITE') {
      this.stateValue = 'completed';
      this.ack = this.buildAck?.(response);
      if (this.ack) this.ctx.send(this.ack, this.dest);
      // Timer D: 64*T1 on UDP (the RFC's 32 s at the default T1 of 500 ms), zero on reliable transports.
      if (this.reliable) this.terminate();
      else this.endTimer = timers.set(64 * t1, () => this.terminate());
    } else {
      this.stateValue = 'completed';
      // Timer K: T4 on UDP, zero on reliable transports.
      if (this.reliable) this.terminate();
      else this.endTimer = timers.set(t4, () => this.terminate());
    }
    this.callbacks.onResponse(response);
  }

  terminate(): void {
    if (this.stateValue === 'terminated') return;
    this.stateValue = 'terminated';
    this.ctx.timers.clear(this.retransmitTimer);
    this.ctx.timers.clear(this.endTimer);
    this.ctx.terminated(this.key, 'client');
  }
}
