/**
 * The embedded backend behind a Record-Routing proxy (Kamailio's dispatcher in front of several nodes):
 * the 200 carries the INVITE's Record-Route so the caller's route set passes the proxy, and requests
 * the node sends inside the dialog (BYE) go to the first route with the whole route set as Route
 * headers, to the caller's Contact as Request-URI (RFC 3261 §12.1.1, §12.2.1.1). A bare UDP socket
 * plays each proxy, so the test sees exactly what the node puts on the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg } from '../../../src/telephony/port.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';
import { RawSipClient, request } from './raw-sip-client.js';

// Port block for this file: 58000-58499 (peers on the OS's free ports, RTP 58100-58499; 58090 is the
// callee's RTP port in its SDP, nothing listens there).
const BASE = 58000;

async function until<T>(get: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function headerValues(text: string, name: string): string[] {
  return text
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

describe('embedded backend behind a Record-Routing proxy', () => {
  let fx: EmbeddedFixture;
  let legs: CallLeg[] = [];

  beforeAll(async () => {
    fx = await startEmbedded(BASE);
    fx.telephony.onInbound(async (call) => {
      const leg = await call.answer();
      legs.push(leg);
    });
  });
  afterAll(async () => fx?.stop());

  it('copies Record-Route into the 200 and sends its own BYE to the first route with the route set as Route headers', async () => {
    legs = [];
    const caller = await RawSipClient.open('127.0.0.1', 0);
    const edge = await RawSipClient.open('127.0.0.1', 0);
    const core = await RawSipClient.open('127.0.0.1', 0);
    try {
      const node = { host: '127.0.0.1', port: fx.telephony.port };
      // Two proxies on the path; the second one's entry shares a header line with a third (a comma
      // list, RFC 3261 §7.3.1) to show the route set is read entry by entry.
      const rr = [
        `Record-Route: <sip:127.0.0.1:${edge.port};lr;ftag=raw>`,
        `Record-Route: <sip:127.0.0.1:${core.port};lr>, "far, away" <sip:127.0.0.1:9;lr>`,
      ];
      const invite = request('INVITE', `sip:+14155550100@127.0.0.1:${node.port}`, caller, { headers: rr });
      const [ok] = await caller.send(invite, node, 1000);
      expect(ok?.status).toBe(200);
      expect(headerValues(ok!.text, 'Record-Route')).toEqual(rr.map((h) => h.slice('Record-Route: '.length)));

      const toTag = /^To:.*;tag=([^;\s]+)/m.exec(ok!.text)?.[1];
      const contact = /^Contact:\s*<([^>]+)>/m.exec(ok!.text)?.[1];
      expect(contact).toBe(`sip:+14155550100@127.0.0.1:${node.port}`);
      const ack = invite
        .replace(/^INVITE \S+/, `ACK ${contact}`)
        .replace(/^To: (.*)$/m, `To: $1;tag=${toTag}`)
        .replace(/^CSeq: 1 INVITE$/m, 'CSeq: 1 ACK')
        .replace(/;branch=[^;]+/, ';branch=z9hG4bK-raw-ack');
      await caller.send(ack, node, 50);
      const leg = await until(() => legs[0], 5000, 'the answered leg');

      void leg.hangup();
      const bye = await until(
        () => edge.requests.find((r) => r.startsWith('BYE ')),
        5000,
        'the BYE at the first proxy',
      );
      expect(bye.split('\r\n')[0]).toBe(`BYE sip:tester@127.0.0.1:${caller.port} SIP/2.0`);
      expect(headerValues(bye, 'Route')).toEqual([
        `<sip:127.0.0.1:${edge.port};lr;ftag=raw>`,
        `<sip:127.0.0.1:${core.port};lr>`,
        `"far, away" <sip:127.0.0.1:9;lr>`,
      ]);
      expect(caller.requests.filter((r) => r.startsWith('BYE '))).toEqual([]);
      expect(core.requests).toEqual([]);
    } finally {
      caller.close();
      edge.close();
      core.close();
    }
  }, 30_000);

  it("as the caller, keeps the 200's Record-Route reversed: ACK and BYE go to the nearest proxy with the route set as Route headers", async () => {
    const callee = await RawSipClient.open('127.0.0.1', 0);
    const near = await RawSipClient.open('127.0.0.1', 0);
    const far = await RawSipClient.open('127.0.0.1', 0);
    try {
      const outcome = fx.telephony.dial({ target: `sip:bob@127.0.0.1:${callee.port}` });
      const invite = await until(
        () => callee.requests.find((r) => r.startsWith('INVITE ')),
        5000,
        'the INVITE at the callee',
      );
      const pick = (name: string): string => new RegExp(`^${name}: .*$`, 'm').exec(invite)?.[0] ?? '';
      const sdp = [
        'v=0',
        'o=bob 1 1 IN IP4 127.0.0.1',
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${BASE + 90} RTP/AVP 8`,
        'a=rtpmap:8 PCMA/8000',
        '',
      ].join('\r\n');
      // As a UAS behind two proxies sees it: the one nearest the caller Record-Routed first (bottom).
      const ok = [
        'SIP/2.0 200 OK',
        ...invite.split('\r\n').filter((l) => l.startsWith('Via: ')),
        `Record-Route: <sip:127.0.0.1:9;lr>, <sip:127.0.0.1:${far.port};lr>`,
        `Record-Route: <sip:127.0.0.1:${near.port};lr;ftag=x>`,
        pick('From'),
        `${pick('To')};tag=callee1`,
        pick('Call-ID'),
        pick('CSeq'),
        `Contact: <sip:bob@127.0.0.1:${callee.port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n');
      const node = { host: '127.0.0.1', port: fx.telephony.port };
      await callee.send(ok, node, 50);
      const dialled = await outcome;
      if (dialled.outcome !== 'answered') throw new Error(`expected answered, got ${dialled.outcome}`);
      const routes = [
        `<sip:127.0.0.1:${near.port};lr;ftag=x>`,
        `<sip:127.0.0.1:${far.port};lr>`,
        '<sip:127.0.0.1:9;lr>',
      ];
      const ack = await until(
        () => near.requests.find((r) => r.startsWith('ACK ')),
        5000,
        'the ACK at the near proxy',
      );
      expect(ack.split('\r\n')[0]).toBe(`ACK sip:bob@127.0.0.1:${callee.port} SIP/2.0`);
      expect(headerValues(ack, 'Route')).toEqual(routes);

      void dialled.leg.hangup();
      const bye = await until(
        () => near.requests.find((r) => r.startsWith('BYE ')),
        5000,
        'the BYE at the near proxy',
      );
      expect(bye.split('\r\n')[0]).toBe(`BYE sip:bob@127.0.0.1:${callee.port} SIP/2.0`);
      expect(headerValues(bye, 'Route')).toEqual(routes);
      expect(callee.requests.filter((r) => !r.startsWith('INVITE '))).toEqual([]);
      expect(far.requests).toEqual([]);
    } finally {
      callee.close();
      near.close();
      far.close();
    }
  }, 30_000);
});
