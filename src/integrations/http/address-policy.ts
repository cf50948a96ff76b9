import net from 'node:net';

/** The outbound-address rules of the `http` config section. */
export interface AddressPolicySettings {
  allow_private: boolean;
  /** Host names, IPs or CIDRs reachable even when private. */
  allow_hosts: readonly string[];
}

/**
 * Ranges no outbound request may reach unless allowed: they lead to the machine itself, the LAN,
 * the carrier NAT or the cloud's metadata service (the usual server-side request forgery targets).
 */
const PRIVATE_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network (RFC 1122 §3.2.1.3)'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback (RFC 1122)'],
  ['169.254.0.0', 16, 'link-local / cloud metadata (RFC 3927)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (RFC 6890)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking (RFC 2544)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved / broadcast'],
];
const PRIVATE_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback (RFC 4291)'],
  ['fc00::', 7, 'unique local (RFC 4193)'],
  ['fe80::', 10, 'link-local (RFC 4291)'],
  ['ff00::', 8, 'multicast'],
];

export interface AddressVerdict {
  allowed: boolean;
  /** Why it was refused (the range's name). */
  reason?: string;
}

/** An IPv4 address carried inside IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged as IPv4. */
function embeddedV4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = net.isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/**
 * Decides which addresses and hosts outbound HTTP may reach. Built once from config; `check` is
 * called for every address a host resolves to, and the connection then uses only a checked address.
 */
export class AddressPolicy {
  private readonly allowList = new net.BlockList();
  private readonly allowNames = new Set<string>();

  constructor(private readonly settings: AddressPolicySettings) {
    for (const entry of settings.allow_hosts) {
      const [ip, bits] = entry.split('/');
      const fam = ip ? family(ip) : undefined;
      if (fam && bits !== undefined) this.allowList.addSubnet(ip!, Number(bits), fam);
      else if (fam) this.allowList.addAddress(ip!, fam);
      else this.allowNames.add(entry.toLowerCase().replace(/\.$/, ''));
    }
  }

  /** Config entries that are neither a host name, an IP nor a valid CIDR (for startup checks). */
  static invalidEntries(entries: readonly string[]): string[] {
    return entries.filter((e) => {
      const [ip, bits, extra] = e.split('/');
      if (extra !== undefined || !ip) return true;
      const fam = family(ip);
      if (bits !== undefined) {
        const n = Number(bits);
        return !fam || !Number.isInteger(n) || n < 0 || n > (fam === 'ipv4' ? 32 : 128);
      }
      return !fam && !/^[a-z0-9.-]+$/i.test(ip);
    });
  }

  /** A host name listed in allow_hosts skips the private-range check for whatever it resolves to. */
  hostAllowed(host: string): boolean {
    return this.allowNames.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /** Whether a connection to this resolved address may be made for `host`. */
  check(address: string, host = address): AddressVerdict {
    const v4 = embeddedV4(address);
    const target = v4 ?? address;
    const fam = family(target);
    if (!fam) return { allowed: false, reason: 'not an IP address' };
    const range = privateRange(target, fam);
    if (!range) return { allowed: true };
    if (this.settings.allow_private || this.hostAllowed(host)) return { allowed: true };
    if (
      this.allowList.check(target, fam) ||
      (v4 === undefined ? false : this.allowList.check(address, 'ipv6'))
    )
      return { allowed: true };
    return { allowed: false, reason: range };
  }
}

const privateV4 = PRIVATE_V4.map(([a, b, why]) => {
  const list = new net.BlockList();
  list.addSubnet(a, b, 'ipv4');
  return { list, why };
});
const privateV6 = PRIVATE_V6.map(([a, b, why]) => {
  const list = new net.BlockList();
  list.addSubnet(a, b, 'ipv6');
  return { list, why };
});

/** The name of the private range an address falls in, or undefined for a public address. */
export function privateRange(address: string, fam: 'ipv4' | 'ipv6'): string | undefined {
  const ranges = fam === 'ipv4' ? privateV4 : privateV6;
  return ranges.find((r) => r.list.check(address, fam))?.why;
}
