/**
 * How a `+E164` destination becomes a Request-URI on a trunk, the same on both backends:
 * `sip:+14155550100@carrier.example.com[:port][;transport=tcp]`.
 * - The user part is the number as dialled, `+` included: the global form (RFC 3966 §5.1.4, carried
 *   in a SIP URI's user part as RFC 3261 §19.1.6 shows) that carriers route on.
 * - The port is written only when it is not 5060, the default for sip: over UDP and TCP (RFC 3261
 *   §19.1.2), so a trunk on the default port gets `sip:+1…@host` from either backend.
 * - An IPv6 host is written in brackets (RFC 3261 §25.1 `IPv6reference`).
 * - `;transport=tcp` when the trunk is TCP; UDP is the default and not written.
 */

export interface TrunkAddress {
  host: string;
  port?: number;
  transport?: 'udp' | 'tcp';
}

export const DEFAULT_SIP_PORT = 5060;

/** The Request-URI for `number` (already checked as `+E164`) on `trunk`. */
export function trunkRequestUri(number: string, trunk: TrunkAddress): string {
  if (!/^\+[1-9]\d{1,14}$/.test(number)) {
    throw new Error(`target: got ${JSON.stringify(number)}, expected an E.164 number such as +14155550100`);
  }
  const bare = trunk.host.trim().replace(/^\[|\]$/g, '');
  const host = bare.includes(':') ? `[${bare}]` : bare;
  const port = trunk.port && trunk.port !== DEFAULT_SIP_PORT ? `:${trunk.port}` : '';
  const transport = trunk.transport === 'tcp' ? ';transport=tcp' : '';
  return `sip:${number}@${host}${port}${transport}`;
}
