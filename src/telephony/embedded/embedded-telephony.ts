/**
 * The embedded backend: in-process SIP (UDP/TCP, own transaction and dialog layers over a hand-written
 * parser) plus the embedded media engine. Implements the telephony port; the call layer sets the
 * inbound handler and dials through it.
 */
import { randomUUID } from 'node:crypto';
import type { SipSettings, SipTrunkSettings } from '../../config/schema.js';
import type { Logger } from '../../logging/logger.js';
import type {
  AdmissionGate,
  CallInfo,
  DialOutcome,
  DialRequest,
  InboundCall,
  Party,
  Readiness,
  Telephony,
  TelephonyStats,
} from '../port.js';
import type { CallLegDeps, EmbeddedCallLeg } from './embedded-call-leg.js';
import { EmbeddedInboundCall } from './embedded-inbound-call.js';
import type { MediaEngine } from './media/media-session.js';
import type { WebRtcSettings } from './media/webrtc-gateway.js';
import { dial } from './outbound-dialer.js';
import { AccessControl } from '../sip/access-control.js';
import { DidRouter } from '../sip/did-router.js';
import { CALLWRIGHT_REALM, DigestVerifier } from '../sip/digest-auth.js';
import { DigestBans } from '../sip/digest-bans.js';
import type { NameAddr } from './sip/sip-uri.js';
import { SipStack } from './sip/sip-stack.js';
import { UserAgentCore, type NewInvite } from './sip/user-agent-core.js';

export interface EmbeddedTelephonyDeps {
  sip: SipSettings;
  media: MediaEngine;
  logger: Logger;
  /** Close the media engine on stop (true when the backend built it). */
  ownsMedia?: boolean;
  /** ICE candidate address and timeout for browsers' WebRTC offers; absent = such offers get 488. */
  webrtc?: WebRtcSettings;
}

/** Retry-After of a 503 for want of RTP ports when no admission gate is installed. */
const DEFAULT_RETRY_AFTER_S = 5;

export type InboundHandler = (call: InboundCall) => void | Promise<void>;

function party(addr: NameAddr): Party {
  return {
    uri: addr.uriText,
    user: addr.uri.user,
    ...(addr.displayName ? { displayName: addr.displayName } : {}),
  };
}

/** Headers passed to the call layer: X- headers and a few useful standard ones, lower-cased. */
const PASSED_HEADERS = new Set([
  'user-agent',
  'p-asserted-identity',
  'diversion',
  'history-info',
  'referred-by',
]);

export class EmbeddedTelephony implements Telephony {
  readonly name = 'embedded' as const;
  private readonly stack: SipStack;
  private readonly core: UserAgentCore;
  /** Digest brute-force protection; `bans.stats()` feeds the metrics. */
  readonly bans: DigestBans;
  private readonly log: Logger;
  private handler?: InboundHandler;
  private gate?: AdmissionGate;
  /** Admission places held by legs, freed when the leg ends. */
  private readonly places = new Map<EmbeddedCallLeg, () => void>();
  private readonly legs = new Set<EmbeddedCallLeg>();
  private readonly inbound = new Set<EmbeddedInboundCall>();
  private started = false;
  private stopped = false;

  constructor(private readonly deps: EmbeddedTelephonyDeps) {
    const { sip, logger } = deps;
    this.log = logger.child({ component: 'sip' });
    this.stack = new SipStack({
      address: sip.address,
      port: sip.port,
      transports: sip.transports,
      ...(sip.websocket.enabled
        ? {
            websocket: {
              host: sip.websocket.host,
              port: sip.websocket.port,
              ...(sip.websocket.tls_cert ? { tlsCert: sip.websocket.tls_cert } : {}),
              ...(sip.websocket.tls_key ? { tlsKey: sip.websocket.tls_key } : {}),
              maxConnections: sip.websocket.max_connections,
              pingIntervalMs: sip.websocket.ping_interval_s * 1000,
            },
          }
        : {}),
      publicAddress: sip.public_address,
      t1: sip.t1_ms,
      t2: sip.t2_ms,
      t4: sip.t4_ms,
      userAgent: sip.user_agent,
      logger: this.log,
    });
    const access = new AccessControl({
      allow: sip.allow,
      scannerUserAgents: sip.scanner_user_agents,
      trunks: sip.trunks,
    });
    this.bans = new DigestBans(sip.auth_bans, {
      logger: this.log,
      exempt: (address) => access.exemptFromBans(address),
    });
    this.core = new UserAgentCore({
      stack: this.stack,
      access,
      dids: new DidRouter(sip.dids),
      digest: new DigestVerifier(CALLWRIGHT_REALM),
      bans: this.bans,
      logger: this.log,
      onInvite: (invite) => this.onInvite(invite),
      admissionProbe: () => this.gate?.probe(),
    });
    this.stack.user = this.core;
  }

  /** The SIP port actually bound (useful with sip.port 0). */
  get port(): number {
    return this.stack.port;
  }

  get host(): string {
    return this.stack.host;
  }

  /** The SIP over WebSocket listener (browser phones) once started: its scheme and bound port. */
  get websocket(): { scheme: 'ws' | 'wss'; port: number } | undefined {
    const port = this.stack.websocketPort;
    const scheme = this.stack.websocketScheme;
    return port && scheme ? { scheme, port } : undefined;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.stack.start();
    this.started = true;
    this.log.info(
      { address: this.deps.sip.address, port: this.stack.port, transports: this.deps.sip.transports },
      'sip listening',
    );
    const ws = this.websocket;
    if (ws)
      this.log.info(
        { address: this.deps.sip.websocket.host, port: ws.port, scheme: ws.scheme },
        'sip websocket listening',
      );
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopped) return;
    this.stopped = true;
    // Calls still ringing are refused as a full node refuses them (RFC 3261 §21.5.4).
    const retryAfterS = this.gate?.probe()?.retryAfterS ?? DEFAULT_RETRY_AFTER_S;
    for (const call of [...this.inbound]) call.refuseUnavailable(retryAfterS);
    await Promise.all(
      [...this.legs].map((leg) =>
        Promise.race([leg.hangup('shutdown'), new Promise((r) => setTimeout(r, 2000))]),
      ),
    );
    await this.stack.stop();
    this.bans.close();
    if (this.deps.ownsMedia) await this.deps.media.close();
  }

  onInbound(handler: InboundHandler): void {
    this.handler = handler;
  }

  setAdmissionGate(gate: AdmissionGate): void {
    this.gate = gate;
  }

  dial(request: DialRequest): Promise<DialOutcome> {
    if (!this.started || this.stopped)
      return Promise.resolve({ outcome: 'failed', error: 'telephony is not running' });
    return dial(
      {
        ...this.legDeps(this.trunk(request.trunk)),
        media: this.deps.media,
        trunks: this.deps.sip.trunks,
        defaultRingTimeoutMs: this.deps.sip.ring_timeout_ms,
        onLeg: (leg) => this.legs.add(leg),
      },
      request,
    );
  }

  stats(): TelephonyStats {
    const s = this.stack.stats();
    const media = this.deps.media.stats();
    return {
      activeCalls: this.legs.size + this.inbound.size,
      activeDialogs: this.core.dialogCount,
      pendingInbound: this.inbound.size,
      serverTransactions: s.serverTransactions,
      clientTransactions: s.clientTransactions,
      transactions: s.serverTransactions + s.clientTransactions,
      timers: s.timers,
      tcpConnections: s.tcpConnections,
      wsConnections: s.wsConnections,
      malformedMessages: s.malformed,
      droppedRequests: s.dropped,
      mediaSessions: media.sessions,
      // Frame lateness on the media clock since start (Prometheus: callwright_rtp_frame_lateness_seconds).
      mediaLatenessP50Ms: media.latenessP50Ms,
      mediaLatenessP99Ms: media.latenessP99Ms,
    };
  }

  readiness(): Readiness {
    if (!this.started) return { ready: false, detail: 'sip not started' };
    if (this.stopped) return { ready: false, detail: 'sip stopped' };
    return {
      ready: true,
      detail: `sip on ${this.deps.sip.address}:${this.stack.port} (${this.deps.sip.transports.join(', ')})`,
    };
  }

  private trunk(name: string | undefined): SipTrunkSettings | undefined {
    return name ? this.deps.sip.trunks.find((t) => t.name === name) : undefined;
  }

  private legDeps(trunk: SipTrunkSettings | undefined): CallLegDeps {
    return {
      core: this.core,
      stack: this.stack,
      logger: this.log,
      referNotifyTimeoutMs: this.deps.sip.refer_notify_timeout_ms,
      dtmfMethod: trunk?.dtmf_method ?? 'rfc4733',
      trunks: this.deps.sip.trunks,
      onEnded: (leg) => {
        this.legs.delete(leg);
        this.places.get(leg)?.();
        this.places.delete(leg);
      },
    };
  }

  private onInvite(invite: NewInvite): void {
    const { request, source } = invite;
    // Admission first, before anything is sent for the call (not even 100 Trying): a refused caller
    // hears only 503 + Retry-After (RFC 3261 §21.5.4) and tries another node at once.
    const decision = this.gate?.admit({
      direction: 'inbound',
      ...(invite.trunk ? { trunk: invite.trunk } : {}),
    });
    if (decision && !decision.admitted) {
      this.log.debug(
        { reason: decision.refusal.reason, limit: decision.refusal.limit },
        'inbound call refused',
      );
      this.core.respond(invite.tx, 503, {
        headers: [['Retry-After', String(decision.refusal.retryAfterS)]],
      });
      return;
    }
    const release = decision?.release ?? (() => undefined);
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers.entries()) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-') || PASSED_HEADERS.has(lower)) headers[lower] = value;
    }
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: request.callId,
      direction: 'inbound',
      from: party(request.from),
      to: party(request.to),
      requestUri: request.uri,
      remoteAddress: `${source.address}:${source.port}`,
      headers,
      transport: source.transport === 'ws' ? (this.stack.websocketScheme ?? 'ws') : source.transport,
      ...(invite.trunk ? { trunk: invite.trunk } : {}),
    };
    const guard: { timer?: NodeJS.Timeout; leg?: EmbeddedCallLeg } = {};
    const call: EmbeddedInboundCall = new EmbeddedInboundCall(
      {
        ...this.legDeps(this.trunk(invite.trunk)),
        media: this.deps.media,
        ...(this.deps.webrtc ? { webrtc: this.deps.webrtc } : {}),
        onLeg: (leg) => {
          guard.leg = leg;
          this.legs.add(leg);
          this.places.set(leg, release);
        },
        onSettled: () => {
          this.inbound.delete(call);
          this.stack.timers.clear(guard.timer);
          // Answered calls keep their place until the leg ends.
          if (!guard.leg) release();
        },
      },
      invite,
      info,
    );
    this.inbound.add(call);
    if (!this.handler) {
      this.log.warn({ callId: info.id }, 'inbound call refused: no inbound handler is installed');
      void call.reject(480);
      return;
    }
    // The handler owns the call; if it neither answers nor rejects within the ring timeout, refuse it.
    guard.timer = this.stack.timers.set(this.deps.sip.ring_timeout_ms, () => {
      if (call.pending) void call.reject(480);
    });
    call.reserveMedia().then(
      () => {
        if (!call.pending) return;
        Promise.resolve()
          .then(() => this.handler?.(call))
          .catch((err: unknown) => {
            this.log.error({ err, callId: info.id }, 'inbound handler failed');
            if (call.pending) void call.reject(500);
          });
      },
      (err: unknown) => {
        // No RTP port (MediaEngine.createSession failed): 503 + Retry-After before any ringing.
        const message = `no media for the call: ${(err as Error).message}`;
        const refusal = this.gate?.refuse('rtp-ports', message);
        this.log.warn({ callId: info.id, err: (err as Error).message }, 'inbound call refused: no RTP port');
        call.refuseUnavailable(refusal?.retryAfterS ?? DEFAULT_RETRY_AFTER_S);
      },
    );
  }
}
