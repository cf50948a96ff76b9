import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientTransaction } from '../../../../../src/telephony/embedded/sip/client-transaction.js';
import { ServerTransaction } from '../../../../../src/telephony/embedded/sip/server-transaction.js';
import { parseSipMessage } from '../../../../../src/telephony/embedded/sip/sip-parser.js';
import type { SipRequest, SipResponse } from '../../../../../src/telephony/embedded/sip/sip-message.js';
import type { Destination } from '../../../../../src/telephony/embedded/sip/sip-transport.js';
import { TimerRegistry } from '../../../../../src/telephony/embedded/sip/timer-registry.js';
import type { TransactionContext } from '../../../../../src/telephony/embedded/sip/transaction-context.js';

const T1 = 500;
const udp: Destination = { transport: 'udp', address: '127.0.0.1', port: 5070 };
const tcp: Destination = { ...udp, transport: 'tcp' };

function message(start: string, method: string): string {
  return `${start}\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKt\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
}
function parse<T>(text: string): T {
  const r = parseSipMessage(Buffer.from(text));
  if (!('message' in r)) throw new Error(r.error);
  return r.message as T;
}
const req = (method: string): SipRequest => parse(message(`${method} sip:c@d SIP/2.0`, method));
const res = (status: number, method: string): SipResponse => parse(message(`SIP/2.0 ${status} X`, method));

describe('RFC 3261 transaction timers', () => {
  let sent: number[];
  let terminated: string[];
  let ctx: TransactionContext;
  let timers: TimerRegistry;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    terminated = [];
    timers = new TimerRegistry();
    ctx = {
      t1: T1,
      t2: 4000,
      t4: 5000,
      timers,
      send: () => sent.push(Date.now()),
      terminated: (key) => terminated.push(key),
    };
  });
  afterEach(() => vi.useRealTimers());

  it('INVITE client over UDP: Timer A doubles from T1, Timer B ends it after 64*T1 with a timeout', () => {
    const onTimeout = vi.fn();
    const start = Date.now();
    new ClientTransaction(ctx, 'k', 'INVITE', 'INVITE…', udp, { onResponse: vi.fn(), onTimeout }).start();
    vi.advanceTimersByTime(64 * T1);
    expect(sent.map((t) => t - start)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(onTimeout).toHaveBeenCalledOnce();
    expect(terminated).toEqual(['k']);
    expect(timers.size).toBe(0);
  });

  it('INVITE client: a 1xx stops retransmission; a non-2xx final is ACKed, and again on its retransmission (Timer D)', () => {
    const onResponse = vi.fn();
    const tx = new ClientTransaction(
      ctx,
      'k',
      'INVITE',
      'INVITE…',
      udp,
      { onResponse, onTimeout: vi.fn() },
      () => 'ACK',
    );
    tx.start();
    tx.receive(res(180, 'INVITE'));
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    tx.receive(res(486, 'INVITE'));
    tx.receive(res(486, 'INVITE'));
    expect(sent).toHaveLength(3);
    expect(onResponse.mock.calls.map((c) => (c[0] as SipResponse).status)).toEqual([180, 486]);
    vi.advanceTimersByTime(64 * T1);
    expect(tx.state).toBe('terminated');
  });

  it('non-INVITE client over UDP: Timer E doubles up to T2, Timer F times out at 64*T1', () => {
    const start = Date.now();
    const onTimeout = vi.fn();
    new ClientTransaction(ctx, 'k', 'BYE', 'BYE…', udp, { onResponse: vi.fn(), onTimeout }).start();
    vi.advanceTimersByTime(64 * T1);
    const gaps = sent.slice(1).map((t, i) => t - (sent[i] as number));
    expect(sent[0]).toBe(start);
    expect(gaps.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(onTimeout).toHaveBeenCalledOnce();
  });

  it('non-INVITE client over TCP sends once and ends at once after the final (Timer K = 0)', () => {
    const tx = new ClientTransaction(ctx, 'k', 'BYE', 'BYE…', tcp, {
      onResponse: vi.fn(),
      onTimeout: vi.fn(),
    });
    tx.start();
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    tx.receive(res(200, 'BYE'));
    expect(tx.state).toBe('terminated');
  });

  it('INVITE server over UDP: Timer G retransmits a non-2xx final until the ACK, Timer I then ends it', () => {
    const tx = new ServerTransaction(ctx, 'k', req('INVITE'), udp);
    tx.respond(486, '486');
    vi.advanceTimersByTime(3600);
    expect(sent).toHaveLength(4); // at 0, 500, 1500, 3500
    tx.receive(req('ACK'));
    expect(tx.state).toBe('confirmed');
    vi.advanceTimersByTime(5000);
    expect(tx.state).toBe('terminated');
    expect(timers.size).toBe(0);
  });

  it('INVITE server: Timer H gives up on a missing ACK after 64*T1', () => {
    const tx = new ServerTransaction(ctx, 'k', req('INVITE'), udp);
    const onAckTimeout = vi.fn();
    tx.onAckTimeout = onAckTimeout;
    tx.respond(603, '603');
    vi.advanceTimersByTime(64 * T1);
    expect(onAckTimeout).toHaveBeenCalledOnce();
    expect(tx.state).toBe('terminated');
  });

  it('INVITE server: a 2xx moves to Accepted (RFC 6026) which absorbs retransmissions, then Timer L ends it', () => {
    const tx = new ServerTransaction(ctx, 'k', req('INVITE'), udp);
    tx.respond(100, '100');
    tx.receive(req('INVITE'));
    expect(sent).toHaveLength(2); // the retransmitted INVITE got the 100 again
    tx.respond(200, '200');
    tx.receive(req('INVITE'));
    expect(sent).toHaveLength(3);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(64 * T1);
    expect(tx.state).toBe('terminated');
  });

  it('non-INVITE server: retransmitted requests get the final again until Timer J', () => {
    const tx = new ServerTransaction(ctx, 'k', req('OPTIONS'), udp);
    tx.respond(200, '200');
    tx.receive(req('OPTIONS'));
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(64 * T1);
    expect(tx.state).toBe('terminated');
  });

  it('sends nothing once terminated (reliable transport: Timer I = 0)', () => {
    const tx = new ServerTransaction(ctx, 'k', req('INVITE'), tcp);
    tx.respond(486, '486');
    tx.receive(req('ACK'));
    expect(tx.state).toBe('terminated');
    tx.respond(200, '200'); // ignored: already terminated, nothing sent
    expect(sent).toHaveLength(1);
  });
});
