/**
 * Brute-force protection for inbound SIP digest authentication, fail2ban style and in memory: every
 * failed digest answer is logged, and `max_failures` failures from one source within `window_s` ban
 * that source for `ban_s`. While banned, its requests are dropped before any transaction exists (the
 * caller asks `isBanned` first). Backend-neutral: it knows addresses and failures, not SIP messages.
 *
 * Keys: an IPv4 address (an IPv4-mapped IPv6 source counts as its IPv4 address), or the /64 an IPv6
 * address lies in, since one IPv6 host usually holds a whole /64 and could otherwise rotate through it.
 */
import type { Logger } from '../../logging/logger.js';
import { parseAddress } from './address-range.js';

export interface DigestBanSettings {
  /** Failures within the window that ban a source; 0 = never ban (failures are still logged). */
  max_failures: number;
  window_s: number;
  ban_s: number;
}

/** Why a digest answer failed. A stale nonce over the right password is not a failure (RFC 7616 §3.3). */
export type DigestFailureReason = 'wrong-password' | 'unknown-user' | 'wrong-realm' | 'malformed';

export interface DigestFailure {
  address: string;
  port: number;
  method: string;
  username: string;
  realm: string;
  reason: DigestFailureReason;
}

/** Shape read by the metrics part: sources banned now, failures and bans since start. */
export interface DigestBanStats {
  banned: number;
  failures: number;
  bans: number;
}

export interface DigestBansDeps {
  logger: Logger;
  /** Sources that are never banned (allow-listed trunk and `sip.allow` addresses). */
  exempt?: (address: string) => boolean;
  /** Milliseconds clock; tests inject their own. */
  now?: () => number;
  /** Most sources remembered at once (failure windows and bans each); the oldest are forgotten first. */
  maxTracked?: number;
}

const DEFAULT_MAX_TRACKED = 100_000;
/** Attacker-chosen strings are cut before they reach the log. */
const LOGGED_CHARS = 64;

function logged(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > LOGGED_CHARS ? `${clean.slice(0, LOGGED_CHARS)}…` : clean;
}

/** The key a source is counted and banned under (see the file comment). */
export function banKey(address: string): string {
  const ip = parseAddress(address);
  if (!ip) return address;
  if (!ip.v6) {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const prefix = ip.value >> 64n;
  const groups = [48n, 32n, 16n, 0n].map((s) => ((prefix >> s) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}

export class DigestBans {
  /** Failure times (ms) inside the window, per key; Map order = least recently failed first. */
  private readonly failures = new Map<string, number[]>();
  /** Ban end (ms) per key; Map order = earliest end first, since every ban lasts ban_s. */
  private readonly banned = new Map<string, number>();
  private failureCount = 0;
  private banCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly maxTracked: number;
  private readonly log: Logger;

  constructor(
    readonly settings: DigestBanSettings,
    private readonly deps: DigestBansDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.maxTracked = deps.maxTracked ?? DEFAULT_MAX_TRACKED;
    this.log = deps.logger.child({ component: 'sip-digest-bans' });
  }

  /** True while `address` is banned; a ban found over is lifted (and logged) here. */
  isBanned(address: string): boolean {
    if (this.banned.size === 0) return false;
    const key = banKey(address);
    const until = this.banned.get(key);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.lift(key, until);
    return false;
  }

  /** Logs the failure and counts it; returns true when it bans the source. */
  recordFailure(failure: DigestFailure): boolean {
    const now = this.now();
    const key = banKey(failure.address);
    const windowMs = this.settings.window_s * 1000;
    const times = (this.failures.get(key) ?? []).filter((t) => now - t < windowMs);
    times.push(now);
    this.failureCount++;
    // Never the password or the response hash: only who tried, from where, and why it failed.
    this.log.warn(
      {
        username: logged(failure.username),
        realm: logged(failure.realm),
        sourceAddress: failure.address,
        sourcePort: failure.port,
        method: failure.method,
        reason: failure.reason,
        failuresInWindow: times.length,
      },
      'sip digest authentication failed',
    );
    const max = this.settings.max_failures;
    const exempt = this.deps.exempt?.(failure.address) ?? false;
    if (max > 0 && times.length >= max && !exempt) {
      this.failures.delete(key);
      this.ban(key, failure.address, times.length, now);
      return true;
    }
    // Re-inserted so the map stays ordered by last failure, then trimmed from the stalest end.
    this.failures.delete(key);
    this.failures.set(key, times.slice(-(max > 0 ? max : 1000)));
    this.trim(this.failures);
    return false;
  }

  stats(): DigestBanStats {
    this.sweep();
    return { banned: this.banned.size, failures: this.failureCount, bans: this.banCount };
  }

  /** Stops the timer that lifts bans on time (bans then end at the next look). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private ban(key: string, address: string, failures: number, now: number): void {
    const until = now + this.settings.ban_s * 1000;
    this.banned.delete(key);
    this.banned.set(key, until);
    this.trim(this.banned);
    this.banCount++;
    this.log.warn(
      {
        source: key,
        sourceAddress: address,
        failures,
        windowS: this.settings.window_s,
        banS: this.settings.ban_s,
        until: new Date(until).toISOString(),
      },
      'sip source banned after repeated digest failures',
    );
    this.schedule();
  }

  private lift(key: string, until: number): void {
    this.banned.delete(key);
    this.log.info({ source: key, since: new Date(until).toISOString() }, 'sip source ban lifted');
  }

  /** Lifts every ban that is over; bans end in insertion order, so the first unexpired one stops it. */
  private sweep(): void {
    const now = this.now();
    for (const [key, until] of this.banned) {
      if (until > now) break;
      this.lift(key, until);
    }
  }

  /** One unref'd timer for the earliest ban end, so a ban is lifted and logged on time. */
  private schedule(): void {
    if (this.timer) return;
    const first = this.banned.values().next();
    if (first.done) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.sweep();
        this.schedule();
      },
      Math.max(0, first.value - this.now()) + 5,
    );
    this.timer.unref();
  }

  private trim(map: Map<string, unknown>): void {
    for (const key of map.keys()) {
      if (map.size <= this.maxTracked) return;
      map.delete(key);
    }
  }
}
