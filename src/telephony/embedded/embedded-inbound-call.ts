/**
 * An INVITE waiting for the call layer's decision: ring, reject or answer. Answering creates the
 * MediaSession, sends the 200 with our SDP answer and resolves with the CallLeg once the ACK arrives.
 */
import { CallwrightError } from '../../errors.js';
import type { CallInfo, CallLeg, InboundCall } from '../port.js';
import type { CallLegDeps } from './embedded-call-leg.js';
import { EmbeddedCallLeg } from './embedded-call-leg.js';
import { MediaNegotiationError, type MediaEngine, type MediaSession } from './media/media-session.js';
import { Dialog, contactUri, stripTag } from './sip/dialog.js';
import { newTag } from './sip/sip-builder.js';
import type { NewInvite } from './sip/user-agent-core.js';

type State = 'new' | 'ringing' | 'answering' | 'answered' | 'rejected' | 'cancelled';

export class EmbeddedInboundCall implements InboundCall {
  private state: State = 'new';
  private readonly localTag = newTag();
  private resolveCancelled!: () => void;
  readonly cancelled: Promise<void>;
  private readonly unwatch: () => void;

  constructor(
    private readonly deps: CallLegDeps & {
      media: MediaEngine;
      onSettled(): void;
      onLeg(leg: EmbeddedCallLeg): void;
    },
    private readonly invite: NewInvite,
    readonly info: CallInfo,
  ) {
    this.cancelled = new Promise((resolve) => (this.resolveCancelled = resolve));
    this.unwatch = deps.core.watchCancel(invite.tx, () => this.onCancel());
    // RFC 3261 §17.2.1: 100 Trying at once, so the caller stops retransmitting the INVITE.
    deps.core.respond(invite.tx, 100);
  }

  get pending(): boolean {
    return this.state === 'new' || this.state === 'ringing';
  }

  private settle(state: State): void {
    this.state = state;
    this.unwatch();
    this.deps.onSettled();
  }

  private onCancel(): void {
    if (!this.pending && this.state !== 'answering') return;
    this.deps.core.respond(this.invite.tx, 487, { toTag: this.localTag });
    this.settle('cancelled');
    this.resolveCancelled();
  }

  async ring(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'ringing';
    this.deps.core.respond(this.invite.tx, 180, {
      toTag: this.localTag,
      headers: [['Contact', this.contact()]],
    });
  }

  async reject(status: number, reason?: string): Promise<void> {
    if (!Number.isInteger(status) || status < 300 || status > 699) {
      throw new CallwrightError('VALIDATION', `status: got ${status}, expected a SIP final status 300-699`, [
        { field: 'status', value: status, expected: 'an integer 300-699' },
      ]);
    }
    if (!this.pending) return;
    this.deps.core.respond(this.invite.tx, status, { toTag: this.localTag, ...(reason ? { reason } : {}) });
    this.settle('rejected');
  }

  private contact(): string {
    const user = /^sips?:([^@;]+)@/i.exec(this.info.requestUri)?.[1] ?? '';
    return this.deps.stack.contact(decodeURIComponent(user), this.invite.source.transport);
  }

  async answer(): Promise<CallLeg> {
    if (!this.pending)
      throw new CallwrightError('PRECONDITION', `cannot answer a call that is ${this.state}`);
    this.state = 'answering';
    const { request, tx, source } = this.invite;
    let session: MediaSession;
    try {
      session = await this.deps.media.createSession();
    } catch (err) {
      // No RTP port (or the engine is closing): refuse now rather than leave the INVITE unanswered.
      if (this.state === 'answering') {
        this.deps.core.respond(tx, 503, { toTag: this.localTag });
        this.settle('rejected');
      }
      throw err;
    }
    let sdp: string;
    try {
      // An INVITE without SDP gets our offer in the 200; the answer then comes in the ACK.
      sdp = request.body.trim() ? session.answerOffer(request.body) : session.createOffer();
    } catch (err) {
      session.close();
      if (this.state === 'answering') {
        this.deps.core.respond(tx, 488, { toTag: this.localTag });
        this.settle('rejected');
      }
      if (err instanceof MediaNegotiationError)
        throw new CallwrightError('PRECONDITION', `no common codec: ${err.message}`);
      throw err;
    }
    if ((this.state as State) !== 'answering') {
      session.close();
      throw new CallwrightError('PRECONDITION', 'the caller cancelled before the answer');
    }
    const dialog = new Dialog(this.deps.stack, {
      callId: request.callId,
      localTag: this.localTag,
      remoteTag: request.from.params.tag ?? '',
      localAddr: stripTag(request.headers.get('to') ?? ''),
      remoteAddr: stripTag(request.headers.get('from') ?? ''),
      remoteTarget: contactUri(request) ?? request.from.uriText,
      routeSet: request.headers.getAll('record-route'),
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      transport: source.transport,
      fallback: source,
      contactUser: /^sips?:([^@;]+)@/i.exec(request.uri)?.[1] ?? '',
    });
    const leg = new EmbeddedCallLeg(this.deps, dialog, session, this.info);
    this.deps.onLeg(leg);
    const text = this.deps.core.respond(tx, 200, {
      toTag: this.localTag,
      headers: [
        ['Contact', this.contact()],
        ['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY'],
      ],
      body: sdp,
      contentType: 'application/sdp',
    });
    this.settle('answered');
    const offerless = !request.body.trim();
    const acked = await dialog.awaitAck(request.cseq.seq, text, tx.replyTo);
    if (!acked) {
      // RFC 3261 §13.3.1.4: no ACK within 64*T1 — confirm the dialog is gone with a BYE.
      await leg.end('local', 'error', true);
      throw new CallwrightError('UNAVAILABLE', 'the caller never acknowledged the answer (no ACK)');
    }
    if (offerless) {
      const ackBody = leg.lastAckBody;
      if (ackBody) session.applyAnswer(ackBody);
    }
    return leg;
  }
}
