import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CLIENT_TRANSITIONS,
  ClientTransaction,
  clientTransition,
  type ClientKind,
  type ClientState,
} from '../../../../../src/telephony/embedded/sip/client-transaction.js';
import { parseSipMessage } from '../../../../../src/telephony/embedded/sip/sip-parser.js';
import type { SipResponse } from '../../../../../src/telephony/embedded/sip/sip-message.js';
import type { Destination } from '../../../../../src/telephony/embedded/sip/sip-transport.js';
import { TimerRegistry } from '../../../../../src/telephony/embedded/sip/timer-registry.js';
import type { TransactionContext } from '../../../../../src/telephony/embedded/sip/transaction-context.js';

const T1 = 500;
const udp: Destination = { transport: 'udp', address: '127.0.0.1', port: 5070 };

function res(status: number, method: string): SipResponse {
  const text = `SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKt\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
  const r = parseSipMessage(Buffer.from(text));
  if (!('message' in r)) throw new Error(r.error);
  return r.message as SipResponse;
}

describe('client transaction transition table (RFC 3261 §17.1.1 fig. 5, §17.1.2 fig. 6, RFC 6026)', () => {
  const allowed: Array<[ClientKind, ClientState, ClientState]> = [
    ['invite', 'calling', 'proceeding'],
    ['invite', 'calling', 'completed'],
    ['invite', 'calling', 'accepted'],
    ['invite', 'calling', 'terminated'],
    ['invite', 'proceeding', 'proceeding'],
    ['invite', 'proceeding', 'completed'],
    ['invite', 'proceeding', 'accepted'],
    ['invite', 'completed', 'terminated'],
    ['invite', 'accepted', 'terminated'],
    ['non-invite', 'trying', 'proceeding'],
    ['non-invite', 'trying', 'completed'],
    ['non-invite', 'trying', 'terminated'],
    ['non-invite', 'proceeding', 'completed'],
    ['non-invite', 'proceeding', 'terminated'],
    ['non-invite', 'completed', 'terminated'],
  ];
  it.each(allowed)('%s: %s -> %s is allowed', (kind, from, to) => {
    expect(clientTransition(kind, from, to)).toBe(to);
  });

  const refused: Array<[ClientKind, ClientState, ClientState]> = [
    ['invite', 'completed', 'accepted'],
    ['invite', 'accepted', 'completed'],
    ['invite', 'accepted', 'proceeding'],
    ['invite', 'completed', 'proceeding'],
    ['invite', 'terminated', 'calling'],
    ['invite', 'calling', 'trying'],
    ['non-invite', 'trying', 'accepted'],
    ['non-invite', 'completed', 'proceeding'],
    ['non-invite', 'terminated', 'trying'],
    ['non-invite', 'calling', 'proceeding'],
  ];
  it.each(refused)('%s: %s -> %s throws', (kind, from, to) => {
    expect(() => clientTransition(kind, from, to)).toThrow(
      `${kind} client transaction: ${from} -> ${to} not allowed`,
    );
  });

  it('lists no move out of terminated', () => {
    expect(CLIENT_TRANSITIONS.invite.terminated).toEqual([]);
    expect(CLIENT_TRANSITIONS['non-invite'].terminated).toEqual([]);
  });
});

describe('INVITE client transaction timers (fake clock)', () => {
  let ctx: TransactionContext;
  let timers: TimerRegistry;
  let sent: string[];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    timers = new TimerRegistry();
    ctx = { t1: T1, t2: 4000, t4: 5000, timers, send: (d) => sent.push(d), terminated: () => undefined };
  });
  afterEach(() => vi.useRealTimers());

  it('Timer B stops at the first provisional: a callee ringing 45 s then answering reaches the TU', () => {
    const onResponse = vi.fn();
    const onTimeout = vi.fn();
    const tx = new ClientTransaction(ctx, 'k', 'INVITE', 'INVITE', udp, { onResponse, onTimeout });
    tx.start();
    vi.advanceTimersByTime(100);
    tx.receive(res(180, 'INVITE'));
    expect(timers.size).toBe(0); // neither Timer A nor Timer B is left running in Proceeding
    vi.advanceTimersByTime(45_000);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(tx.state).toBe('proceeding');
    tx.receive(res(200, 'INVITE'));
    expect(tx.state).toBe('accepted');
    expect(onResponse.mock.calls.map((c) => (c[0] as SipResponse).status)).toEqual([180, 200]);
    vi.advanceTimersByTime(64 * T1); // Timer M
    expect(tx.state).toBe('terminated');
    expect(timers.size).toBe(0);
  });

  it('Timer B still ends an INVITE that hears nothing at all', () => {
    const onTimeout = vi.fn();
    const tx = new ClientTransaction(ctx, 'k', 'INVITE', 'INVITE', udp, { onResponse: vi.fn(), onTimeout });
    tx.start();
    vi.advanceTimersByTime(64 * T1);
    expect(onTimeout).toHaveBeenCalledOnce();
    expect(tx.state).toBe('terminated');
  });

  it('Timer F keeps running in a non-INVITE Proceeding state', () => {
    const onTimeout = vi.fn();
    const tx = new ClientTransaction(ctx, 'k', 'BYE', 'BYE', udp, { onResponse: vi.fn(), onTimeout });
    tx.start();
    tx.receive(res(100, 'BYE'));
    expect(tx.state).toBe('proceeding');
    vi.advanceTimersByTime(64 * T1);
    expect(onTimeout).toHaveBeenCalledOnce();
    expect(tx.state).toBe('terminated');
  });

  it('terminate() from any live state ends the transaction and its timers', () => {
    const tx = new ClientTransaction(ctx, 'k', 'INVITE', 'INVITE', udp, {
      onResponse: vi.fn(),
      onTimeout: vi.fn(),
    });
    tx.start();
    tx.receive(res(183, 'INVITE'));
    tx.terminate();
    tx.terminate();
    expect(tx.state).toBe('terminated');
    expect(timers.size).toBe(0);
  });
});
