import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { CallwrightError } from '../../../errors.js';

/**
 * Binds one UDP socket per session on an even port in [min, max] (RFC 3550 §11: RTP on even ports).
 * A cursor walks the range so a port just released is not reused at once (late packets of the old
 * call would land in the new one); ports held by another process are skipped.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private cursor: number;
  private readonly first: number;
  private readonly count: number;

  constructor(
    private readonly address: string,
    min: number,
    max: number,
  ) {
    this.first = min % 2 === 0 ? min : min + 1;
    this.count = Math.floor((max - this.first) / 2) + 1;
    if (this.count < 1) {
      throw new CallwrightError('CONFIG_INVALID', `media.rtp_port_min..rtp_port_max holds no even port`, [
        { field: 'media.rtp_port_max', value: max, expected: `a port >= ${this.first}` },
      ]);
    }
    this.cursor = Math.floor(Math.random() * this.count);
  }

  get available(): number {
    return this.count - this.inUse.size;
  }

  async allocate(): Promise<{ socket: Socket; port: number }> {
    const { port, value } = await this.allocateWith((p) => bindRtpSocket(this.address, p));
    return { socket: value, port };
  }

  /**
   * Picks free ports in cursor order and lets `bind` try each (null = held by another process), so a
   * socket can be bound elsewhere (a media worker thread) while this allocator keeps the bookkeeping.
   */
  async allocateWith<T>(bind: (port: number) => Promise<T | null>): Promise<{ port: number; value: T }> {
    for (let tried = 0; tried < this.count; tried++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.count;
      if (this.inUse.has(port)) continue;
      // Reserved before the (possibly remote) bind so a concurrent allocation skips it.
      this.inUse.add(port);
      const value = await bind(port);
      if (value !== null) return { port, value };
      this.inUse.delete(port);
    }
    throw new CallwrightError(
      'UNAVAILABLE',
      `no free RTP port in media.rtp_port_min..rtp_port_max (${this.first}-${this.first + 2 * (this.count - 1)}); widen the range`,
    );
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}

/** Binds a UDP socket for RTP on exactly `port`; null when the port is taken. */
export function bindRtpSocket(address: string, port: number): Promise<Socket | null> {
  const type = address.includes(':') ? 'udp6' : 'udp4';
  const socket = createSocket({ type, lookup: ipLookup });
  return new Promise((resolve) => {
    const onError = (): void => {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      resolve(null);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * dgram resolves every send's address through `lookup`, and the default (dns.lookup) answers even a
 * literal IP on the next tick with a closure per packet; RTP always sends to literal IPs, so answer
 * those at once (the send then happens synchronously) and leave names to dns.lookup.
 */
function ipLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}
