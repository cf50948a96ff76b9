/**
 * A CallLeg of the embedded backend: one SIP dialog plus one MediaSession. Signalling inside the dialog
 * (BYE, re-INVITE, INFO, REFER/NOTIFY, OPTIONS) is handled here; audio is delegated to the session.
 */
import type { SipTrunkSettings } from '../../config/schema.js';
import { CallwrightError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import {
  type AudioTap,
  LegEndedError,
  type CallInfo,
  type CallLeg,
  type CallLegEvents,
  type DtmfMethod,
  type HangupCause,
  type HangupEvent,
  type Listener,
  type MediaSource,
  type PlayOptions,
  type PlayOutcome,
  type CallRecording,
  type CallRecordingOptions,
  type RecordOptions,
  type RecordOutcome,
  type ReferOptions,
  type ReferOutcome,
  type SendDtmfOptions,
} from '../port.js';
import { CallLegEmitter } from '../leg-events.js';
import { parseDtmfDigits } from '../sip/dtmf-digits.js';
import { referRefusal } from '../sip/refer-permission.js';
import { trunkRequestUri } from '../sip/trunk-request-uri.js';
import { INFO_DTMF_ACCEPT, INFO_DTMF_CONTENT_TYPE, infoDtmfBody, parseInfoDtmf } from '../sip/info-dtmf.js';
import { MediaNegotiationError, type MediaSession } from './media/media-session.js';
import { ReferTracker } from './refer-tracker.js';
import type { Dialog } from './sip/dialog.js';
import type { SipRequest, SipResponse } from './sip/sip-message.js';
import type { ServerTransaction } from './sip/server-transaction.js';
import type { DialogOwner, UserAgentCore } from './sip/user-agent-core.js';
import type { SipStack } from './sip/sip-stack.js';
import { hangupReasonHeader } from '../sip/hangup-reason.js';

/** Media the leg owns besides its session: a browser's WebRTC gateway (closed with the leg). */
export interface LegMediaAttachment {
  /** Called once if that media fails for good (ICE/DTLS): the leg ends with cause `error`. */
  onFailed(listener: (reason: string) => void): void;
  close(): void;
}

export interface CallLegDeps {
  core: UserAgentCore;
  stack: SipStack;
  logger: Logger;
  referNotifyTimeoutMs: number;
  dtmfMethod: DtmfMethod;
  /** sip.trunks: the leg's own (info.trunk) decides REFER permission; E.164 REFER targets route by it. */
  trunks: SipTrunkSettings[];
  onEnded(leg: EmbeddedCallLeg): void;
}

const SDP = 'application/sdp';

export class EmbeddedCallLeg implements CallLeg, DialogOwner {
  private isActive = true;
  private readonly events: CallLegEmitter;
  private resolveEnded!: (e: HangupEvent) => void;
  readonly ended: Promise<HangupEvent>;
  private referTracker?: ReferTracker;
  private bridged?: EmbeddedCallLeg;
  private held = false;
  private readonly log: Logger;
  private readonly unwatchFlow?: () => void;

  constructor(
    private readonly deps: CallLegDeps,
    readonly dialog: Dialog,
    readonly media: MediaSession,
    readonly info: CallInfo,
    private readonly attachment?: LegMediaAttachment,
  ) {
    this.log = deps.logger.child({ callId: info.id });
    this.events = new CallLegEmitter((err) => this.log.error({ err }, 'call leg listener failed'));
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    deps.core.register(dialog.key, this);
    media.on('dtmf', (e) =>
      this.events.emit('dtmf', { digit: e.digit, method: 'rfc4733', durationMs: e.durationMs }),
    );
    media.on('timeout', () => void this.end('local', 'media-timeout', true));
    media.on('failed', (e) => {
      this.log.error({ reason: e.reason }, 'call media failed; ending the call');
      void this.end('local', 'error', true);
    });
    attachment?.onFailed((reason) => {
      this.log.warn({ reason }, 'browser media failed; ending the call');
      void this.end('local', 'error', true);
    });
    // A browser's dialog lives on its WebSocket: when that closes, the browser has gone (RFC 7118 §5).
    if (dialog.init.transport === 'ws') {
      this.unwatchFlow = deps.stack.watchFlow(dialog.init.fallback, () => {
        this.log.info('browser connection closed; ending the call');
        void this.end('remote', 'normal', false);
      });
    }
  }

  get active(): boolean {
    return this.isActive;
  }

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.events.on(event, listener);
  }

  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.events.off(event, listener);
  }

  private ensureActive(operation: string): void {
    if (!this.isActive) throw new LegEndedError(this.info.id, operation);
  }

  play(source: MediaSource, options?: PlayOptions): Promise<PlayOutcome> {
    this.ensureActive('play');
    return this.media.play(source, options);
  }

  stopPlayback(): void {
    if (this.isActive) this.media.stopPlayback();
  }

  async listen(onFrame: (frame: Int16Array) => void): Promise<AudioTap> {
    this.ensureActive('listen');
    return this.media.listen(onFrame);
  }

  record(options: RecordOptions): Promise<RecordOutcome> {
    this.ensureActive('record');
    return this.media.record(options);
  }

  async recordCall(options: CallRecordingOptions): Promise<CallRecording> {
    this.ensureActive('record the call');
    return this.media.recordCall(options);
  }

  async sendDtmf(digits: string, options: SendDtmfOptions = {}): Promise<void> {
    this.ensureActive('sendDtmf');
    const steps = parseDtmfDigits(digits);
    const durationMs = options.durationMs ?? 100;
    if ((options.method ?? this.deps.dtmfMethod) === 'rfc4733')
      return this.media.sendDtmf(digits, durationMs);
    for (const step of steps) {
      if (!this.isActive) return;
      if (step.kind === 'pause') {
        await new Promise((r) => setTimeout(r, step.ms));
        continue;
      }
      await this.dialog.request('INFO', [], infoDtmfBody(step.digit, durationMs), INFO_DTMF_CONTENT_TYPE);
      await new Promise((r) => setTimeout(r, durationMs));
    }
  }

  async refer(target: string, options: ReferOptions = {}): Promise<ReferOutcome> {
    this.ensureActive('refer');
    const trunk = this.deps.trunks.find((t) => t.name === this.info.trunk);
    const refusal = referRefusal(trunk);
    if (refusal) return refusal;
    if (this.referTracker && !this.referTracker.finished)
      throw new CallwrightError('CONFLICT', 'a REFER is already in progress on this leg');
    const tracker = new ReferTracker(
      this.deps.stack.timers,
      options.notifyTimeoutMs ?? this.deps.referNotifyTimeoutMs,
      (status) => this.events.emit('refer-progress', { status }),
    );
    this.referTracker = tracker;
    const referTo = target.startsWith('<') ? target : `<${this.referTargetUri(target, trunk)}>`;
    const referredBy = options.referredBy ?? `<${this.dialog.localUri}>`;
    const extra: Array<[string, string]> = [
      ['Refer-To', referTo],
      ['Referred-By', referredBy],
      ...Object.entries(options.headers ?? {}),
    ];
    void this.dialog.request('REFER', extra).then((r) => {
      tracker.referAnswered('timeout' in r ? 'timeout' : { status: r.status, reason: r.reason });
    });
    return tracker.outcome;
  }

  /** A `+E164` REFER target becomes a URI on the leg's trunk (or the first one), as a dial would. */
  private referTargetUri(target: string, trunk: SipTrunkSettings | undefined): string {
    if (!/^\+\d/.test(target.trim())) return target;
    const via = trunk ?? this.deps.trunks[0];
    if (!via)
      throw new CallwrightError(
        'PRECONDITION',
        'target: an E.164 REFER target needs a trunk, and sip.trunks is empty',
      );
    return trunkRequestUri(target.trim(), via);
  }

  async bridge(other: CallLeg): Promise<void> {
    this.ensureActive('bridge');
    if (!(other instanceof EmbeddedCallLeg))
      throw new CallwrightError('PRECONDITION', 'can only bridge legs of the same backend');
    if (!other.active) throw new LegEndedError(other.info.id, 'bridge');
    this.media.bridge(other.media);
    this.bridged = other;
    other.bridged = this;
  }

  async unbridge(): Promise<void> {
    if (!this.bridged) return;
    this.media.unbridge();
    this.bridged.bridged = undefined;
    this.bridged = undefined;
  }

  async hold(music?: MediaSource): Promise<void> {
    this.ensureActive('hold');
    this.media.hold(music);
    this.held = true;
  }

  async unhold(): Promise<void> {
    if (!this.isActive || !this.held) return;
    this.media.unhold();
    this.held = false;
  }

  async hangup(cause: HangupCause = 'normal'): Promise<void> {
    if (!this.isActive) return;
    await this.end('local', cause, true);
  }

  /** Ends the leg once: BYE when we hang up, media closed, dialog forgotten, listeners told. */
  async end(by: 'local' | 'remote', cause: HangupCause, sendBye: boolean, status?: number): Promise<void> {
    if (!this.isActive) return;
    this.isActive = false;
    if (this.bridged) await this.unbridge();
    this.referTracker?.cancel();
    this.dialog.close();
    this.media.close();
    this.attachment?.close();
    this.unwatchFlow?.();
    const event: HangupEvent = { by, cause, ...(status ? { status } : {}) };
    this.resolveEnded(event);
    this.events.emit('hangup', event);
    this.deps.onEnded(this);
    if (sendBye) {
      const reason = hangupReasonHeader(cause);
      await this.dialog.request('BYE', reason ? [['Reason', reason]] : []);
    }
    this.deps.core.unregister(this.dialog.key);
    this.events.removeAll();
  }

  onRequest(request: SipRequest, tx: ServerTransaction): void {
    const core = this.deps.core;
    if (!this.dialog.acceptRemoteSeq(request))
      return void core.respond(tx, 500, { headers: [['Retry-After', '1']] });
    switch (request.method) {
      case 'BYE':
        core.respond(tx, 200);
        return void this.end('remote', 'normal', false);
      case 'INVITE':
        return this.reinvite(request, tx);
      case 'INFO':
        return this.infoReceived(request, tx);
      case 'NOTIFY':
        if (!this.referTracker) return void core.respond(tx, 481);
        core.respond(tx, 200);
        this.referTracker.notify(request);
        return;
      case 'OPTIONS':
        return void core.respond(tx, 200, {
          headers: [['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY']],
        });
      case 'REFER':
        // Being transferred away is not something an agent leg accepts.
        return void core.respond(tx, 403);
      default:
        return void core.respond(tx, 501);
    }
  }

  private infoReceived(request: SipRequest, tx: ServerTransaction): void {
    const dtmf = parseInfoDtmf(request.headers.get('content-type'), request.body);
    if (!dtmf && request.body.trim() !== '') {
      return void this.deps.core.respond(tx, 415, {
        headers: [['Accept', INFO_DTMF_ACCEPT]],
      });
    }
    this.deps.core.respond(tx, 200);
    if (!dtmf) return;
    this.media.notifyDtmf(dtmf.digit);
    this.events.emit('dtmf', {
      digit: dtmf.digit,
      method: 'info',
      ...(dtmf.durationMs ? { durationMs: dtmf.durationMs } : {}),
    });
  }

  private reinvite(request: SipRequest, tx: ServerTransaction): void {
    const core = this.deps.core;
    let answer: string;
    const wasHeld = this.media.remoteHeld;
    try {
      // An offerless re-INVITE gets our offer; the answer comes in the ACK (RFC 3261 §14.2).
      answer = request.body.trim() ? this.media.answerOffer(request.body) : this.media.createOffer();
    } catch (err) {
      if (err instanceof MediaNegotiationError) return void core.respond(tx, 488);
      throw err;
    }
    const text = core.respond(tx, 200, {
      toTag: this.dialog.init.localTag,
      headers: [
        ['Contact', this.deps.stack.contact(this.dialog.init.contactUser, this.dialog.init.transport)],
      ],
      body: answer,
      contentType: SDP,
    });
    this.pendingOfferless = !request.body.trim();
    void this.dialog.awaitAck(request.cseq.seq, text, tx.replyTo);
    if (this.media.remoteHeld !== wasHeld) this.events.emit('remote-hold', { held: this.media.remoteHeld });
  }

  private pendingOfferless = false;

  /** Body of the last ACK (the SDP answer when our 200 carried the offer). */
  lastAckBody = '';

  onAck(request: SipRequest): void {
    this.lastAckBody = request.body;
    this.dialog.ackReceived(request);
    if (this.pendingOfferless && request.body.trim()) {
      this.pendingOfferless = false;
      try {
        this.media.applyAnswer(request.body);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'answer in ACK unusable; hanging up');
        void this.end('local', 'error', true);
      }
    }
  }

  onStray2xx(response: SipResponse): void {
    this.dialog.resendAck(response.cseq.seq);
  }
}
