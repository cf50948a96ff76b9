/**
 * Client transactions (RFC 3261 §17.1) with the RFC 6026 Accepted state for 2xx to INVITE.
 *
 * INVITE (RFC 3261 §17.1.1 figure 5, RFC 6026 §8.4 figure 5):
 *             Calling --1xx--> Proceeding --1xx--> Proceeding
 *             Calling/Proceeding --2xx--> Accepted --M--> Terminated
 *             Calling/Proceeding --3xx-6xx--> Completed (ACK sent) --D--> Terminated
 *             Calling --B (no response)--> Terminated + timeout       (A retransmits over UDP)
 *             Proceeding has no timer: a callee may ring for as long as the TU lets it; the TU ends the
 *             wait with a CANCEL (RFC 3261 §17.1.1.2, §9.1).
 * non-INVITE (RFC 3261 §17.1.2 figure 6):
 *             Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
 *             Trying/Proceeding --F--> Terminated + timeout           (E retransmits over UDP)
 * Any state --transport error / shutdown--> Terminated.
 */
import type { SipResponse } from './sip-message.js';
import type { Destination } from './sip-transport.js';
import type { TransactionContext } from './transaction-context.js';

/**
 * - `calling`: INVITE sent, nothing heard yet (Timers A and B run).
 * - `trying`: non-INVITE sent, nothing heard yet (Timers E and F run).
 * - `proceeding`: a provisional arrived (INVITE: no timer; non-INVITE: E at T2 and F keep running).
 * - `completed`: a final arrived (INVITE: 3xx-6xx, ACKed, Timer D; non-INVITE: any final, Timer K).
 * - `accepted`: a 2xx to INVITE arrived; later 2xx go to the TU until Timer M (RFC 6026 §8.4).
 * - `terminated`: gone from the transaction table.
 */
export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type ClientKind = 'invite' | 'non-invite';

/** Every move the diagrams above allow; `clientTransition` refuses anything else. */
export const CLIENT_TRANSITIONS: Record<ClientKind, Partial<Record<ClientState, readonly ClientState[]>>> = {
  invite: {
    calling: ['proceeding', 'completed', 'accepted', 'terminated'],
    proceeding: ['proceeding', 'completed', 'accepted', 'terminated'],
    completed: ['terminated'],
    accepted: ['terminated'],
    terminated: [],
  },
  'non-invite': {
    trying: ['proceeding', 'completed', 'terminated'],
    proceeding: ['proceeding', 'completed', 'terminated'],
    completed: ['terminated'],
    terminated: [],
  },
};

/** Returns `to` when the table lists `from -> to` for this kind of transaction, else throws. */
export function clientTransition(kind: ClientKind, from: ClientState, to: ClientState): ClientState {
  if (!CLIENT_TRANSITIONS[kind][from]?.includes(to)) {
    throw new Error(`${kind} client transaction: ${from} -> ${to} not allowed`);
  }
  return to;
}

export interface ClientCallbacks {
  onResponse(response: SipResponse): void;
  /** Timer B or F fired: treat as 408 (RFC 3261 §8.1.3.1). */
  onTimeout(): void;
}

export class ClientTransaction {
  private stateValue: ClientState;
  private readonly kind: ClientKind;
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
    this.kind = method === 'INVITE' ? 'invite' : 'non-invite';
    this.stateValue = this.kind === 'invite' ? 'calling' : 'trying';
  }

  get state(): ClientState {
    return this.stateValue;
  }

  private get reliable(): boolean {
    return this.dest.transport !== 'udp';
  }

  private transition(next: ClientState): void {
    this.stateValue = clientTransition(this.kind, this.stateValue, next);
    if (next === 'terminated') {
      this.ctx.timers.clear(this.retransmitTimer);
      this.ctx.timers.clear(this.endTimer);
      this.ctx.terminated(this.key, 'client');
    }
  }

  start(): void {
    const { t1, t2, timers } = this.ctx;
    this.ctx.send(this.request, this.dest);
    const invite = this.kind === 'invite';
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
    // Timer B (Calling only, RFC 3261 §17.1.1.2) / Timer F (Trying and Proceeding, §17.1.2.2).
    this.endTimer = timers.set(64 * t1, () => {
      this.transition('terminated');
      this.callbacks.onTimeout();
    });
  }

  receive(response: SipResponse): void {
    const s = this.stateValue;
    const { t1, t4, timers } = this.ctx;
    if (response.status < 200) {
      if (s === 'calling' || s === 'trying' || s === 'proceeding') {
        if (this.kind === 'invite') {
          // RFC 3261 §17.1.1.2: a provisional stops Timer A and leaves Calling, the only state where
          // Timer B may fire, so a callee can ring past 64*T1.
          timers.clear(this.retransmitTimer);
          timers.clear(this.endTimer);
          this.endTimer = undefined;
        }
        this.transition('proceeding');
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
    if (this.kind === 'invite' && response.status < 300) {
      this.transition('accepted');
      // Timer M (RFC 6026 §8.4): 64*T1.
      this.endTimer = timers.set(64 * t1, () => this.transition('terminated'));
    } else if (this.kind === 'invite') {
      this.transition('completed');
      this.ack = this.buildAck?.(response);
      if (this.ack) this.ctx.send(this.ack, this.dest);
      // Timer D: 64*T1 on UDP (at least 32 s, RFC 3261 §17.1.1.2), zero on reliable transports.
      if (this.reliable) this.transition('terminated');
      else this.endTimer = timers.set(64 * t1, () => this.transition('terminated'));
    } else {
      this.transition('completed');
      // Timer K: T4 on UDP, zero on reliable transports.
      if (this.reliable) this.transition('terminated');
      else this.endTimer = timers.set(t4, () => this.transition('terminated'));
    }
    this.callbacks.onResponse(response);
  }

  /** Ends the transaction at once (shutdown, or the TU gave up after its CANCEL went unanswered). */
  terminate(): void {
    if (this.stateValue !== 'terminated') this.transition('terminated');
  }
}
