import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';
import { RawSipClient, request } from './raw-sip-client.js';

// Port block for this file: 21500-21999.
const BASE = 21500;

/** The RFC 4475 §3.1.2 invalid messages that can be expressed over UDP, with the answer each should get. */
function cases(c: RawSipClient, ruri: string): Array<[string, string, number | 'dropped']> {
  const ok = request('OPTIONS', ruri, c);
  const invite = request('INVITE', ruri, c, { body: 'v=0\r\n', headers: ['Content-Type: application/sdp'] });
  return [
    [
      '3.1.2.2 clerr: Content-Length larger than the body',
      invite.replace(/Content-Length: \d+/, 'Content-Length: 9999'),
      400,
    ],
    ['3.1.2.4 ncl: negative Content-Length', ok.replace(/Content-Length: \d+/, 'Content-Length: -999'), 400],
    [
      '3.1.2.5 scalar02: CSeq and Max-Forwards too large',
      ok.replace('CSeq: 1', 'CSeq: 36893488147419103232').replace('Max-Forwards: 70', 'Max-Forwards: 300'),
      400,
    ],
    ['3.1.2.6 quotbal: unterminated quoted string', ok.replace('From: <', 'From: "Mr. J. User <'), 400],
    [
      '3.1.2.7 ltgtruri: Request-URI in angle brackets',
      ok.replace(`OPTIONS ${ruri}`, `OPTIONS <${ruri}>`),
      400,
    ],
    [
      '3.1.2.8 lwsruri: whitespace inside the Request-URI',
      ok.replace(`OPTIONS ${ruri}`, `OPTIONS ${ruri}; lr`),
      400,
    ],
    [
      '3.1.2.9 lwsstart: several spaces in the request line',
      ok.replace(`OPTIONS ${ruri} SIP/2.0`, `OPTIONS  ${ruri}   SIP/2.0`),
      400,
    ],
    [
      '3.1.2.10 trws: trailing whitespace after the version',
      ok.replace(`${ruri} SIP/2.0`, `${ruri} SIP/2.0 `),
      400,
    ],
    [
      '3.1.2.13 mismatch01: CSeq method differs from the method',
      ok.replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'),
      400,
    ],
    ['3.1.2.15 badvers: SIP/7.0', ok.replace('SIP/2.0\r\nVia', 'SIP/7.0\r\nVia'), 505],
    ['3.1.2.17 insuf: no Call-ID, From or To', ok.replace(/^(Call-ID|From|To):.*\r\n/gm, ''), 400],
    [
      'unksm: unknown Request-URI scheme',
      ok.replace(`OPTIONS ${ruri}`, 'OPTIONS nobarack:1000@example.com'),
      416,
    ],
    [
      '3.1.2.1 badinv01: Via full of empty separators',
      ok.replace(/^Via: .*$/m, 'Via: SIP/2.0/UDP 127.0.0.1;;,;,,'),
      400,
    ],
    ['no Via at all (nowhere to answer)', ok.replace(/^Via: .*\r\n/m, ''), 'dropped'],
    ['garbage bytes', '\x00\x01\x02 not sip at all\r\n\r\n', 'dropped'],
    ['header line without a colon', ok.replace('Max-Forwards: 70', 'Max-Forwards 70'), 400],
    ['no empty line ending the headers', ok.replace(/\r\n\r\n$/, '\r\n'), 400],
    [
      'badvers with a SIP/7.0 Via as well',
      ok.replace('SIP/2.0\r\nVia: SIP/2.0/', 'SIP/7.0\r\nVia: SIP/7.0/'),
      505,
    ],
    ['two Call-ID headers (multi01)', ok.replace(/^(Call-ID: .*)$/m, '$1\r\nCall-ID: second@elsewhere'), 400],
    [
      'Require on an OPTIONS (bext01)',
      ok.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nRequire: foo'),
      420,
    ],
  ];
}

describe('malformed requests (RFC 4475)', () => {
  let fx: EmbeddedFixture;
  let client: RawSipClient;

  beforeAll(async () => {
    fx = await startEmbedded(BASE);
    fx.telephony.onInbound(async (call) => {
      const leg = await call.answer();
      await leg.ended;
    });
    client = await RawSipClient.open('127.0.0.1', BASE + 1);
  });
  afterAll(async () => {
    client?.close();
    await fx?.stop();
  });

  it('answers each invalid request 400/505/416/420 or drops it, and keeps serving', async () => {
    const target = { host: '127.0.0.1', port: fx.telephony.port };
    const ruri = `sip:1000@127.0.0.1:${fx.telephony.port}`;
    const seen: Array<[string, number | 'dropped']> = [];
    for (const [name, text] of cases(client, ruri)) {
      const replies = await client.send(text, target, 250);
      seen.push([name, replies[0]?.status ?? 'dropped']);
    }
    expect(seen).toEqual(cases(client, ruri).map(([name, , expected]) => [name, expected]));
    // Still serving: a well-formed OPTIONS gets 200 and a full call from sipp succeeds.
    const ping = await client.send(request('OPTIONS', ruri, client), target);
    expect(ping.map((r) => r.status)).toEqual([200]);
    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 2,
      mediaPort: BASE + 20,
      calls: 3,
      extraArgs: ['-d', '200'],
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(fx.telephony.stats().malformedMessages).toBeGreaterThanOrEqual(15);
  }, 30_000);
});
