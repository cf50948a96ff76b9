/**
 * IPv4 and IPv6 addresses and CIDR ranges (`203.0.113.0/24`, `2001:db8::/32`, or a single address),
 * the one rule both backends use for `sip.allow` and `sip.trunks[].inbound_allow`. An IPv4-mapped IPv6
 * address (`::ffff:192.0.2.7`, as a dual-stack socket reports IPv4 peers) counts as its IPv4 address.
 */
import net from 'node:net';

export interface AddressRange {
  base: bigint;
  bits: number;
  v6: boolean;
}

interface Address {
  value: bigint;
  v6: boolean;
}

/** The address as a number, or undefined when it is not an IPv4 or IPv6 address. */
export function parseAddress(text: string): Address | undefined {
  let ip = text.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1] as string;
  if (net.isIPv4(ip)) {
    return { value: ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n), v6: false };
  }
  if (!net.isIPv6(ip)) return undefined;
  // An embedded dotted quad (`::ffff:1.2.3.4` handled above; `64:ff9b::1.2.3.4`) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1];
  if (dotted) {
    const o = dotted.split('.').map(Number) as [number, number, number, number];
    ip =
      ip.slice(0, -dotted.length) +
      `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return { value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n), v6: true };
}

/** Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; throws a message naming `field`, the entry and the form. */
export function parseAddressRange(entry: string, field: string): AddressRange {
  const [ip = '', bitsText, extra] = entry.trim().split('/');
  const parsed = parseAddress(ip);
  const max = parsed?.v6 ? 128 : 32;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!parsed || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new Error(
      `${field}: got ${JSON.stringify(entry)}, expected an IP address or CIDR such as 203.0.113.0/24 or 2001:db8::/32`,
    );
  }
  const shift = BigInt(max - bits);
  return { base: (parsed.value >> shift) << shift, bits, v6: parsed.v6 };
}

/** True when `address` lies in `range` (an IPv4 address never matches an IPv6 range, nor the reverse). */
export function inAddressRange(address: string | Address, range: AddressRange): boolean {
  const ip = typeof address === 'string' ? parseAddress(address) : address;
  if (!ip || ip.v6 !== range.v6) return false;
  const shift = BigInt((range.v6 ? 128 : 32) - range.bits);
  return (ip.value >> shift) << shift === range.base;
}
