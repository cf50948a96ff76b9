/** True when `address` (IPv4 dotted quad) equals `rule` or lies in the IPv4 CIDR `rule` (a.b.c.d/n). */
export function matchesAddress(rule: string, address: string): boolean {
  const [net, bitsText] = rule.split('/');
  if (bitsText === undefined) return rule === address;
  const bits = Number(bitsText);
  const a = ipv4(address);
  const n = ipv4(net ?? '');
  if (a === undefined || n === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined;
    out = out * 256 + v;
  }
  return out;
}
