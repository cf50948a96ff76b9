/**
 * The sipp UAC scenarios that end calls (sipp-scenarios/) must count a call as successful only when
 * the BYE's own transaction got its 200. Under overload a server retransmits the 200 to the INVITE
 * (RFC 3261 §13.3.1.4: until it sees the ACK); sipp's default matching takes any 200 whose CSeq
 * method was sent earlier in the scenario, so such a retransmission, arriving after the BYE, was
 * counted as the BYE's answer while the call was still up on the server. The scenarios now tie each
 * response to the transaction that asked for it (start_txn / response_txn, matched on the Via branch
 * per RFC 3261 §17.1.3).
 *
 * The far end here is a scripted UDP UAS: it answers every request, retransmits the INVITE's 200
 * throughout the call (as an overloaded server that lost the ACK would) and, in the failing case,
 * never answers the BYE.
 */
import dgram from 'node:dgram';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSipp, SCENARIOS, sippFailure } from '../../helpers/sipp.js';

// Ports for this file: 48500-48549.
const BASE = 48500;

interface Uas {
  port: number;
  byes: number;
  close(): Promise<void>;
}

function header(msg: string, name: string): string[] {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gim');
  return [...msg.matchAll(re)].map((m) => m[1]!.trim());
}

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 48549 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** A UAS that answers every request with 200 (the BYE only if `answerBye`). */
async function scriptedUas(port: number, answerBye: boolean): Promise<Uas> {
  const socket = dgram.createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  const state = { byes: 0 };
  const respond = (msg: string, status: string, to: string, body = ''): string =>
    [
      `SIP/2.0 ${status}`,
      ...header(msg, 'Via').map((v) => `Via: ${v}`),
      `From: ${header(msg, 'From')[0]}`,
      `To: ${to}`,
      `Call-ID: ${header(msg, 'Call-ID')[0]}`,
      `CSeq: ${header(msg, 'CSeq')[0]}`,
      `Contact: <sip:uas@127.0.0.1:${port}>`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  socket.on('message', (data, rinfo) => {
    const msg = data.toString();
    const method = /^(\w+) /.exec(msg)?.[1];
    if (!method || method === 'SIP/2.0' || method === 'ACK') return;
    const rawTo = header(msg, 'To')[0] ?? '';
    const to = /;tag=/.test(rawTo) ? rawTo : `${rawTo};tag=uas${header(msg, 'Call-ID')[0]!.length}`;
    const send = (text: string): void => socket.send(text, rinfo.port, rinfo.address);
    if (method === 'BYE') {
      state.byes++;
      if (answerBye) send(respond(msg, '200 OK', to));
      return;
    }
    const ok = respond(msg, '200 OK', to, method === 'INVITE' ? SDP : '');
    send(ok);
    if (method === 'INVITE' && !/^CSeq:\s*[2-9]/im.test(msg)) {
      // The first INVITE's 200 keeps coming, as from a server that never got (or processed) the ACK.
      const timer = setInterval(() => send(ok), 100);
      timers.add(timer);
      setTimeout(() => clearInterval(timer), 8_000).unref();
    }
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return {
    port,
    get byes() {
      return state.byes;
    },
    close: () => {
      for (const t of timers) clearInterval(t);
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

const cases: Array<{ scenario: string }> = [
  { scenario: 'uac-invite-answer-hangup.xml' },
  { scenario: 'uac-invite-dtmf-rfc2833.xml' },
  { scenario: 'uac-invite-dtmf-info.xml' },
  { scenario: 'uac-invite-dtmf-info-signal-10-11.xml' },
  { scenario: 'uac-invite-hold-unhold.xml' },
  { scenario: 'uac-invite-pcap-audio-g711a.xml' },
];

const work = mkdtempSync(path.join(tmpdir(), 'sipp-bye-txn-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sipp scenarios count a call only when the BYE itself is answered', () => {
  cases.forEach(({ scenario }, i) => {
    it(`${scenario}: a retransmitted 200 to the INVITE does not count as the answer to the BYE`, async () => {
      const uas = await scriptedUas(BASE + 2 * i, false);
      try {
        const result = await runSipp({
          scenario,
          remote: `127.0.0.1:${uas.port}`,
          service: '1000',
          localPort: BASE + 2 * i + 1,
          mediaPort: BASE + 20 + 4 * i,
          extraArgs: ['-d', '300', '-max_non_invite_retrans', '2'],
          timeoutMs: 12_000,
        });
        expect(uas.byes, sippFailure(result)).toBeGreaterThan(0);
        expect(result.code, 'sipp must not call this call successful').not.toBe(0);
        expect(result.stdout + result.stderr).not.toMatch(/Successful call\s*\|\s*\d+\s*\|\s*1\b/);
      } finally {
        await uas.close();
      }
    });
  });

  it('the same scenario succeeds when the BYE gets its own 200 (INVITE 200 still retransmitted)', async () => {
    copyFileSync(path.join(SCENARIOS, 'uac-invite-answer-hangup.xml'), path.join(work, 'scenario.xml'));
    const uas = await scriptedUas(BASE + 12, true);
    try {
      const result = await runSipp({
        scenario: path.join(work, 'scenario.xml'),
        remote: `127.0.0.1:${uas.port}`,
        service: '1000',
        localPort: BASE + 13,
        extraArgs: ['-d', '300'],
        timeoutMs: 12_000,
      });
      expect(result.code, sippFailure(result)).toBe(0);
      expect(uas.byes).toBeGreaterThan(0);
    } finally {
      await uas.close();
    }
  });
});
