/**
 * Who may call in through drachtio-server: the embedded backend's rules (`sip.allow`, a trunk's
 * `inbound_allow`, digest for `inbound_username`/`inbound_password`, `sip.scanner_user_agents`,
 * `sip.auth_bans`) applied to each new request drachtio-server hands the application, before anything
 * else looks at it. drachtio-server itself admits every source, so without this any address that
 * reaches it could place a call.
 *
 * One difference comes from drachtio-server, not from here: it answers every new INVITE with
 * 100 Trying before the application sees it (controller.cpp, processMessageStatelessly), so "no answer"
 * for a banned source or a scanner means 100 Trying and then nothing (see docs/telephony.md).
 */
import type { Logger } from '../../logging/logger.js';
import type { SipTrunkSettings as TrunkSettings } from '../../config/schema.js';
import { AccessControl } from '../sip/access-control.js';
import { CALLWRIGHT_REALM, DigestVerifier } from '../sip/digest-auth.js';
import { DigestBans, type DigestBanSettings } from '../sip/digest-bans.js';
import type { SrfRequest, SrfResponse } from './drachtio-types.js';

/** The `sip` settings the rules come from (the same keys the embedded backend reads). */
export interface InboundAccessSettings {
  /** `sip.allow`: IPs/CIDRs admitted without a trunk. */
  allow: string[];
  /** `sip.scanner_user_agents`: User-Agent substrings whose requests are dropped. */
  scanner_user_agents: string[];
  /** `sip.auth_bans`. */
  auth_bans: DigestBanSettings;
}

/**
 * Without settings every source is admitted, as `sip.allow: [0.0.0.0/0, ::/0]` (rigs that drive the
 * backend directly); `createTelephony` always passes the configured ones.
 */
const OPEN: InboundAccessSettings = {
  allow: ['0.0.0.0/0', '::/0'],
  scanner_user_agents: [],
  auth_bans: { max_failures: 0, window_s: 60, ban_s: 600 },
};

/** The request came over drachtio-server's WebSocket transport (RFC 7118): a browser phone. */
export function isWebSocket(req: SrfRequest): boolean {
  const protocol = (req.protocol ?? '').toLowerCase();
  return protocol === 'ws' || protocol === 'wss';
}

export interface Admitted {
  /** The trunk the request came in on: by inbound_allow, by digest user, else by its host address. */
  trunk?: TrunkSettings;
}

export class InboundAccess {
  readonly bans: DigestBans;
  /** Requests given no answer (banned sources, scanners), for `stats().droppedRequests`. */
  dropped = 0;
  private readonly access: AccessControl;
  private readonly digest = new DigestVerifier(CALLWRIGHT_REALM);

  constructor(
    private readonly trunks: TrunkSettings[],
    settings: InboundAccessSettings | undefined,
    logger: Logger,
  ) {
    const s = settings ?? OPEN;
    this.access = new AccessControl({
      allow: s.allow,
      scannerUserAgents: s.scanner_user_agents,
      trunks,
    });
    this.bans = new DigestBans(s.auth_bans, {
      logger,
      exempt: (address) => this.access.exemptFromBans(address),
    });
  }

  /**
   * Admits `req` or answers it: undefined means it was refused, challenged or dropped and the caller
   * must leave it alone. Same answers as the embedded backend (UserAgentCore.admitted): unknown users,
   * wrong passwords and unknown addresses all get the same 403; a request without credentials gets
   * a 401 when some trunk has inbound credentials.
   */
  admit(req: SrfRequest, res: SrfResponse): Admitted | undefined {
    // drachtio-server gives the address as inet_ntop writes it (IPv6 without brackets).
    const address = req.source_address;
    if (this.bans.isBanned(address)) {
      // RFC 3261 §22.1 would allow a 403; silence costs a guesser a timeout and confirms nothing.
      this.drop(req);
      return undefined;
    }
    const decision = this.access.decide(address, req.get('User-Agent'));
    if (decision.verdict === 'allow') return { trunk: this.trunkFor(address, decision.trunk) };
    if (decision.verdict === 'drop') {
      this.drop(req);
      return undefined;
    }
    // Browsers (drachtio-server's ws/wss transport) connect from anywhere: their INVITE is admitted by
    // its phone token, which the call layer checks (a WebSocket call without a valid one gets 403).
    if (isWebSocket(req)) return {};
    const auth = req.get('Authorization');
    if (decision.verdict === 'challenge' && auth) {
      const result = this.digest.check(auth, req.method, (u) => this.access.password(u));
      if (result.ok) return { trunk: this.trunkFor(address, this.access.trunkOfUser(result.username)) };
      if (result.reason === 'stale-nonce') {
        // Right credentials over an old nonce: a new challenge, not a failure (RFC 7616 §3.3).
        res.send(401, { headers: { 'WWW-Authenticate': this.digest.challenge(Date.now(), true) } });
        return undefined;
      }
      const { username, realm, reason } = result;
      this.bans.recordFailure({
        username,
        realm,
        reason,
        address,
        port: req.source_port,
        method: req.method,
      });
    }
    if (decision.verdict === 'challenge' && !auth) {
      res.send(401, { headers: { 'WWW-Authenticate': this.digest.challenge() } });
    } else res.send(403);
    return undefined;
  }

  close(): void {
    this.bans.close();
  }

  /**
   * The trunk `decide` or the digest user named; else the trunk whose host is the address (a trunk's
   * own calls admitted through sip.allow), which keeps that trunk's DTMF method and REFER permission.
   */
  private trunkFor(address: string, name: string | undefined): TrunkSettings | undefined {
    if (name) return this.trunks.find((t) => t.name === name);
    return this.trunks.find((t) => t.host === address);
  }

  /**
   * Leaves the request unanswered. drachtio-server forgets it by itself (its pending-request timer,
   * 64 s), but drachtio-srf keeps every INVITE it passed up in `pendingNetworkInvites` until a final
   * response is sent or a CANCEL comes (drachtio-agent.js): without this, a flood of INVITEs from a
   * banned source would grow that map for as long as the connection lasts.
   */
  private drop(req: SrfRequest): void {
    this.dropped++;
    if (req.method !== 'INVITE') return;
    const internals = req as unknown as {
      agent?: { mapServer?: Map<unknown, { pendingNetworkInvites?: Map<string, unknown> }> };
      socket?: unknown;
    };
    const callId = req.get('Call-ID');
    if (callId) internals.agent?.mapServer?.get(internals.socket)?.pendingNetworkInvites?.delete(callId);
  }
}
