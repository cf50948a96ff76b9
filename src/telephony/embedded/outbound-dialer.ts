/**
 * Places one outbound call (RFC 3261 §13.2): INVITE with our offer, digest answer to one 401/407
 * (§22.2), CANCEL on ring timeout or abort (§9.1, only once a provisional arrived), ACK for the 2xx
 * (§13.2.2.4), and a typed DialOutcome for every way it can end.
 */
import { randomUUID } from 'node:crypto';
import type { SipTrunkSettings } from '../../config/schema.js';
import { classifyTarget, type CallInfo, type DialOutcome, type DialRequest } from '../port.js';
import { trunkRequestUri } from '../sip/trunk-request-uri.js';
import { EmbeddedCallLeg, type CallLegDeps } from './embedded-call-leg.js';
import type { MediaEngine, MediaSession } from './media/media-session.js';
import { Dialog, contactUri, recordRoutes, stripTag } from './sip/dialog.js';
import { answerChallenge } from '../sip/digest-auth.js';
import { buildRequest, newBranch, newCallId, newTag } from './sip/sip-builder.js';
import type { ClientTransaction } from './sip/client-transaction.js';
import type { SipResponse } from './sip/sip-message.js';
import type { Destination } from './sip/sip-transport.js';
import { parseUri } from './sip/sip-uri.js';
import { dialFailure, type DialCancelReason, type DialFailure } from '../sip/dial-outcome.js';

export interface DialerDeps extends CallLegDeps {
  media: MediaEngine;
  defaultRingTimeoutMs: number;
  onLeg(leg: EmbeddedCallLeg): void;
}

interface Target {
  uri: string;
  trunk?: SipTrunkSettings;
}

function routeTarget(deps: DialerDeps, request: DialRequest): Target {
  const target = classifyTarget(request.target);
  const named = request.trunk ? deps.trunks.find((t) => t.name === request.trunk) : undefined;
  if (request.trunk && !named) {
    const names = deps.trunks.map((t) => t.name).join(', ') || 'none configured';
    throw new Error(`trunk: got ${JSON.stringify(request.trunk)}, expected one of: ${names}`);
  }
  if (target.kind === 'sip') return { uri: target.uri, ...(named ? { trunk: named } : {}) };
  const trunk = named ?? deps.trunks[0];
  if (!trunk) throw new Error('target: E.164 numbers need a trunk, and sip.trunks is empty');
  return { uri: trunkRequestUri(target.number, trunk), trunk };
}

export async function dial(deps: DialerDeps, request: DialRequest): Promise<DialOutcome> {
  let target: Target;
  let dest: Destination;
  try {
    target = routeTarget(deps, request);
    dest = await deps.stack.resolve(target.uri, target.trunk?.transport ?? 'udp');
  } catch (err) {
    return { outcome: 'failed', error: (err as Error).message };
  }
  let session: MediaSession;
  try {
    session = await deps.media.createSession();
  } catch (err) {
    return { outcome: 'failed', error: (err as Error).message };
  }
  return new Promise<DialOutcome>((resolve) =>
    new OutboundAttempt(deps, request, target, dest, session, resolve).start(),
  );
}

class OutboundAttempt {
  private readonly callId: string;
  private readonly fromTag = newTag();
  private readonly from: string;
  private readonly to: string;
  private cseq = 1;
  private branch = '';
  private via = '';
  private authTried = false;
  private provisional = false;
  private cancelWanted?: DialCancelReason;
  private cancelSent = false;
  private settled = false;
  private ringTimer?: NodeJS.Timeout;
  private cancelTimer?: NodeJS.Timeout;
  private invite?: ClientTransaction;
  private readonly offer: string;
  private readonly onAbort = (): void => this.requestCancel('abort');

  constructor(
    private readonly deps: DialerDeps,
    private readonly request: DialRequest,
    private readonly target: Target,
    private readonly dest: Destination,
    private readonly session: MediaSession,
    private readonly resolve: (o: DialOutcome) => void,
  ) {
    const stack = deps.stack;
    this.callId = newCallId(stack.host);
    const callerId = request.callerId || target.trunk?.caller_id || 'callwright';
    const name = request.callerName ? `"${request.callerName.replace(/["\\]/g, '')}" ` : '';
    const user = encodeURIComponent(callerId).replace(/%2B/g, '+');
    this.from = `${name}<sip:${user}@${stack.host}>`;
    const uri = parseUri(target.uri);
    this.to = `<${uri ? target.uri.split(';')[0] : target.uri}>`;
    this.offer = session.createOffer();
  }

  start(): void {
    if (this.request.signal?.aborted) return this.finish({ outcome: 'cancelled' });
    this.request.signal?.addEventListener('abort', this.onAbort, { once: true });
    const ringMs = this.request.ringTimeoutMs ?? this.deps.defaultRingTimeoutMs;
    this.ringTimer = this.deps.stack.timers.set(ringMs, () => this.requestCancel('ring-timeout'));
    this.sendInvite([]);
  }

  private sendInvite(auth: Array<[string, string]>): void {
    const stack = this.deps.stack;
    this.branch = newBranch();
    this.via = stack.via(this.dest.transport, this.branch);
    const custom = Object.entries(this.request.headers ?? {});
    const text = buildRequest({
      ...this.inviteTransaction('INVITE', this.to),
      contact: stack.contact(this.request.callerId ?? '', this.dest.transport),
      userAgent: stack.options.userAgent,
      headers: [['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY'], ...auth, ...custom],
      body: this.offer,
      contentType: 'application/sdp',
    }).text;
    this.invite = stack.transactions.sendRequest(
      'INVITE',
      this.branch,
      text,
      this.dest,
      {
        onResponse: (r) => this.onResponse(r),
        onTimeout: () => this.onTimeout(),
      },
      (r) => this.ackFor(r),
    );
  }

  /** Request-URI, Via branch, From, Call-ID and CSeq number of the INVITE, which its ACK and CANCEL repeat. */
  private inviteTransaction(method: 'INVITE' | 'ACK' | 'CANCEL', to: string) {
    return {
      method,
      uri: this.target.uri,
      via: this.via,
      from: `${this.from};tag=${this.fromTag}`,
      to,
      callId: this.callId,
      cseq: this.cseq,
    };
  }

  /** ACK for a non-2xx final: same branch and Request-URI, To from the response (RFC 3261 §17.1.1.3). */
  private ackFor(response: SipResponse): string {
    return buildRequest(this.inviteTransaction('ACK', response.headers.get('to') ?? this.to)).text;
  }

  private requestCancel(reason: DialCancelReason): void {
    if (this.settled || this.cancelWanted) return;
    this.cancelWanted = reason;
    if (this.provisional) this.sendCancel();
  }

  /** CANCEL: same Request-URI, Call-ID, From, To, CSeq number and branch as the INVITE (RFC 3261 §9.1). */
  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    const text = buildRequest({
      ...this.inviteTransaction('CANCEL', this.to),
      userAgent: this.deps.stack.options.userAgent,
    }).text;
    this.deps.stack.transactions.sendRequest('CANCEL', this.branch, text, this.dest, {
      onResponse: () => undefined,
      onTimeout: () => undefined,
    });
    // RFC 3261 §9.1: with no final response 64*T1 after the CANCEL, the INVITE is taken as cancelled and
    // its client transaction destroyed (Proceeding has no timer of its own since Timer B stops there).
    this.cancelTimer = this.deps.stack.timers.set(64 * this.deps.stack.options.t1, () => {
      this.invite?.terminate();
      this.onTimeout();
    });
  }

  private onResponse(r: SipResponse): void {
    if (r.status < 200) {
      this.provisional = true;
      if (this.cancelWanted) this.sendCancel();
      return;
    }
    if (r.status < 300) return this.answered(r);
    if (
      (r.status === 401 || r.status === 407) &&
      !this.authTried &&
      this.target.trunk?.username &&
      !this.cancelWanted
    ) {
      const challenge = r.headers.get(r.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
      const value = answerChallenge(challenge, 'INVITE', this.target.uri, {
        username: this.target.trunk.username,
        password: this.target.trunk.password,
      });
      if (value) {
        this.authTried = true;
        this.cseq++;
        this.provisional = false;
        return this.sendInvite([[r.status === 401 ? 'Authorization' : 'Proxy-Authorization', value]]);
      }
    }
    this.finish(this.failure(r.status, r.reason));
  }

  private onTimeout(): void {
    this.finish(this.failure(undefined, undefined));
  }

  /** The shared outcome rule for every ending but a usable answer (src/telephony/sip/dial-outcome.ts). */
  private failure(status: number | undefined, reason: string | undefined): DialFailure {
    return dialFailure({
      ...(status !== undefined ? { status } : {}),
      ...(reason ? { reason } : {}),
      provisional: this.provisional,
      ...(this.cancelWanted ? { cancelledBy: this.cancelWanted } : {}),
    });
  }

  private answered(r: SipResponse): void {
    const answeredAt = new Date();
    const stack = this.deps.stack;
    if (this.dialog) {
      // A retransmitted 2xx: our ACK was lost, send it again (RFC 3261 §13.2.2.4).
      return this.dialog.resendAck(r.cseq.seq);
    }
    const dialog = new Dialog(stack, {
      callId: this.callId,
      localTag: this.fromTag,
      remoteTag: r.to.params.tag ?? '',
      localAddr: this.from,
      remoteAddr: stripTag(r.headers.get('to') ?? this.to),
      remoteTarget: contactUri(r) ?? this.target.uri,
      // RFC 3261 §12.1.2: the UAC's route set is the Record-Route of the 2xx, reversed.
      routeSet: recordRoutes(r).reverse(),
      localSeq: this.cseq,
      remoteSeq: 0,
      transport: this.dest.transport,
      fallback: this.dest,
      contactUser: this.request.callerId ?? '',
    });
    this.dialog = dialog;
    dialog.sendAck(this.cseq);
    if (this.settled || this.cancelWanted) {
      // A 2xx after we gave up (the CANCEL crossed the answer): confirm it and end it at once.
      void dialog.request('BYE');
      if (this.cancelWanted) this.finish(this.failure(r.status, r.reason));
      return;
    }
    try {
      this.session.applyAnswer(r.body);
    } catch (err) {
      void dialog.request('BYE');
      return this.finish({ outcome: 'failed', error: `answer SDP unusable: ${(err as Error).message}` });
    }
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: this.callId,
      direction: 'outbound',
      from: {
        uri: parseUri(this.from.replace(/^.*<|>.*$/g, '')) ? this.from.replace(/^.*<|>.*$/g, '') : this.from,
        user: this.request.callerId ?? '',
      },
      to: { uri: this.target.uri, user: parseUri(this.target.uri)?.user ?? '' },
      requestUri: this.target.uri,
      remoteAddress: `${this.dest.address}:${this.dest.port}`,
      headers: Object.fromEntries(
        Object.entries(this.request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
      ...(this.target.trunk ? { trunk: this.target.trunk.name } : {}),
    };
    const leg = new EmbeddedCallLeg(this.deps, dialog, this.session, info);
    this.deps.onLeg(leg);
    this.finish({ outcome: 'answered', leg, answeredAt }, true);
  }

  private dialog?: Dialog;

  private finish(outcome: DialOutcome, keepSession = false): void {
    if (this.settled) return;
    this.settled = true;
    this.deps.stack.timers.clear(this.ringTimer);
    this.deps.stack.timers.clear(this.cancelTimer);
    this.request.signal?.removeEventListener('abort', this.onAbort);
    if (!keepSession) this.session.close();
    this.resolve(outcome);
  }
}
