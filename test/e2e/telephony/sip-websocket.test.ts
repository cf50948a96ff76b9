/**
 * SIP over WebSocket (RFC 7118) on the embedded stack, driven by a raw `ws` client writing SIP text:
 * subprotocol, OPTIONS, keep-alives, malformed and oversized frames, connection limit, INVITEs without
 * or with a bad or expired phone token (403 with the reason), a call with a valid token (our BYE comes
 * back over the same connection), a call ended by the connection closing, and a WebRTC offer answered
 * ICE-lite whose call ends when ICE never connects.
 * Port block: 56100-56199 (API, SIP and WebSocket on port 0; server RTP 56100-56189; the client's
 * never-listening RTP and ICE ports 56190-56191).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/server.js';
import { PhoneTokens } from '../../../src/calls/phone-token.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SipTransport } from '../../../src/telephony/embedded/sip/sip-transport.js';
import type { InboundCall } from '../../../src/telephony/port.js';
import { configWith, startEmbeddedBackend } from '../../helpers/embedded-backend.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/index.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { callApi } from '../../helpers/api-client.js';

const SECRET = 's'.repeat(48);
let dir: { dir: string; cleanup: () => void };
let server: RunningServer;
let wsUrl: string;
let key: string;
let demoId: string;
let hangerId: string;

/** One browser-like SIP client: messages in order, waited for with a timeout. */
class SipWsClient {
  readonly messages: string[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly host = `${randomBytes(4).toString('hex')}.invalid`;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(String(data));
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** `protocol` empty: no subprotocol offered. */
  static async open(protocol = 'sip'): Promise<SipWsClient> {
    const socket = new WebSocket(wsUrl, protocol ? [protocol] : []);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new SipWsClient(socket);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  /** The first message (from `from` on) matching `test`, within `timeoutMs`. */
  async next(test: (m: string) => boolean, from = 0, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching SIP message; got:\n${this.messages.join('\n---\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  via(branch: string): string {
    return `SIP/2.0/WS ${this.host};branch=z9hG4bK${branch}`;
  }

  /** Closes the connection and waits until the server has seen it go. */
  async close(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

function options(c: SipWsClient): string {
  return [
    `OPTIONS sip:ping@127.0.0.1 SIP/2.0`,
    `Via: ${c.via('opt1')}`,
    'Max-Forwards: 70',
    `From: <sip:tester@${c.host}>;tag=a1`,
    'To: <sip:ping@127.0.0.1>',
    `Call-ID: opt-${c.host}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 56190 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** A browser's WebRTC offer (as Chromium writes it) whose only candidate nobody answers on. */
const WEBRTC_SDP = [
  'v=0',
  'o=- 6134177539690838290 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS s1',
  'm=audio 56191 UDP/TLS/RTP/SAVPF 111 0 8 126',
  'c=IN IP4 127.0.0.1',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122194687 127.0.0.1 56191 typ host generation 0',
  'a=ice-ufrag:9oy7',
  'a=ice-pwd:pRnn+dUnx75KN5nSDZHTceM+',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 22:31:58:48:F0:FA:E4:55:26:ED:00:44:5D:47:D7:3C:31:FC:66:C0:F6:B5:7C:47:4D:B6:1D:8F:F6:90:B2:D1',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:2177038990 cname:i84l2d',
  '',
].join('\r\n');

function invite(c: SipWsClient, target: string, callId: string, token?: string, sdp = SDP): string {
  const head = [
    `INVITE sip:${target}@127.0.0.1 SIP/2.0`,
    `Via: ${c.via(callId)}`,
    'Max-Forwards: 70',
    `From: "Browser" <sip:dashboard@${c.host}>;tag=f${callId}`,
    `To: <sip:${target}@127.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:u1@${c.host};transport=ws>`,
    ...(token ? [`X-Callwright-Phone-Token: ${token}`] : []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
  ];
  return `${head.join('\r\n')}\r\n\r\n${sdp}`;
}

/** ACK for the 2xx `ok` (RFC 3261 §13.2.2.4): To tag from the response. */
function ack(c: SipWsClient, callId: string, ok: string): string {
  const to = /^To: (.*)$/m.exec(ok)?.[1] ?? '';
  return [
    `ACK sip:x@127.0.0.1 SIP/2.0`,
    `Via: ${c.via(`${callId}ack`)}`,
    'Max-Forwards: 70',
    `From: "Browser" <sip:dashboard@${c.host}>;tag=f${callId}`,
    `To: ${to}`,
    `Call-ID: ${callId}`,
    'CSeq: 1 ACK',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** 200 OK to a request we received (copies Via, From, To, Call-ID, CSeq). */
function okTo(request: string): string {
  const keep = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
  return ['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n');
}

const api = <T>(method: string, url: string, body?: unknown): Promise<T> =>
  callApi<T>(server.apiUrl, key, method, url, body);

beforeAll(async () => {
  dir = tempDir('callwright-e2e-sipws-');
  const config = testConfig(dir.dir, {
    sip: {
      address: '127.0.0.1',
      // Nothing allowed by address: WebSocket callers are admitted by their phone token alone.
      allow: [],
      websocket: { enabled: true, host: '127.0.0.1', port: 0, max_connections: 4, token_secret: SECRET },
    },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: 56100,
      rtp_port_max: 56189,
    },
  });
  server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
  const telephony = server.telephony as EmbeddedTelephony;
  wsUrl = `ws://127.0.0.1:${telephony.websocket?.port}`;
  key = (await server.store.apiKeys.create('ws')).token;
  demoId = (await server.store.agents.findBy('name', 'demo'))?.id as string;
  hangerId = (
    await api<{ id: string }>('POST', '/agents', {
      name: 'hanger',
      kind: 'scripted',
      config: { steps: [{ hangup: true }] },
    })
  ).id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

describe('the WebSocket listener', () => {
  it('refuses a handshake without the "sip" subprotocol (RFC 7118 §4.1)', async () => {
    await expect(SipWsClient.open('')).rejects.toThrow('Unexpected server response: 400');
    await expect(SipWsClient.open('chat')).rejects.toThrow('Unexpected server response: 400');
  });

  it('answers OPTIONS over the connection, Via stamped with received and WS as the transport', async () => {
    const c = await SipWsClient.open();
    c.send('\r\n\r\n'); // a keep-alive is ignored
    c.send(options(c));
    const ok = await c.next((m) => m.startsWith('SIP/2.0 200'));
    expect(ok).toMatch(/^Via: SIP\/2\.0\/WS [0-9a-f]+\.invalid;branch=z9hG4bKopt1;received=127\.0\.0\.1/m);
    expect(ok).toMatch(/^Allow: INVITE, ACK, BYE/m);
    await c.close();
  });

  it('answers a malformed request whose Via reads with 400 and a Warning naming the problem', async () => {
    const c = await SipWsClient.open();
    c.send(options(c).replace('OPTIONS sip:ping@127.0.0.1 SIP/2.0', 'OPTIONS  sip:ping@127.0.0.1 SIP/2.0'));
    const bad = await c.next((m) => m.startsWith('SIP/2.0 400'));
    expect(bad).toMatch(/^Warning: 399 /m);
    await c.close();
  });

  it('closes a connection that sends something other than SIP, saying why (1003)', async () => {
    const c = await SipWsClient.open();
    c.send('hello, is this the chat server?');
    const closed = await c.closed;
    expect(closed.code).toBe(1003);
    expect(closed.reason).toContain('not a SIP message');
    // The listener carries on.
    const d = await SipWsClient.open();
    d.send(options(d));
    await d.next((m) => m.startsWith('SIP/2.0 200'));
    await d.close();
  });

  it('closes a connection sending a frame over 64 KiB (1009)', async () => {
    const c = await SipWsClient.open();
    c.send(options(c).replace('Content-Length: 0', `X-Pad: ${'a'.repeat(70_000)}\r\nContent-Length: 0`));
    expect((await c.closed).code).toBe(1009);
  });

  it('names sip.websocket when its port is taken, and leaves nothing bound', async () => {
    const port = Number(new URL(wsUrl).port);
    const transport = new SipTransport({
      address: '127.0.0.1',
      port: 0,
      transports: ['udp', 'tcp'],
      logger: createLogger({ level: 'silent', redact_pii: true }),
      websocket: { host: '127.0.0.1', port, maxConnections: 1, pingIntervalMs: 30_000 },
    });
    await expect(transport.start()).rejects.toThrow(
      `sip.websocket: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
    // UDP and TCP it had bound are released: the same port binds again.
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(transport.port, '127.0.0.1', () => resolve());
    });
    udp.close();
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(transport.port, '127.0.0.1', () => resolve());
    });
    tcp.close();
  });

  it('refuses connections over sip.websocket.max_connections with 503', async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => SipWsClient.open()));
    await expect(SipWsClient.open()).rejects.toThrow('Unexpected server response: 503');
    await Promise.all(open.map((c) => c.close()));
  });
});

describe('who may call over a WebSocket', () => {
  it.each([
    ['no token', undefined, 'Phone Token Required'],
    ['a forged token', 'v1.YWJj.9999999999.bm9uY2U.AAAA', 'Phone Token Invalid'],
    [
      'an expired token',
      new PhoneTokens(SECRET, 60, () => Date.now() - 120_000).issue('x').token,
      'Phone Token Expired',
    ],
    ['a malformed token', 'let-me-in', 'Phone Token Malformed'],
  ])('refuses an INVITE with %s: 403 with the reason', async (_name, token, reason) => {
    const c = await SipWsClient.open();
    const callId = randomBytes(6).toString('hex');
    c.send(invite(c, 'demo', callId, token));
    const refused = await c.next((m) => /^SIP\/2\.0 [3-6]\d\d/.test(m));
    expect(refused.split('\r\n')[0]).toBe(`SIP/2.0 403 ${reason}`);
    // Nothing was answered: no call row.
    expect(await server.store.calls.findBy('sip_call_id', callId)).toBeUndefined();
    await c.close();
  });

  it('routes a valid token to its agent whatever the Request-URI says; our BYE comes back over the connection', async () => {
    const { token } = await api<{ token: string }>('POST', `/agents/${hangerId}/phone`);
    const c = await SipWsClient.open();
    const callId = randomBytes(6).toString('hex');
    c.send(invite(c, 'anything', callId, token));
    const ok = await c.next((m) => m.startsWith('SIP/2.0 200'));
    expect(ok).toMatch(/^Contact: <sip:anything@127\.0\.0\.1:\d+;transport=ws>/m);
    c.send(ack(c, callId, ok));
    // The agent hangs up at once: the BYE is sent to the browser's .invalid Contact over this socket.
    const bye = await c.next((m) => m.startsWith('BYE '));
    expect(bye.split('\r\n')[0]).toBe(`BYE sip:u1@${c.host};transport=ws SIP/2.0`);
    expect(bye).toMatch(/^Via: SIP\/2\.0\/WS 127\.0\.0\.1:\d+;branch=/m);
    c.send(okTo(bye));
    const row = await server.store.calls.findBy('sip_call_id', callId);
    expect(row?.agent_id).toBe(hangerId);
    await expect
      .poll(async () => (await server.store.calls.get(row!.id))?.state, { timeout: 10_000 })
      .toBe('ended');
    expect(await server.store.calls.get(row!.id)).toMatchObject({ hangup_by: 'agent' });
    await c.close();
  });

  it('ends the call when the browser connection closes without a BYE', async () => {
    const { token } = await api<{ token: string }>('POST', `/agents/${demoId}/phone`);
    const c = await SipWsClient.open();
    const callId = randomBytes(6).toString('hex');
    c.send(invite(c, 'demo', callId, token));
    const ok = await c.next((m) => m.startsWith('SIP/2.0 200'));
    c.send(ack(c, callId, ok));
    const row = await server.store.calls.findBy('sip_call_id', callId);
    await expect
      .poll(async () => (await server.store.calls.get(row!.id))?.state, { timeout: 10_000 })
      .not.toBe('ringing');
    c.socket.terminate();
    await expect
      .poll(async () => (await server.store.calls.get(row!.id))?.state, { timeout: 10_000 })
      .toBe('ended');
    expect(await server.store.calls.get(row!.id)).toMatchObject({ hangup_by: 'caller' });
  });

  it('answers a WebRTC offer ICE-lite with PCMU on the media address; no ICE within 15 s ends the call', async () => {
    const { token } = await api<{ token: string }>('POST', `/agents/${demoId}/phone`);
    const c = await SipWsClient.open();
    const callId = randomBytes(6).toString('hex');
    c.send(invite(c, 'demo', callId, token, WEBRTC_SDP));
    const ok = await c.next((m) => m.startsWith('SIP/2.0 200'));
    const answer = ok.slice(ok.indexOf('\r\n\r\n') + 4);
    expect(answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r$/m);
    expect(answer).toMatch(/^a=rtpmap:0 PCMU\/8000/m);
    expect(answer).toMatch(/^a=ice-lite/m);
    expect(answer).toMatch(/^a=fingerprint:sha-256 [0-9A-F:]{95}/m);
    const candidates = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(candidates.length).toBeGreaterThan(0);
    for (const line of candidates) expect(line.split(' ')[4]).toBe('127.0.0.1');
    c.send(ack(c, callId, ok));
    const bye = await c.next((m) => m.startsWith('BYE '), 0, 30_000);
    c.send(okTo(bye));
    const row = await server.store.calls.findBy('sip_call_id', callId);
    await expect
      .poll(async () => (await server.store.calls.get(row!.id))?.state, { timeout: 10_000 })
      .toBe('ended');
    await c.close();
  }, 60_000);
});

describe('a browser leaving while its call rings', () => {
  it('cancels the call when the connection closes before the answer (487, no leg)', async () => {
    const backend = await startEmbeddedBackend(
      configWith({
        log: { level: 'silent' },
        sip: { port: 0, address: '127.0.0.1', websocket: { enabled: true, host: '127.0.0.1', port: 0 } },
        media: {
          address: '127.0.0.1',
          advertised_address: '127.0.0.1',
          rtp_port_min: 56192,
          rtp_port_max: 56199,
        },
      }),
    );
    try {
      const ringing: InboundCall[] = [];
      // A handler that rings and never answers.
      backend.telephony.onInbound(async (call) => {
        await call.ring();
        ringing.push(call);
      });
      const socket = new WebSocket(`ws://127.0.0.1:${backend.telephony.websocket?.port}`, ['sip']);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const c = new SipWsClient(socket);
      c.send(invite(c, 'anyone', randomBytes(6).toString('hex')));
      await c.next((m) => m.startsWith('SIP/2.0 180'));
      expect(ringing).toHaveLength(1);
      c.socket.terminate();
      await ringing[0]!.cancelled;
      await expect.poll(() => backend.telephony.stats().activeCalls, { timeout: 10_000 }).toBe(0);
      expect(backend.telephony.stats().mediaSessions).toBe(0);
    } finally {
      await backend.stop();
    }
  });
});
