/**
 * An INVITE waiting for the call layer's decision: ring, reject or answer. Answering creates the
 * MediaSession, sends the 200 with our SDP answer and resolves with the CallLeg once the ACK arrives.
 */
import { CallwrightError } from '../../errors.js';
import type { CallInfo, CallLeg, InboundCall } from '../port.js';
import type { CallLegDeps } from './embedded-call-leg.js';
import { EmbeddedCallLeg } from './embedded-call-leg.js';
import { MediaNegotiationError, type MediaEngine, type MediaSession } from './media/media-session.js';
import { isWebRtcOffer, WebRtcGateway, type WebRtcSettings } from './media/webrtc-gateway.js';
import { Dialog, contactUri, recordRoutes, stripTag } from './sip/dialog.js';
import { newTag } from './sip/sip-builder.js';
import type { NewInvite } from './sip/user-agent-core.js';

type State = 'new' | 'ringing' | 'answering' | 'answered' | 'rejected' | 'cancelled';

export class EmbeddedInboundCall implements InboundCall {
  private state: State = 'new';
  private readonly localTag = newTag();
  private resolveCancelled!: () => void;
  readonly cancelled: Promise<void>;
  private readonly unwatch: () => void;
  /** The media session taken when the INVITE arrived (reserveMedia), until answer() uses it. */
  private reserved: MediaSession | undefined;

  constructor(
    private readonly deps: CallLegDeps & {
      media: MediaEngine;
      /** WebRTC offers (browser phones) are answered through a gateway; absent = they get 488. */
      webrtc?: WebRtcSettings;
      onSettled(): void;
      onLeg(leg: EmbeddedCallLeg): void;
    },
    private readonly invite: NewInvite,
    readonly info: CallInfo,
  ) {
    this.cancelled = new Promise((resolve) => (this.resolveCancelled = resolve));
    const unwatchCancel = deps.core.watchCancel(invite.tx, () => this.onCancel());
    // A browser whose WebSocket closes while its call rings has gone, as if it had sent CANCEL.
    const unwatchFlow =
      invite.source.transport === 'ws'
        ? deps.stack.watchFlow(invite.source, () => this.onCancel())
        : undefined;
    this.unwatch = () => {
      unwatchCancel();
      unwatchFlow?.();
    };
    // RFC 3261 §17.2.1: 100 Trying at once, so the caller stops retransmitting the INVITE.
    deps.core.respond(invite.tx, 100);
  }

  get pending(): boolean {
    return this.state === 'new' || this.state === 'ringing';
  }

  private settle(state: State): void {
    this.state = state;
    this.unwatch();
    if (state !== 'answered') this.releaseMedia();
    this.deps.onSettled();
  }

  private releaseMedia(): void {
    this.reserved?.close();
    this.reserved = undefined;
  }

  /**
   * Takes the call's RTP port now, before the call layer may ring: running out of ports must refuse
   * the call (503) before ringing, never after (the caller would hear ringing, then a failure).
   * Rejects with the media engine's error; the caller then refuses the call with `refuse`.
   */
  async reserveMedia(): Promise<void> {
    const session = await this.deps.media.createSession();
    // The caller may have cancelled while the port was being bound.
    if (!this.pending) session.close();
    else this.reserved = session;
  }

  /** Refuses the call with 503 and Retry-After (RFC 3261 §21.5.4): full, draining or no RTP port. */
  refuseUnavailable(retryAfterS: number): void {
    if (!this.pending) return;
    this.deps.core.respond(this.invite.tx, 503, {
      toTag: this.localTag,
      headers: [['Retry-After', String(retryAfterS)]],
    });
    this.settle('rejected');
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
    const { request, tx } = this.invite;
    const { session, sdp, gateway } = await this.negotiate();
    if ((this.state as State) !== 'answering') {
      session.close();
      gateway?.close();
      throw new CallwrightError('PRECONDITION', 'the caller cancelled before the answer');
    }
    const dialog = this.createDialog();
    const leg = new EmbeddedCallLeg(this.deps, dialog, session, this.info, gateway);
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
    const acked = await dialog.awaitAck(request.cseq.seq, text, tx.replyTo);
    // The leg ended before the ACK came: the caller's BYE (which shows it had our 200: an ACK lost on
    // the way, common under load) or our own hang-up. The call was answered; the leg's hangup says how
    // it ended.
    if (!acked && !leg.active) return leg;
    if (!acked) {
      // RFC 3261 §13.3.1.4: no ACK within 64*T1 — confirm the dialog is gone with a BYE.
      await leg.end('local', 'error', true);
      throw new CallwrightError('UNAVAILABLE', 'the caller never acknowledged the answer (no ACK)');
    }
    // An INVITE without SDP got our offer in the 200; its answer came in the ACK.
    if (!request.body.trim() && leg.lastAckBody) session.applyAnswer(leg.lastAckBody);
    return leg;
  }

  /** Opens the media session and answers the offer (or makes one); refuses the INVITE when it cannot. */
  private async negotiate(): Promise<{ session: MediaSession; sdp: string; gateway?: WebRtcGateway }> {
    const { request } = this.invite;
    let session: MediaSession;
    try {
      session = this.reserved ?? (await this.deps.media.createSession());
      this.reserved = undefined;
    } catch (err) {
      // No RTP port (or the engine is closing): refuse now rather than leave the INVITE unanswered.
      this.refuseWhileAnswering(503);
      throw err;
    }
    let gateway: WebRtcGateway | undefined;
    try {
      if (this.deps.webrtc && isWebRtcOffer(request.body)) {
        // A browser: werift answers its offer; the session gets plain RTP from the gateway's relay.
        gateway = await WebRtcGateway.answer(request.body, this.deps.webrtc, this.deps.logger);
        gateway.connect(session.answerOffer(gateway.relayOffer));
        return { session, sdp: gateway.answer, gateway };
      }
      const sdp = request.body.trim() ? session.answerOffer(request.body) : session.createOffer();
      return { session, sdp };
    } catch (err) {
      session.close();
      gateway?.close();
      this.refuseWhileAnswering(488);
      if (err instanceof MediaNegotiationError)
        throw new CallwrightError('PRECONDITION', `no common codec: ${err.message}`);
      throw err;
    }
  }

  private refuseWhileAnswering(status: number): void {
    if (this.state !== 'answering') return;
    this.deps.core.respond(this.invite.tx, status, { toTag: this.localTag });
    this.settle('rejected');
  }

  /** The UAS side of the dialog the 200 creates (RFC 3261 §12.1.1). */
  private createDialog(): Dialog {
    const { request, source } = this.invite;
    return new Dialog(this.deps.stack, {
      callId: request.callId,
      localTag: this.localTag,
      remoteTag: request.from.params.tag ?? '',
      localAddr: stripTag(request.headers.get('to') ?? ''),
      remoteAddr: stripTag(request.headers.get('from') ?? ''),
      remoteTarget: contactUri(request) ?? request.from.uriText,
      routeSet: recordRoutes(request),
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      transport: source.transport,
      fallback: source,
      contactUser: /^sips?:([^@;]+)@/i.exec(request.uri)?.[1] ?? '',
    });
  }
}
