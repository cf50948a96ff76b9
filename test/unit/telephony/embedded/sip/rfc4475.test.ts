/**
 * RFC 4475 torture messages through the real parser, transaction layer and user agent core of the
 * embedded backend (no sockets: the stack's send is tapped). For each message: what the parser makes
 * of it, and the final response we answer with (or `dropped`, or `call` when the INVITE reaches the
 * backend's call handling).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../../src/logging/logger.js';
import { AccessControl } from '../../../../../src/telephony/sip/access-control.js';
import { DidRouter } from '../../../../../src/telephony/sip/did-router.js';
import { DigestVerifier } from '../../../../../src/telephony/sip/digest-auth.js';
import { parseSipMessage } from '../../../../../src/telephony/embedded/sip/sip-parser.js';
import { SipStack } from '../../../../../src/telephony/embedded/sip/sip-stack.js';
import type { Destination } from '../../../../../src/telephony/embedded/sip/sip-transport.js';
import { UserAgentCore } from '../../../../../src/telephony/embedded/sip/user-agent-core.js';
import { RFC4475 } from './rfc4475-messages.js';

const logger = createLogger({ level: 'silent', redact_pii: true });
const SOURCE: Destination = { transport: 'udp', address: '192.0.2.77', port: 5060 };

/** A SipStack whose outgoing messages are recorded instead of sent. */
class TappedStack extends SipStack {
  readonly sent: string[] = [];
  override send(data: string): void {
    this.sent.push(data);
  }
  /** Feeds bytes in as if they arrived on UDP from `from`. */
  deliver(bytes: Buffer, from: Destination): void {
    this['receive'](bytes, from);
  }
}

type Answer = number | 'dropped' | 'call';

interface Rig {
  stack: TappedStack;
  answer(name: string): Answer;
  responses(): string[];
}

function rig(): Rig {
  const stack = new TappedStack({
    address: '127.0.0.1',
    port: 0,
    transports: ['udp'],
    publicAddress: '',
    t1: 500,
    t2: 4000,
    t4: 5000,
    userAgent: 'callwright-test',
    logger,
  });
  let calls = 0;
  const core = new UserAgentCore({
    stack,
    access: new AccessControl({ allow: ['0.0.0.0/0'], scannerUserAgents: [], trunks: [] }),
    dids: new DidRouter(['*']),
    digest: new DigestVerifier('callwright'),
    logger,
    onInvite: (invite) => {
      calls++;
      core.respond(invite.tx, 480);
    },
  });
  stack.user = core;
  return {
    stack,
    responses: () => stack.sent.filter((m) => m.startsWith('SIP/2.0 ')),
    answer(name) {
      const message = RFC4475.get(name);
      if (!message) throw new Error(`no RFC 4475 message named ${name}`);
      const before = calls;
      stack.sent.length = 0;
      stack.deliver(message.bytes, SOURCE);
      if (calls > before) return 'call';
      const finals = stack.sent
        .map((m) => Number(/^SIP\/2\.0 (\d{3}) /.exec(m)?.[1] ?? 0))
        .filter((s) => s >= 200);
      return finals[0] ?? 'dropped';
    },
  };
}

describe('RFC 4475 torture messages', () => {
  let r: Rig;
  beforeEach(() => {
    r = rig();
  });
  afterEach(async () => {
    await r.stack.stop();
  });

  it('has every message it names, with CRLF line ends', () => {
    expect(RFC4475.size).toBeGreaterThanOrEqual(45);
    for (const m of RFC4475.values()) {
      const head = m.bytes.toString('latin1').split('\r\n\r\n')[0] ?? '';
      expect(head.includes('\n') && !head.includes('\r\n'), m.name).toBe(false);
      expect(/[^\r]\n/.test(head), `${m.name} has a bare LF`).toBe(false);
    }
  });

  // [name, what we answer, why]
  const table: Array<[string, Answer, string]> = [
    // §3.1.1 valid messages: parsed and handled like any other request.
    [
      'wsinv',
      481,
      'parsed despite folding, odd case, `sip:… ;tag`, Max-Forwards 0068; its To tag names no dialog of ours',
    ],
    [
      'intmeth',
      501,
      'an unknown method full of token characters, a `"` in the Call-ID, `?` in the user part',
    ],
    ['esc01', 'call', 'escaped characters in URIs and parameters'],
    ['escnull', 405, 'escaped NULs in URIs; REGISTER is not ours to serve'],
    ['esc02', 501, '% in a method name is not an escape'],
    ['lwsdisp', 200, 'no whitespace between a display name and <'],
    ['longreq', 'call', 'very long header values and 33 Vias'],
    ['dblreq', 405, 'trailing octets after Content-Length are ignored (only the REGISTER is answered)'],
    ['semiuri', 200, 'semicolons in the user part'],
    ['transports', 200, 'unknown transports in lower Vias'],
    ['mpart01', 405, 'a multipart body; MESSAGE is not ours to serve'],
    // §3.1.2 invalid messages: 400 (505 for the version) when the Via is readable, else dropped.
    ['badinv01', 400, 'empty Via elements'],
    ['clerr', 400, 'Content-Length larger than the datagram'],
    ['ncl', 400, 'negative Content-Length'],
    ['scalar02', 400, 'CSeq and Max-Forwards too large'],
    ['quotbal', 400, 'unterminated quoted display name'],
    ['ltgtruri', 400, 'Request-URI in angle brackets'],
    ['lwsruri', 400, 'whitespace inside the Request-URI'],
    ['lwsstart', 400, 'several spaces between request-line elements'],
    ['trws', 400, 'spaces after SIP/2.0'],
    ['escruri', 400, '?headers in the Request-URI'],
    ['baddate', 'call', 'a Date with a bad time zone: Date is not read, so the request goes on'],
    [
      'regbadct',
      405,
      'Contact with ?headers outside <> is not read for REGISTER, which is not ours to serve',
    ],
    ['badaspec', 400, 'whitespace between < and the addr-spec'],
    ['baddn', 400, 'an unquoted display name with a comma'],
    ['badvers', 505, 'SIP/7.0'],
    ['mismatch01', 400, 'CSeq method differs from the request method'],
    ['mismatch02', 400, 'an unknown method with a CSeq method that differs'],
    // §3.2 / §3.3 / §3.4
    ['badbranch', 200, 'a branch that is only the magic cookie still identifies the transaction'],
    ['insuf', 400, 'no Call-ID, From, To or Max-Forwards'],
    ['unksm', 416, 'unknown Request-URI scheme'],
    ['novelsc', 416, 'a registered but unusual Request-URI scheme'],
    ['unksm2', 400, 'From and To with non-SIP URIs: we only read sip, sips and tel'],
    ['bext01', 420, 'Require with unknown option tags on OPTIONS'],
    ['invut', 415, 'an INVITE body that is not SDP'],
    ['regaut01', 405, 'an unknown Authorization scheme on a REGISTER, which is not ours to serve'],
    ['multi01', 400, 'two Call-ID, CSeq, From and To headers'],
    ['mcl01', 400, 'two Content-Length headers'],
    ['zeromf', 200, 'Max-Forwards 0 on an OPTIONS addressed to us'],
    ['cparam01', 405, 'REGISTER is not ours to serve'],
    ['inv2543', 'call', 'RFC 2543 syntax: no From tag, no Max-Forwards, no branch'],
  ];
  it.each(table)('%s → %s (%s)', (name, expected) => {
    expect(r.answer(name)).toBe(expected);
  });

  it('bext01: the 420 lists every unknown option tag in Unsupported', () => {
    r.answer('bext01');
    expect(r.responses()[0]).toMatch(/^Unsupported: nothingSupportsThis, nothingSupportsThisEither\r$/m);
  });

  it('badvers: the 505 says only SIP/2.0 is supported', () => {
    r.answer('badvers');
    expect(r.responses()[0]).toMatch(/^Warning: 399 .*SIP version 7\.0 not supported, only SIP\/2\.0/m);
  });

  // Responses carry no transaction of ours here: what matters is that they parse, or are refused.
  const responses: Array<[string, 'parsed' | 'refused', number?]> = [
    ['unreason', 'parsed', 200],
    ['noreason', 'parsed', 100],
    ['bcast', 'parsed', 200],
    ['scalarlg', 'refused'],
    ['bigcode', 'refused'],
  ];
  it.each(responses)('response %s is %s', (name, verdict, status) => {
    const result = parseSipMessage(RFC4475.get(name)?.bytes ?? Buffer.alloc(0));
    if (verdict === 'refused') {
      expect('error' in result).toBe(true);
      return;
    }
    if (!('message' in result) || result.message.kind !== 'response') throw new Error(JSON.stringify(result));
    expect(result.message.status).toBe(status);
    expect(r.answer(name)).toBe('dropped'); // a stray response is never answered
  });

  it('wsinv: the folded, oddly spaced headers read as the RFC means them', () => {
    const result = parseSipMessage(RFC4475.get('wsinv')?.bytes ?? Buffer.alloc(0));
    if (!('message' in result)) throw new Error(result.error);
    const m = result.message;
    expect(m.to.params.tag).toBe('1918181833n');
    expect(m.to.uri.user).toBe('vivekg');
    expect(m.from.params.tag).toBe('98asjd8');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.vias.map((v) => v.host)).toEqual(['192.0.2.2', 'spindle.example.com', '192.168.255.111']);
    expect(m.headers.get('max-forwards')).toBe('0068');
    expect(m.body).toHaveLength(150);
  });

  it('intmeth: a `"` inside the Call-ID is part of it', () => {
    const result = parseSipMessage(RFC4475.get('intmeth')?.bytes ?? Buffer.alloc(0));
    if (!('message' in result)) throw new Error(result.error);
    expect(result.message.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  });
});

describe('requests our own rules refuse', () => {
  let r: Rig;
  beforeEach(() => {
    r = rig();
  });
  afterEach(async () => {
    await r.stack.stop();
  });

  const base = (method: string, extra: string[] = [], toTag = ''): string =>
    [
      `${method} sip:1000@192.0.2.1 SIP/2.0`,
      'Via: SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bKown1',
      'From: <sip:a@192.0.2.77>;tag=f1',
      `To: <sip:1000@192.0.2.1>${toTag}`,
      'Call-ID: own-1@192.0.2.77',
      `CSeq: 1 ${method}`,
      'Max-Forwards: 70',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  const send = (text: string): Answer => {
    r.stack.sent.length = 0;
    r.stack.deliver(Buffer.from(text), SOURCE);
    const finals = r.responses().map((m) => Number(m.slice(8, 11)));
    return finals.find((s) => s >= 200) ?? 'dropped';
  };

  it('a UDP request whose headers never end (no empty line) gets 400 naming the problem', () => {
    const text = base('OPTIONS').replace(/\r\n\r\n$/, '\r\n');
    expect(send(text)).toBe(400);
    expect(r.responses()[0]).toMatch(/Warning: 399 .*no end of headers/);
  });

  it.each(['OPTIONS', 'INVITE', 'BYE', 'INFO', 'REFER', 'NOTIFY', 'MESSAGE', 'REGISTER'])(
    '%s with an unknown Require gets 420 with Unsupported',
    (method) => {
      expect(send(base(method, ['Require: foo, bar']))).toBe(420);
      expect(r.responses().at(-1)).toMatch(/^Unsupported: foo, bar\r$/m);
    },
  );

  it('an in-dialog BYE with an unknown Require gets 420, not 481', () => {
    expect(send(base('BYE', ['Require: timer'], ';tag=t9'))).toBe(420);
  });

  it('CANCEL ignores Require (RFC 3261 §9.1): 481 for no matching INVITE', () => {
    expect(send(base('CANCEL', ['Require: foo']))).toBe(481);
  });

  it.each(['Call-ID: own-2@192.0.2.77', 'CSeq: 2 OPTIONS', 'From: <sip:b@x>;tag=2', 'To: <sip:c@x>'])(
    'a second "%s" gets 400',
    (header) => {
      expect(send(base('OPTIONS', [header]))).toBe(400);
      expect(r.responses()[0]).toMatch(/appears more than once, only one is allowed/);
    },
  );
});
