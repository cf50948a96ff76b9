import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logging/logger.js';
import {
  classifyTarget,
  type AdmissionGate,
  type AdmissionRefusal,
  type CallInfo,
  type DialOutcome,
  type DialRequest,
  type InboundCall,
  type Readiness,
  type Telephony,
  type TelephonyStats,
} from '../port.js';
import type { SipTrunkSettings as TrunkSettings } from '../../config/schema.js';
import type { FreeswitchSettings } from './config.js';
import type {
  DrachtioFactory,
  FsEndpoint,
  FsMediaServer,
  Srf,
  SrfDialog,
  SrfRequest,
  SrfResponse,
  UacOffer,
} from './drachtio-types.js';
import { trunkRequestUri } from '../sip/trunk-request-uri.js';
import { AudioForkServer } from './audio-fork-server.js';
import { ensureAudioForkModule } from './audio-fork-module.js';
import { guardLibraryDialogs } from './library-dialog-guard.js';
import { DrachtioLink } from './drachtio-link.js';
import { FreeswitchCallLeg, type LegDeps } from './freeswitch-call-leg.js';
import { FreeswitchInboundCall } from './freeswitch-inbound-call.js';
import { InboundAccess, isWebSocket, type InboundAccessSettings } from './inbound-access.js';
import type { DigestBans } from '../sip/digest-bans.js';
import { DidRouter } from '../sip/did-router.js';
import { MediaServerPool, type MediaServerHandle } from './media-server-pool.js';
import { SharedPaths } from './shared-paths.js';
import { customHeaders, parseNameAddr } from './sip-messages.js';
import { dialFailure, type DialCancelReason } from '../sip/dial-outcome.js';
import type { SpeechSynthesizer } from '../../speech/speech-synthesizer.js';
import { withTimeout } from '../../util/with-timeout.js';
import { CallwrightError } from '../../errors.js';

/** How long FreeSWITCH has to connect its audio fork after `uuid_audio_fork start`. */
const AUDIO_FORK_CONNECT_TIMEOUT_MS = 5000;

export interface FreeswitchTelephonyDeps {
  settings: FreeswitchSettings;
  /** `sip.trunks`: shared with the embedded backend. */
  trunks: TrunkSettings[];
  /** `sip.allow`, `sip.scanner_user_agents`, `sip.auth_bans`; absent = every source admitted. */
  access?: InboundAccessSettings;
  /** `sip.dids`: Request-URI users calls are accepted for (others get 404); absent = any. */
  dids?: string[];
  /** Defaults from the sip section. */
  ringTimeoutMs?: number;
  referNotifyTimeoutMs?: number;
  /** `media.hold_music` in Callwright's view (inside the shared folder), or ''. */
  holdMusic?: string;
  logger: Logger;
  drachtio: DrachtioFactory;
  speech?: SpeechSynthesizer;
}

/**
 * The production backend: signaling through drachtio-server (drachtio-srf), media on one or more
 * FreeSWITCH servers (drachtio-fsmrf). Inbound INVITEs become InboundCalls; `dial` sends an INVITE
 * without SDP and answers the callee's offer from a new FreeSWITCH endpoint in the ACK.
 */
export class FreeswitchTelephony implements Telephony {
  readonly name = 'freeswitch' as const;
  private readonly srf: Srf;
  private readonly link: DrachtioLink;
  private readonly pool: MediaServerPool;
  private readonly paths: SharedPaths;
  private readonly legs = new Set<FreeswitchCallLeg>();
  private readonly audioFork: AudioForkServer;
  /** mod_audio_fork checks per media-server connection (a reconnect is a new FreeSWITCH, maybe restarted). */
  private readonly forkModule = new WeakMap<FsMediaServer, Promise<void>>();
  /** Who may call in (sip.allow, inbound_allow, digest); a bad entry fails the start, naming it. */
  private readonly access: InboundAccess;
  /** Digest brute-force protection; `bans.stats()` feeds the metrics. */
  readonly bans: DigestBans;
  private readonly dids: DidRouter;
  private handler: ((call: InboundCall) => void | Promise<void>) | undefined;
  private gate: AdmissionGate | undefined;
  /** Admission places held by legs of calls in, freed when the leg ends. */
  private readonly places = new Map<FreeswitchCallLeg, () => void>();
  private readonly log: Logger;
  private started = false;

  constructor(private readonly deps: FreeswitchTelephonyDeps) {
    const s = deps.settings;
    this.log = deps.logger.child({ component: 'telephony-freeswitch' });
    this.access = new InboundAccess(deps.trunks, deps.access, this.log);
    this.bans = this.access.bans;
    this.dids = new DidRouter(deps.dids ?? ['*']);
    this.srf = deps.drachtio.createSrf();
    this.link = new DrachtioLink(this.srf, s.drachtio, this.log);
    this.pool = new MediaServerPool({
      mrf: deps.drachtio.createMrf(guardLibraryDialogs(this.srf, this.log)),
      servers: s.media_servers,
      logger: this.log,
      maxRetryDelayMs: s.max_retry_delay_ms,
    });
    this.paths = new SharedPaths(s.shared_dir.local, s.shared_dir.remote);
    this.audioFork = new AudioForkServer({
      address: s.audio_fork_address,
      port: s.audio_fork_port,
      url: s.audio_fork_url,
      logger: this.log,
    });
    this.srf.invite((req, res) => this.onInvite(req, res));
    this.srf.options((req, res) => this.onOptions(req, res));
  }

  setAdmissionGate(gate: AdmissionGate): void {
    this.gate = gate;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.audioFork.start();
    this.started = true;
    await Promise.all([this.link.start(), this.pool.start()]);
    // Loaded now so the first listen does not wait for it; a failure only matters once a call listens.
    for (const h of this.pool.handles) {
      if (!this.pool.isUp(h)) continue;
      this.ensureAudioFork(h).catch((err: Error) =>
        this.log.warn({ mediaServer: h.name, err: err.message }, 'listening to calls will not work'),
      );
    }
    this.log.info({ readiness: this.readiness() }, 'freeswitch backend started');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.allSettled([...this.legs].map((leg) => leg.hangup('shutdown')));
    this.pool.stop();
    this.link.stop();
    this.access.close();
    await this.audioFork.stop();
  }

  /** Makes sure the server has mod_audio_fork, once per connection; a failed check is retried next time. */
  private ensureAudioFork(h: MediaServerHandle): Promise<void> {
    const ms = h.ms;
    if (!ms) {
      return Promise.reject(
        new CallwrightError('UNAVAILABLE', `listen: media server ${h.name} is not connected`),
      );
    }
    let check = this.forkModule.get(ms);
    if (!check) {
      check = ensureAudioForkModule(ms, h.name, this.deps.settings.operation_timeout_ms, this.log);
      this.forkModule.set(ms, check);
      check.catch(() => {
        if (this.forkModule.get(ms) === check) this.forkModule.delete(ms);
      });
    }
    return check;
  }

  onInbound(handler: (call: InboundCall) => void | Promise<void>): void {
    this.handler = handler;
  }

  stats(): TelephonyStats {
    const down = this.pool.down().length;
    const stats: TelephonyStats = {
      activeCalls: this.legs.size,
      activeDialogs: this.legs.size,
      mediaServersUp: this.pool.handles.length - down,
      mediaServersDown: down,
      droppedRequests: this.access.dropped,
    };
    for (const h of this.pool.handles) stats[`legs:${h.name}`] = h.active;
    return stats;
  }

  /** Ready when drachtio-server and at least one FreeSWITCH are connected; the detail names what is down. */
  readiness(): Readiness {
    const down: string[] = [];
    if (!this.link.connected)
      down.push(`drachtio-server ${this.link.address} (${this.link.lastError ?? 'not connected'})`);
    const mediaDown = this.pool.down();
    for (const h of mediaDown) down.push(`freeswitch ${h.name} (${h.lastError ?? 'not connected'})`);
    const ready = this.link.connected && mediaDown.length < this.pool.handles.length;
    return down.length ? { ready, detail: `down: ${down.join('; ')}` } : { ready };
  }

  async dial(request: DialRequest): Promise<DialOutcome> {
    let target: { uri: string; trunk?: TrunkSettings };
    try {
      target = this.resolveTarget(request.target, request.trunk);
    } catch (err) {
      return { outcome: 'failed', error: (err as Error).message };
    }
    if (!this.link.connected) return { outcome: 'failed', error: 'drachtio-server is not connected' };
    if (request.signal?.aborted) return { outcome: 'cancelled' };
    const server = this.pool.pick();
    if (!server?.ms) return { outcome: 'failed', error: 'no media server is connected' };

    const result = await this.placeCall(request, target);
    if (result.outcome !== 'offer') {
      return result.outcome === 'error' ? { outcome: 'failed', error: result.error } : result.dial;
    }
    const { offer, inviteReq, answeredAt } = result;
    const timeoutMs = this.deps.settings.operation_timeout_ms;
    let ep: FsEndpoint;
    try {
      const ms = server.ms;
      if (!ms) throw new Error('not connected');
      // The callee's offer goes to FreeSWITCH as an ordinary offer: FreeSWITCH answers it (codec
      // choice included) and that answer goes back in the ACK (RFC 3264 §4, offer in the 2xx).
      ep = await withTimeout(
        Promise.resolve().then(() => ms.createEndpoint({ remoteSdp: offer.sdp })),
        timeoutMs,
        'createEndpoint',
      );
    } catch (err) {
      void offer.destroy().catch(() => undefined);
      return { outcome: 'failed', error: `media endpoint on ${server.name}: ${(err as Error).message}` };
    }
    let dialog: SrfDialog;
    try {
      dialog = await withTimeout(offer.ack(ep.local.sdp), timeoutMs, 'ACK');
    } catch (err) {
      void offer.destroy().catch(() => undefined);
      void ep.destroy().catch(() => undefined);
      return { outcome: 'failed', error: `media setup: ${(err as Error).message}` };
    }
    const info = this.outboundInfo(request, target, dialog, inviteReq);
    return { outcome: 'answered', leg: this.makeLeg(info, ep, dialog, server, target.trunk), answeredAt };
  }

  /**
   * Sends the INVITE without SDP (a delayed offer, RFC 3261 §13.2.1) and waits for the callee's 2xx
   * and its offer. Not an early offer made from a FreeSWITCH 3pcc endpoint: for such an INVITE
   * FreeSWITCH (rtp_secure_media "optional" on inbound channels) offers RTP/SAVP plus RTP/AVP, and
   * drachtio-srf's automatic ACK hands that SDP back as the answer, so FreeSWITCH encrypts with SRTP
   * for good and a plain-RTP callee hears noise, even after a re-INVITE to plain RTP.
   */
  private async placeCall(
    request: DialRequest,
    target: { uri: string; trunk?: TrunkSettings },
  ): Promise<
    | { outcome: 'offer'; offer: UacOffer; inviteReq: SrfRequest | undefined; answeredAt: Date }
    | { outcome: 'dial'; dial: DialOutcome }
    | { outcome: 'error'; error: string }
  > {
    const trunk = target.trunk;
    const callerId = request.callerId || trunk?.caller_id || undefined;
    let inviteReq: SrfRequest | undefined;
    let why: DialCancelReason | undefined;
    let provisional = false;
    const cancel = (reason: DialCancelReason): void => {
      why ??= reason;
      try {
        inviteReq?.cancel?.();
      } catch {
        /* final response already in */
      }
    };
    const ringTimeoutMs = request.ringTimeoutMs ?? this.deps.ringTimeoutMs ?? 30_000;
    const ringTimer = setTimeout(() => cancel('ring-timeout'), ringTimeoutMs);
    const onAbort = (): void => cancel('abort');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const uac = this.srf.createUAC(
      target.uri,
      {
        noAck: true,
        headers: { ...(request.headers ?? {}) },
        ...(trunk?.username ? { auth: { username: trunk.username, password: trunk.password ?? '' } } : {}),
        ...(callerId ? { callingNumber: callerId } : {}),
        ...(request.callerName ? { callingName: request.callerName } : {}),
      },
      {
        cbRequest: (err, req) => {
          if (err) return;
          inviteReq = req;
          if (why) cancel(why);
        },
        cbProvisional: () => {
          provisional = true;
        },
      },
    );
    // After a CANCEL the INVITE must end with 487 (RFC 3261 §9.2); if none comes, give up on it.
    const guardMs = ringTimeoutMs + 32_000;
    try {
      const answered = await withTimeout(uac, guardMs, 'INVITE');
      // The 200 OK's time: the call's answered_at, before the media endpoint and the ACK.
      const answeredAt = new Date();
      const offer = isOffer(answered) ? answered : undefined;
      if (why || !offer) {
        // 200 OK crossed our CANCEL (RFC 3261 §9.1), or a 2xx without the offer RFC 3264 §4 requires:
        // the call is released again.
        void (offer ? offer.destroy() : (answered as SrfDialog).destroy()).catch(() => undefined);
        if (!offer && !why)
          return { outcome: 'error', error: 'the callee answered without an SDP offer in its 200 OK' };
        return { outcome: 'dial', dial: dialFailure({ status: 200, provisional, ...cancelled(why) }) };
      }
      return { outcome: 'offer', offer, inviteReq, answeredAt };
    } catch (err) {
      const e = err as { status?: number; reason?: string; message: string };
      if (typeof e.status === 'number') {
        const dial = dialFailure({
          status: e.status,
          ...(e.reason ? { reason: e.reason } : {}),
          provisional,
          ...cancelled(why),
        });
        return { outcome: 'dial', dial };
      }
      if (/timed out/.test(e.message))
        return { outcome: 'dial', dial: dialFailure({ provisional, ...cancelled(why) }) };
      return { outcome: 'error', error: e.message };
    } finally {
      clearTimeout(ringTimer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * OPTIONS probes (a dispatcher, a trunk's keep-alive, RFC 3261 §11.2): 503 + Retry-After while full
   * or draining, so the dispatcher takes this node out; 200 otherwise. The access rules come first, as
   * for an INVITE and as on the embedded backend: a banned source or a scanner gets no answer, an
   * address outside sip.allow/inbound_allow a 403 (or a digest challenge).
   */
  private onOptions(req: SrfRequest, res: SrfResponse): void {
    if (!this.access.admit(req, res)) return;
    const full = this.gate?.probe();
    if (full) res.send(503, { headers: { 'Retry-After': String(full.retryAfterS) } });
    else res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY' } });
  }

  /**
   * Admission before our first response. drachtio-server itself has already sent 100 Trying (it does
   * for every new INVITE before handing it to an application: DrachtioController::
   * processMessageStatelessly), so a refused caller sees 100 then 503 + Retry-After, never a 180.
   */
  private admitInbound(res: SrfResponse, trunkSettings: TrunkSettings | undefined): (() => void) | undefined {
    const trunk = trunkSettings?.name;
    const decision = this.gate?.admit({ direction: 'inbound', ...(trunk ? { trunk } : {}) });
    if (decision && !decision.admitted) return void this.refuse(res, decision.refusal);
    // No media server to take the media: refuse now rather than after ringing (not pick(): it rotates).
    if (!this.pool.handles.some((h) => this.pool.isUp(h))) {
      decision?.release();
      const message = 'no media server is connected';
      return void this.refuse(res, this.gate?.refuse('rtp-ports', message) ?? fallbackRefusal(message));
    }
    return decision?.release ?? (() => undefined);
  }

  private refuse(res: SrfResponse, refusal: AdmissionRefusal): void {
    this.log.debug({ reason: refusal.reason, limit: refusal.limit }, 'inbound call refused');
    res.send(503, { headers: { 'Retry-After': String(refusal.retryAfterS) } });
  }

  private onInvite(req: SrfRequest, res: SrfResponse): void {
    // Bans, sip.allow/inbound_allow and digest come first: an unauthenticated INVITE takes no capacity.
    const admitted = this.access.admit(req, res);
    if (!admitted) return;
    // sip.dids, as on embedded: a number we do not serve is 404 before it takes a place. A browser's
    // call is routed by its phone token, not by a number.
    if (!isWebSocket(req) && !this.dids.accepts(parseNameAddr(req.uri).user)) {
      res.send(404);
      return;
    }
    const trunk = admitted.trunk;
    const handler = this.handler;
    if (!handler) {
      res.send(480, 'No handler');
      return;
    }
    const release = this.admitInbound(res, trunk);
    if (!release) return;
    const info = this.inboundInfo(req, trunk);
    const call = new FreeswitchInboundCall(info, req, res, {
      candidates: () => this.pool.candidates(),
      makeLeg: (i, ep, dialog, server) => {
        const leg = this.makeLeg(i, ep, dialog, server, trunk);
        this.places.set(leg, release);
        return leg;
      },
      answerTimeoutMs: this.deps.settings.operation_timeout_ms,
      onUnanswered: release,
    });
    Promise.resolve()
      .then(() => handler(call))
      .catch((err: unknown) => {
        this.log.error({ err: (err as Error).message, legId: info.id }, 'inbound handler failed');
        if (!res.finished) res.send(500);
      });
  }

  private makeLeg(
    info: CallInfo,
    ep: FsEndpoint,
    dialog: SrfDialog,
    server: MediaServerHandle,
    trunk: TrunkSettings | undefined,
  ): FreeswitchCallLeg {
    const deps: LegDeps = {
      paths: this.paths,
      ...(this.deps.speech ? { speech: this.deps.speech } : {}),
      holdMusic: this.deps.holdMusic ? this.paths.toRemote(this.deps.holdMusic) : '',
      referNotifyTimeoutMs: this.deps.referNotifyTimeoutMs ?? 30_000,
      operationTimeoutMs: this.deps.settings.operation_timeout_ms,
      dtmfMethod: trunk?.dtmf_method ?? 'rfc4733',
      ...(trunk ? { trunk } : {}),
      logger: this.log,
      audioFork: {
        server: this.audioFork,
        ensureModule: (server) => this.ensureAudioFork(server),
        connectTimeoutMs: AUDIO_FORK_CONNECT_TIMEOUT_MS,
      },
      resolveReferTarget: (t) => this.resolveTarget(t, trunk?.name).uri,
      relocate: (current) => this.pool.pick(current),
      onEnded: (leg) => {
        this.legs.delete(leg);
        this.places.get(leg)?.();
        this.places.delete(leg);
      },
    };
    const leg = new FreeswitchCallLeg(info, ep, dialog, server, deps);
    this.legs.add(leg);
    return leg;
  }

  private resolveTarget(raw: string, trunkName?: string): { uri: string; trunk?: TrunkSettings } {
    const t = classifyTarget(raw);
    if (t.kind === 'sip') return { uri: t.uri };
    const trunks = this.deps.trunks;
    const trunk = trunkName ? trunks.find((x) => x.name === trunkName) : trunks[0];
    if (!trunk) {
      throw new Error(
        trunkName
          ? `trunk: got ${JSON.stringify(trunkName)}, expected one of ${trunks.map((x) => x.name).join(', ') || '(none configured)'}`
          : 'trunk: an E.164 target needs a trunk, and sip.trunks is empty',
      );
    }
    return { uri: trunkRequestUri(t.number, trunk), trunk };
  }

  private inboundInfo(req: SrfRequest, trunk: TrunkSettings | undefined): CallInfo {
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: req.get('Call-ID') ?? '',
      direction: 'inbound',
      from: parseNameAddr(req.get('From')),
      to: parseNameAddr(req.get('To')),
      requestUri: req.uri,
      remoteAddress: `${req.source_address}:${req.source_port}`,
      headers: customHeaders(req.headers),
    };
    if (trunk) info.trunk = trunk.name;
    // ws/wss: a browser phone, whose INVITE the call layer admits only with a phone token.
    const protocol = (req.protocol ?? '').toLowerCase();
    if (
      protocol === 'udp' ||
      protocol === 'tcp' ||
      protocol === 'tls' ||
      protocol === 'ws' ||
      protocol === 'wss'
    )
      info.transport = protocol;
    return info;
  }

  private outboundInfo(
    request: DialRequest,
    target: { uri: string; trunk?: TrunkSettings },
    dialog: SrfDialog,
    inviteReq: SrfRequest | undefined,
  ): CallInfo {
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: dialog.sip.callId,
      direction: 'outbound',
      from: parseNameAddr(inviteReq?.get('From') ?? dialog.local.uri),
      to: parseNameAddr(inviteReq?.get('To') ?? `<${target.uri}>`),
      requestUri: target.uri,
      remoteAddress: hostPort(dialog.remote.uri),
      headers: customHeaders(request.headers),
    };
    if (target.trunk) info.trunk = target.trunk.name;
    return info;
  }
}

/** A refusal when no admission gate is installed (tests, embedding without the call layer). */
function fallbackRefusal(message: string): AdmissionRefusal {
  return { reason: 'rtp-ports', retryAfterS: 5, limit: 'freeswitch.media_servers', message };
}

function cancelled(why: DialCancelReason | undefined): { cancelledBy?: DialCancelReason } {
  return why ? { cancelledBy: why } : {};
}

function hostPort(uri: string): string {
  const m = /^sips?:(?:[^@]*@)?([^;>?]+)/i.exec(uri);
  return m?.[1] ?? uri;
}

function isOffer(x: SrfDialog | UacOffer): x is UacOffer {
  return typeof (x as UacOffer).ack === 'function' && typeof (x as UacOffer).sdp === 'string';
}
