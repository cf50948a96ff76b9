/**
 * Who may send us requests: trunks and PBXs by source IP/CIDR and/or digest credentials. Everything
 * else gets the same answer whether or not the called user exists, and known scanners get no answer.
 */
import net from 'node:net';
import type { SipTrunkSettings } from '../../../config/schema.js';

interface Cidr {
  base: bigint;
  bits: number;
  v6: boolean;
}

function toBigInt(ip: string): { value: bigint; v6: boolean } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1] as string;
  if (net.isIPv4(ip)) {
    return { value: ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n), v6: false };
  }
  if (!net.isIPv6(ip)) return undefined;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return {
    value: groups.reduce((acc: bigint, g: string) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n),
    v6: true,
  };
}

/** Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; throws a message naming the entry. */
export function parseCidr(entry: string, field: string): Cidr {
  const [ip = '', bitsText] = entry.trim().split('/');
  const parsed = toBigInt(ip);
  const max = parsed?.v6 ? 128 : 32;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!parsed || !Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new Error(
      `${field}: got ${JSON.stringify(entry)}, expected an IP address or CIDR such as 203.0.113.0/24`,
    );
  }
  const shift = BigInt(max - bits);
  return { base: (parsed.value >> shift) << shift, bits, v6: parsed.v6 };
}

function inCidr(ip: { value: bigint; v6: boolean }, cidr: Cidr): boolean {
  if (ip.v6 !== cidr.v6) return false;
  const shift = BigInt((cidr.v6 ? 128 : 32) - cidr.bits);
  return (ip.value >> shift) << shift === cidr.base;
}

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
  private readonly global: Cidr[];
  private readonly trunkRanges: Array<{ name: string; cidrs: Cidr[] }>;
  private readonly scanners: string[];
  private readonly users = new Map<string, { password: string; trunk: string }>();

  constructor(settings: AccessSettings) {
    this.global = settings.allow.map((e, i) => parseCidr(e, `sip.allow[${i}]`));
    this.trunkRanges = settings.trunks.map((t, i) => ({
      name: t.name,
      cidrs: t.inbound_allow.map((e, j) => parseCidr(e, `sip.trunks[${i}].inbound_allow[${j}]`)),
    }));
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
    const ip = toBigInt(sourceIp);
    if (ip) {
      for (const t of this.trunkRanges)
        if (t.cidrs.some((c) => inCidr(ip, c))) return { verdict: 'allow', trunk: t.name };
      if (this.global.some((c) => inCidr(ip, c))) return { verdict: 'allow' };
    }
    return this.users.size > 0 ? { verdict: 'challenge' } : { verdict: 'refuse' };
  }

  password(username: string): string | undefined {
    return this.users.get(username)?.password;
  }

  trunkOfUser(username: string): string | undefined {
    return this.users.get(username)?.trunk;
  }
}
