/**
 * Who may send us requests: trunks and PBXs by source IP/CIDR and/or digest credentials. Everything
 * else gets the same answer whether or not the called user exists, and known scanners get no answer.
 */
import type { SipTrunkSettings } from '../../config/schema.js';
import { inAddressRange, parseAddress, parseAddressRange, type AddressRange } from './address-range.js';

export type AccessDecision =
  | { verdict: 'allow'; trunk?: string }
  /** Credentials exist for someone: ask for digest. */
  | { verdict: 'challenge' }
  | { verdict: 'refuse' }
  | { verdict: 'drop' };

export interface AccessSettings {
  allow: string[];
  scannerUserAgents: string[];
  trunks: SipTrunkSettings[];
}

export class AccessControl {
  private readonly global: AddressRange[];
  private readonly trunkRanges: Array<{ name: string; cidrs: AddressRange[] }>;
  private readonly scanners: string[];
  private readonly users = new Map<string, { password: string; trunk: string }>();
  /** Trunk hosts given as addresses: where a trunk's own requests come from. */
  private readonly trunkHosts: AddressRange[];

  constructor(settings: AccessSettings) {
    this.global = settings.allow.map((e, i) => parseAddressRange(e, `sip.allow[${i}]`));
    this.trunkRanges = settings.trunks.map((t, i) => ({
      name: t.name,
      cidrs: t.inbound_allow.map((e, j) => parseAddressRange(e, `sip.trunks[${i}].inbound_allow[${j}]`)),
    }));
    this.trunkHosts = settings.trunks.flatMap((t, i) =>
      parseAddress(t.host) ? [parseAddressRange(t.host, `sip.trunks[${i}].host`)] : [],
    );
    this.scanners = settings.scannerUserAgents.map((s) => s.toLowerCase()).filter(Boolean);
    for (const t of settings.trunks) {
      if (t.inbound_username)
        this.users.set(t.inbound_username, { password: t.inbound_password, trunk: t.name });
    }
  }

  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    return this.scanners.some((s) => ua.includes(s));
  }

  /** Decides by address; digest is checked by the caller when the verdict is `challenge`. */
  decide(sourceIp: string, userAgent: string | undefined): AccessDecision {
    if (this.isScanner(userAgent)) return { verdict: 'drop' };
    // Parsed once per request, not once per range compared.
    const ip = parseAddress(sourceIp);
    if (ip) {
      for (const t of this.trunkRanges)
        if (t.cidrs.some((c) => inAddressRange(ip, c))) return { verdict: 'allow', trunk: t.name };
      if (this.global.some((c) => inAddressRange(ip, c))) return { verdict: 'allow' };
    }
    return this.users.size > 0 ? { verdict: 'challenge' } : { verdict: 'refuse' };
  }

  /**
   * Sources never banned for failed digest answers: anything `decide` allows by address, and the
   * address a trunk's host names (a host name is not resolved). Banning a carrier would cut every
   * call it brings, and over UDP a source address is easy to forge.
   */
  exemptFromBans(sourceIp: string): boolean {
    const ip = parseAddress(sourceIp);
    if (!ip) return false;
    return (
      this.trunkHosts.some((r) => inAddressRange(ip, r)) ||
      this.trunkRanges.some((t) => t.cidrs.some((c) => inAddressRange(ip, c))) ||
      this.global.some((c) => inAddressRange(ip, c))
    );
  }

  password(username: string): string | undefined {
    return this.users.get(username)?.password;
  }

  trunkOfUser(username: string): string | undefined {
    return this.users.get(username)?.trunk;
  }
}
