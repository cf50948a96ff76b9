import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/logging/logger.js';
import { answerChallenge, DigestVerifier } from '../../../src/telephony/sip/digest-auth.js';
import { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { createMediaEngine, type RtpMediaEngine } from '../../../src/telephony/embedded/media/index.js';
import type { CallInfo } from '../../../src/telephony/port.js';
import { configWith } from '../../helpers/embedded-backend.js';
import { runSipp, sippFailure, type SippOptions } from '../../helpers/sipp.js';
import { loopbackLayer } from './embedded-fixture.js';
import { RawSipClient, request } from './raw-sip-client.js';

// Port block for this file: 50500-50699 (sipp and raw clients 50500-50599, RTP 50600-50699).
// 127.0.0.2 and 127.0.0.1 are "the internet" (challenged); 127.0.0.3 is in sip.allow; 127.0.0.4 is the
// trunk's host, which also authenticates by digest.
const BASE = 50500;
// Long enough for the checks made while banned on a busy machine; the lift test waits out the rest.
const BAN_S = 10;
const WRONG_PASSWORD = 'hunter2-not-it';

describe('digest brute-force protection (sipp)', () => {
  let telephony: EmbeddedTelephony;
  let media: RtpMediaEngine;
  let config: Config;
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const calls: CallInfo[] = [];

  beforeAll(async () => {
    config = configWith(loopbackLayer(BASE), {
      log: { level: 'info', redact_pii: true },
      media: { rtp_port_min: BASE + 100, rtp_port_max: BASE + 199 },
      sip: {
        allow: ['127.0.0.3/32'],
        dids: ['*'],
        trunks: [
          { name: 'pbx', host: '127.0.0.4', port: 5099, inbound_username: 'pbx', inbound_password: 'secret' },
        ],
        auth_bans: { max_failures: 3, window_s: 60, ban_s: BAN_S },
      },
    });
    // The pino output as the server writes it, one JSON line per record.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const logger = createLogger(config.log, sink);
    media = createMediaEngine(config.media, { logger });
    telephony = new EmbeddedTelephony({ sip: config.sip, media, logger });
    telephony.onInbound(async (call) => {
      calls.push(call.info);
      const leg = await call.answer();
      await leg.ended;
    });
    await telephony.start();
  });
  afterAll(async () => {
    await telephony?.stop();
    await media?.close();
  });

  const target = (): string => `127.0.0.1:${telephony.port}`;
  const sipp = (options: Omit<SippOptions, 'remote'>) =>
    runSipp({ remote: target(), service: '1000', timeoutMs: 20_000, ...options });
  const wrongPasswords = (localIp: string, localPort: number, calls: number) =>
    sipp({
      scenario: 'uac-invite-wrong-password-expect-403.xml',
      localIp,
      localPort,
      calls,
      rate: 20,
      extraArgs: ['-au', 'pbx', '-ap', WRONG_PASSWORD],
    });
  const rightPassword = (localIp: string, localPort: number) =>
    sipp({
      scenario: 'uac-invite-digest-auth.xml',
      localIp,
      localPort,
      mediaPort: localPort + 40,
      extraArgs: ['-au', 'pbx', '-ap', 'secret'],
    });
  const failures = () => lines.filter((l) => l.msg === 'sip digest authentication failed');

  let bannedAt = 0;

  it('answers max_failures wrong passwords from one address with 403, then bans it', async () => {
    const result = await wrongPasswords('127.0.0.2', BASE + 1, 3);
    bannedAt = Date.now();
    expect(result.code, sippFailure(result)).toBe(0);
    expect(telephony.bans.stats()).toEqual({ banned: 1, failures: 3, bans: 1 });
  });

  it('still serves the right password from another address (127.0.0.1) meanwhile', async () => {
    calls.length = 0;
    const result = await rightPassword('127.0.0.1', BASE + 4);
    expect(result.code, sippFailure(result)).toBe(0);
    expect(calls.map((c) => c.trunk)).toEqual(['pbx']);
  });

  it('gives the banned address no answer at all, and creates no transaction for it', async () => {
    expect(telephony.bans.isBanned('127.0.0.2')).toBe(true);
    const dropped = telephony.stats().droppedRequests ?? 0;
    const result = await sipp({
      scenario: 'uac-invite-banned-expect-no-answer.xml',
      localIp: '127.0.0.2',
      localPort: BASE + 2,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    // The INVITE and each retransmission within the 3 s of silence.
    expect((telephony.stats().droppedRequests ?? 0) - dropped).toBeGreaterThanOrEqual(3);

    const client = await RawSipClient.open('127.0.0.2', BASE + 3);
    try {
      const before = telephony.stats().serverTransactions ?? 0;
      const replies = await client.send(request('OPTIONS', `sip:1000@${target()}`, client), {
        host: '127.0.0.1',
        port: telephony.port,
      });
      expect(replies).toEqual([]);
      expect(telephony.stats().serverTransactions ?? 0).toBeLessThanOrEqual(before);
    } finally {
      client.close();
    }
  });

  it('logs every failure at warn with user, realm, address, port, method and reason, never the secret', () => {
    expect(failures()).toHaveLength(3);
    for (const line of failures()) {
      expect(line).toMatchObject({
        level: 40,
        username: 'pbx',
        realm: 'callwright',
        sourceAddress: '127.0.0.2',
        sourcePort: BASE + 1,
        method: 'INVITE',
        reason: 'wrong-password',
      });
      // Nothing from the Authorization header beyond the user and realm.
      expect(Object.keys(line).sort()).toEqual(
        [
          'component',
          'failuresInWindow',
          'level',
          'method',
          'msg',
          'realm',
          'reason',
          'service',
          'sourceAddress',
          'sourcePort',
          'time',
          'username',
        ].sort(),
      );
    }
    expect(lines.filter((l) => l.msg === 'sip source banned after repeated digest failures')).toEqual([
      expect.objectContaining({ level: 40, source: '127.0.0.2', failures: 3, banS: BAN_S }),
    ]);
    expect(raw.filter((l) => l.includes(WRONG_PASSWORD) || /response/i.test(l))).toEqual([]);
  });

  it('serves the address again once ban_s has passed, and logs the ban lifted', async () => {
    const wait = bannedAt + BAN_S * 1000 + 200 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect(lines.filter((l) => l.msg === 'sip source ban lifted')).toEqual([
      expect.objectContaining({ level: 30, source: '127.0.0.2' }),
    ]);
    calls.length = 0;
    const result = await rightPassword('127.0.0.2', BASE + 5);
    expect(result.code, sippFailure(result)).toBe(0);
    expect(calls).toHaveLength(1);
    expect(telephony.bans.stats()).toMatchObject({ banned: 0, bans: 1 });
  });

  it("never bans the trunk's own host, however many wrong passwords it sends", async () => {
    const wrong = await wrongPasswords('127.0.0.4', BASE + 6, 6);
    expect(wrong.code, sippFailure(wrong)).toBe(0);
    expect(failures().filter((l) => l.sourceAddress === '127.0.0.4')).toHaveLength(6);
    const right = await rightPassword('127.0.0.4', BASE + 7);
    expect(right.code, sippFailure(right)).toBe(0);
    expect(telephony.bans.stats()).toEqual({ banned: 0, failures: 9, bans: 1 });
  });

  it('never bans an address in sip.allow: it is admitted without digest, whatever it sends', async () => {
    const client = await RawSipClient.open('127.0.0.3', BASE + 8);
    try {
      const bogus =
        'Authorization: Digest username="pbx", realm="callwright", nonce="x", uri="sip:1000@h", response="0"';
      for (let i = 0; i < 5; i++) {
        const replies = await client.send(
          request('OPTIONS', `sip:1000@${target()}`, client, { headers: [bogus] }),
          { host: '127.0.0.1', port: telephony.port },
          150,
        );
        expect(replies.map((r) => r.status)).toEqual([200]);
      }
    } finally {
      client.close();
    }
    expect(telephony.bans.stats()).toEqual({ banned: 0, failures: 9, bans: 1 });
  });

  it('answers the right password over a stale nonce with a new stale=TRUE challenge, not a failure', async () => {
    const client = await RawSipClient.open('127.0.0.1', BASE + 9);
    try {
      const uri = `sip:1000@${target()}`;
      // A nonce this server cannot vouch for, as after a restart: the password is right, the nonce is not.
      const foreign = new DigestVerifier('callwright').challenge();
      const auth = answerChallenge(foreign, 'OPTIONS', uri, { username: 'pbx', password: 'secret' }) ?? '';
      const before = telephony.bans.stats().failures;
      const replies = await client.send(
        request('OPTIONS', uri, client, { headers: [`Authorization: ${auth}`] }),
        {
          host: '127.0.0.1',
          port: telephony.port,
        },
      );
      expect(replies.map((r) => r.status)).toEqual([401]);
      expect(replies[0]?.text).toMatch(
        /WWW-Authenticate: Digest realm="callwright", nonce="[^"]+".*stale=TRUE/,
      );
      expect(telephony.bans.stats().failures).toBe(before);
    } finally {
      client.close();
    }
  });
});
