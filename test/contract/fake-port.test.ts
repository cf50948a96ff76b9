/**
 * The port contract against the in-process fake that call-layer tests use (test/helpers/fake-port.ts).
 * The fake has no wire: each far end's final response is turned into the outcome the backends give by
 * the same shared rules (src/telephony/sip/), and the fake is scripted with that.
 */
import path from 'node:path';
import { dialFailure } from '../../src/telephony/sip/dial-outcome.js';
import { referOutcomeForNotify, referOutcomeForResponse } from '../../src/telephony/sip/refer-outcome.js';
import type { ReferOutcome } from '../../src/telephony/port.js';
import type { FakeLeg } from '../helpers/fake-port.js';
import { FakeTelephony, type DialBehaviour } from '../helpers/fake-port.js';
import { tempDir } from '../helpers/temp.js';
import { describePortContract, type CalleeScript, type FarEnd, type PortRig } from './port-contract.js';
import { InboundQueue } from './sipp-far-end.js';

function referAnswer(status: number, reason: string): ReferOutcome {
  const outcome = referOutcomeForResponse({ status, reason });
  if (!outcome || outcome === 'accepted') throw new Error(`REFER ${status} decides nothing by itself`);
  return outcome;
}

function notified(status: number, reason: string): ReferOutcome {
  const outcome = referOutcomeForNotify({ sipfrag: { status, reason }, terminated: true });
  if (!outcome) throw new Error(`NOTIFY ${status} decides nothing`);
  return outcome;
}

/** What each far end does to a call placed to it, in the fake's terms. */
function behaviour(script: CalleeScript): DialBehaviour {
  const leg = { playMs: 500 };
  switch (script) {
    case 'busy-486':
      return { fail: dialFailure({ status: 486, reason: 'Busy Here', provisional: false }) };
    case 'unavailable-480':
      return { fail: dialFailure({ status: 480, reason: 'Temporarily Unavailable', provisional: true }) };
    case 'decline-603':
      return { fail: dialFailure({ status: 603, reason: 'Decline', provisional: true }) };
    case 'ring-forever':
      return { neverAnswer: true };
    case 'silent':
      return { fail: dialFailure({ provisional: false }) };
    case 'refer-notify-200':
      return { leg: { ...leg, referOutcome: notified(200, 'OK'), referProgress: [100, 200] } };
    case 'refer-reject-603':
      return { leg: { ...leg, referOutcome: referAnswer(603, 'Decline') } };
    case 'refer-reject-408':
      return { leg: { ...leg, referOutcome: referAnswer(408, 'Request Timeout') } };
    case 'refer-notify-486':
      return { leg: { ...leg, referOutcome: notified(486, 'Busy Here'), referProgress: [486] } };
    case 'refer-no-notify':
      return { leg: { ...leg, referOutcome: { outcome: 'timeout', stage: 'notify' } } };
    default:
      return { leg };
  }
}

function hungUpByUs(leg: FakeLeg | undefined): void {
  if (!leg || leg.active || !leg.ops.some((op) => op.startsWith('hangup:')))
    throw new Error('the far end was not hung up by the port');
}

async function fakeRig(): Promise<PortRig> {
  const telephony = new FakeTelephony();
  const inbound = new InboundQueue();
  telephony.onInbound(inbound.handler);
  const scratch = tempDir('cw-contract-fake-');
  let n = 0;
  return {
    telephony,
    async callee(script) {
      const target = `sip:${script}-${++n}@fake.example`;
      telephony.script(target, behaviour(script));
      let leg: FakeLeg | undefined;
      const far: FarEnd = {
        connected: (l) => void (leg = l as FakeLeg),
        async finished() {
          if (!leg) return;
          hungUpByUs(leg);
          if (script === 'expect-info-dtmf-42') {
            const sent = leg.dtmfSent.map((d) => ({ digits: d.digits, method: d.method }));
            if (JSON.stringify(sent) !== JSON.stringify([{ digits: '42', method: 'info' }]))
              throw new Error(`expected 42 by INFO, got ${JSON.stringify(sent)}`);
          }
        },
      };
      return { target, far };
    },
    async caller(script) {
      const { call } = telephony.incoming('+14155550100', '+14155550199');
      await inbound.next();
      if (script === 'cancel-while-ringing') {
        const waitRinging = async (): Promise<void> => {
          while (call.state === 'new') await new Promise((r) => setTimeout(r, 5));
          call.callerCancels();
        };
        void waitRinging();
      }
      let leg: FakeLeg | undefined;
      const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
      const far: FarEnd = {
        connected(l) {
          const fake = l as FakeLeg;
          leg = fake;
          if (script === 'hangs-up') void later(200).then(() => fake.remoteHangup());
          if (script === 'sends-info-dtmf')
            void later(50).then(() => {
              fake.press('5', 'info');
              fake.press('7', 'info');
              fake.remoteHangup();
            });
          if (script === 'sends-rfc2833-dtmf')
            void later(50).then(() => {
              fake.press('1');
              fake.remoteHangup();
            });
        },
        async finished() {
          if (script === 'expect-reject-486' && call.rejectedWith !== 486)
            throw new Error(`the caller got ${call.rejectedWith}, not 486`);
          if (script === 'expect-bye') hungUpByUs(leg);
        },
      };
      return { call, far };
    },
    recordPath: (name) => path.join(scratch.dir, name),
    async stop() {
      scratch.cleanup();
    },
  };
}

describePortContract('in-process fake (test/helpers/fake-port.ts)', { rig: fakeRig });
