/**
 * Far ends made of sipp (sipp-scenarios/) for contract rigs whose port speaks real SIP: each script of
 * the contract is one scenario, and sipp's exit code 0 is the far end's "all went as scripted".
 */
import { createSocket } from 'node:dgram';
import type { CallLeg, InboundCall } from '../../src/telephony/port.js';
import type { CalleeScript, CallerScript, FarEnd } from './port-contract.js';

export const CALLEE_SCENARIOS: Record<Exclude<CalleeScript, 'silent'>, string> = {
  answer: 'uas-answer-wait-bye.xml',
  'busy-486': 'uas-busy-486.xml',
  'unavailable-480': 'uas-unavailable-480.xml',
  'decline-603': 'uas-decline-603.xml',
  'ring-forever': 'uas-ring-no-answer.xml',
  'expect-info-dtmf-42': 'uas-expect-dtmf-info.xml',
  'refer-notify-200': 'uas-refer-accept-notify-200.xml',
  'refer-reject-603': 'uas-refer-reject-603.xml',
  'refer-reject-408': 'uas-refer-reject-408.xml',
  'refer-notify-486': 'uas-refer-accept-notify-486.xml',
  'refer-no-notify': 'uas-refer-accept-no-notify.xml',
};

export const CALLER_SCENARIOS: Record<CallerScript, string> = {
  'expect-bye': 'uac-invite-expect-server-bye.xml',
  'expect-reject-486': 'uac-invite-expect-486.xml',
  'cancel-while-ringing': 'uac-invite-cancel-while-ringing.xml',
  'hangs-up': 'uac-invite-answer-hangup.xml',
  'sends-info-dtmf': 'uac-invite-dtmf-info.xml',
  'sends-rfc2833-dtmf': 'uac-invite-dtmf-rfc2833.xml',
};

/** A far end that acts by itself: `finished` waits for the peer process and checks its verdict. */
export function selfDrivenFarEnd(done: () => Promise<void>): FarEnd {
  let finished: Promise<void> | undefined;
  return {
    connected: (_leg: CallLeg) => undefined,
    finished: () => (finished ??= done()),
  };
}

/** Hands each call the port's inbound handler gets to whoever waits for the next one. */
export class InboundQueue {
  private readonly waiting: Array<(call: InboundCall) => void> = [];
  private readonly arrived: InboundCall[] = [];

  readonly handler = (call: InboundCall): void => {
    const next = this.waiting.shift();
    if (next) next(call);
    else this.arrived.push(call);
  };

  next(timeoutMs = 10_000): Promise<InboundCall> {
    const ready = this.arrived.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(new Error(`no inbound call within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (call: InboundCall): void => {
        clearTimeout(timer);
        resolve(call);
      };
      this.waiting.push(take);
    });
  }
}

/**
 * The `silent` callee: a UDP socket that takes every datagram and answers none, so the INVITE times
 * out (Timer B) at whoever sends it. A closed port is not the same: the ICMP port-unreachable it
 * draws is a transport error that some stacks (sofia-sip in drachtio-server) turn into a 503 at once.
 */
export async function silentPeer(address: string, port: number): Promise<{ target: string; far: FarEnd }> {
  const socket = createSocket('udp4');
  let datagrams = 0;
  socket.on('message', () => datagrams++);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve());
  });
  return {
    target: `sip:nobody@${address}:${port}`,
    far: selfDrivenFarEnd(async () => {
      socket.close();
      if (datagrams === 0) throw new Error(`the silent peer on ${address}:${port} got no INVITE`);
    }),
  };
}
