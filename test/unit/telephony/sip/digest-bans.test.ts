import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logging/logger.js';
import {
  banKey,
  DigestBans,
  type DigestBanSettings,
  type DigestFailure,
} from '../../../../src/telephony/sip/digest-bans.js';

interface Rig {
  bans: DigestBans;
  clock: { now: number };
  lines: Array<Record<string, unknown>>;
  fail(address: string, extra?: Partial<DigestFailure>): boolean;
}

function rig(settings: Partial<DigestBanSettings> = {}, exempt?: (a: string) => boolean): Rig {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const clock = { now: 1_000_000 };
  const bans = new DigestBans(
    { max_failures: 3, window_s: 60, ban_s: 600, ...settings },
    {
      logger: createLogger({ level: 'info', redact_pii: true }, sink),
      now: () => clock.now,
      ...(exempt ? { exempt } : {}),
    },
  );
  const fail = (address: string, extra: Partial<DigestFailure> = {}): boolean =>
    bans.recordFailure({
      address,
      port: 5060,
      method: 'INVITE',
      username: 'pbx',
      realm: 'callwright',
      reason: 'wrong-password',
      ...extra,
    });
  return { bans, clock, lines, fail };
}

/** pino writes synchronously to a Writable only after the current tick. */
const flushed = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('digest bans', () => {
  it('bans a source at max_failures within the window, and only that source', () => {
    const { bans, fail } = rig();
    expect(fail('198.51.100.7')).toBe(false);
    expect(fail('198.51.100.7')).toBe(false);
    expect(bans.isBanned('198.51.100.7')).toBe(false);
    expect(fail('198.51.100.7')).toBe(true);
    expect(bans.isBanned('198.51.100.7')).toBe(true);
    expect(bans.isBanned('198.51.100.8')).toBe(false);
    expect(bans.stats()).toEqual({ banned: 1, failures: 3, bans: 1 });
  });

  it('forgets failures older than the window', () => {
    const { bans, clock, fail } = rig({ window_s: 60 });
    fail('198.51.100.7');
    fail('198.51.100.7');
    clock.now += 60_000;
    expect(fail('198.51.100.7')).toBe(false);
    clock.now += 59_999;
    expect(fail('198.51.100.7')).toBe(false);
    expect(fail('198.51.100.7')).toBe(true);
    expect(bans.stats()).toEqual({ banned: 1, failures: 5, bans: 1 });
  });

  it('lifts a ban after ban_s, logs it, and counts failures afresh', async () => {
    const { bans, clock, fail, lines } = rig({ ban_s: 10 });
    fail('198.51.100.7');
    fail('198.51.100.7');
    fail('198.51.100.7');
    clock.now += 9_999;
    expect(bans.isBanned('198.51.100.7')).toBe(true);
    clock.now += 1;
    expect(bans.isBanned('198.51.100.7')).toBe(false);
    expect(bans.stats()).toEqual({ banned: 0, failures: 3, bans: 1 });
    expect(fail('198.51.100.7')).toBe(false);
    await flushed();
    const lifted = lines.filter((l) => l.msg === 'sip source ban lifted');
    expect(lifted).toEqual([expect.objectContaining({ source: '198.51.100.7', level: 30 })]);
  });

  it('stats() lifts bans that are over even when the source never comes back', () => {
    const { bans, clock, fail } = rig({ ban_s: 5 });
    for (let i = 0; i < 3; i++) fail('198.51.100.7');
    for (let i = 0; i < 3; i++) fail('198.51.100.9');
    expect(bans.stats().banned).toBe(2);
    clock.now += 5_000;
    expect(bans.stats()).toEqual({ banned: 0, failures: 6, bans: 2 });
  });

  it('never bans an exempt source, though its failures are logged and counted', async () => {
    const { bans, fail, lines } = rig({}, (a) => a === '203.0.113.10');
    for (let i = 0; i < 10; i++) expect(fail('203.0.113.10')).toBe(false);
    expect(bans.isBanned('203.0.113.10')).toBe(false);
    expect(bans.stats()).toEqual({ banned: 0, failures: 10, bans: 0 });
    await flushed();
    expect(lines.filter((l) => l.msg === 'sip digest authentication failed')).toHaveLength(10);
  });

  it('max_failures 0 logs failures but never bans', () => {
    const { bans, fail } = rig({ max_failures: 0 });
    for (let i = 0; i < 50; i++) expect(fail('198.51.100.7')).toBe(false);
    expect(bans.stats()).toEqual({ banned: 0, failures: 50, bans: 0 });
  });

  it('logs each failure at warn with who, where, how and why, and the ban with its end', async () => {
    const { fail, lines } = rig({ max_failures: 2, ban_s: 600 });
    fail('198.51.100.7', { reason: 'unknown-user', username: 'ghost', port: 40001, method: 'OPTIONS' });
    fail('198.51.100.7');
    await flushed();
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'sip digest authentication failed',
      username: 'ghost',
      realm: 'callwright',
      sourceAddress: '198.51.100.7',
      sourcePort: 40001,
      method: 'OPTIONS',
      reason: 'unknown-user',
      failuresInWindow: 1,
    });
    expect(lines[2]).toMatchObject({
      level: 40,
      msg: 'sip source banned after repeated digest failures',
      source: '198.51.100.7',
      failures: 2,
      banS: 600,
      until: new Date(1_000_000 + 600_000).toISOString(),
    });
  });

  it('cuts and cleans attacker-chosen usernames before logging them', async () => {
    const { fail, lines } = rig();
    fail('198.51.100.7', { username: `${'a'.repeat(100)}\r\nforged: line` });
    await flushed();
    const username = String(lines[0]?.username);
    expect(username).toBe(`${'a'.repeat(64)}…`);
    fail('198.51.100.7', { username: 'x\r\ny' });
    await flushed();
    expect(lines[1]?.username).toBe('x??y');
  });

  it('counts an IPv6 source by its /64 and an IPv4-mapped source as its IPv4 address', () => {
    expect(banKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(banKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    const { bans, fail } = rig();
    fail('2001:db8:1:2::1');
    fail('2001:db8:1:2::2');
    fail('2001:db8:1:2:ffff::3');
    expect(bans.isBanned('2001:db8:1:2::99')).toBe(true);
    expect(bans.isBanned('2001:db8:1:3::1')).toBe(false);
    fail('::ffff:198.51.100.7');
    fail('198.51.100.7');
    fail('::ffff:198.51.100.7');
    expect(bans.isBanned('198.51.100.7')).toBe(true);
  });

  it('remembers at most maxTracked sources, forgetting the stalest first', () => {
    const lines: unknown[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, d) => (lines.push(c), d()) });
    let now = 0;
    const bans = new DigestBans(
      { max_failures: 2, window_s: 60, ban_s: 600 },
      { logger: createLogger({ level: 'silent', redact_pii: false }, sink), now: () => now, maxTracked: 2 },
    );
    const fail = (address: string): boolean =>
      bans.recordFailure({
        address,
        port: 1,
        method: 'INVITE',
        username: 'u',
        realm: 'r',
        reason: 'wrong-password',
      });
    fail('192.0.2.1');
    now += 1;
    fail('192.0.2.2');
    fail('192.0.2.3');
    // 192.0.2.1's first failure was forgotten when 192.0.2.3 came: its second one starts over.
    expect(fail('192.0.2.1')).toBe(false);
    expect(fail('192.0.2.3')).toBe(true);
  });
});
