/**
 * The port contract against the freeswitch backend over its drachtio-srf / drachtio-fsmrf doubles
 * (test/unit/telephony/freeswitch/drachtio-fakes.ts). Each contract script becomes what drachtio-server
 * and FreeSWITCH would hand the backend for that far end; the live run of the same table is
 * test/freeswitch/port-contract.live.ts.
 */
import path from 'node:path';
import type { CallLeg } from '../../src/telephony/port.js';
import type { FakeDialog, FakeEndpoint, UacScript } from '../unit/telephony/freeswitch/drachtio-fakes.js';
import { dialogOf, startRig, waitFor } from '../unit/telephony/freeswitch/harness.js';
import type { CalleeScript, FarEnd, PortRig } from './port-contract.js';
import { describePortContract } from './port-contract.js';
import { InboundQueue } from './sipp-far-end.js';

const endpointOf = (leg: CallLeg): FakeEndpoint => (leg as unknown as { ep: FakeEndpoint }).ep;

/** What drachtio-server resolves createUAC with for each far end. */
function uacScript(script: CalleeScript): UacScript {
  switch (script) {
    case 'busy-486':
      return { kind: 'status', status: 486, reason: 'Busy Here' };
    case 'unavailable-480':
      return { kind: 'status', status: 480, reason: 'Temporarily Unavailable', ringFirst: true };
    case 'decline-603':
      return { kind: 'status', status: 603, reason: 'Decline' };
    case 'ring-forever':
      return { kind: 'ring' };
    case 'silent':
      // drachtio-server's own Timer B: a 408 it makes up, with nothing received before it.
      return { kind: 'status', status: 408, reason: 'Request Timeout' };
    default:
      return { kind: 'answer' };
  }
}

/** The REFER answer and NOTIFYs (sipfrag, Subscription-State) each REFER far end sends. */
const REFER_SCRIPTS: Partial<
  Record<CalleeScript, { status: number; reason?: string; notify: Array<[string, string]> }>
> = {
  'refer-notify-200': {
    status: 202,
    notify: [
      ['SIP/2.0 100 Trying\r\n', 'active;expires=60'],
      ['SIP/2.0 200 OK\r\n', 'terminated;reason=noresource'],
    ],
  },
  'refer-reject-603': { status: 603, reason: 'Decline', notify: [] },
  'refer-reject-408': { status: 408, reason: 'Request Timeout', notify: [] },
  'refer-notify-486': {
    status: 202,
    notify: [['SIP/2.0 486 Busy Here\r\n', 'terminated;reason=noresource']],
  },
  'refer-no-notify': { status: 202, notify: [] },
};

/**
 * FreeSWITCH plays `silence_stream://N` for N ms and stops a recording at its time limit; the double
 * only knows fixed lengths, so the rig sets them from what the backend asked for.
 */
function likeFreeswitch(ep: FakeEndpoint): void {
  const play = ep.play.bind(ep);
  ep.play = (file: string) => {
    const silence = /^silence_stream:\/\/(\d+)/.exec(file);
    ep.playMs = silence ? Number(silence[1]) : 50;
    return play(file);
  };
  const record = ep.record.bind(ep);
  ep.record = (file: string, opts: { timeLimitSecs?: number } = {}) => {
    ep.recordEndsAfterMs = (opts.timeLimitSecs ?? 1) * 1000;
    return record(file, opts);
  };
}

function byeSent(dialog: FakeDialog | undefined): void {
  if (!dialog?.byeSent) throw new Error('the far end got no BYE');
}

async function freeswitchRig(): Promise<PortRig> {
  const rig = await startRig();
  const inbound = new InboundQueue();
  rig.telephony.onInbound(inbound.handler);
  const scripts = new Map<string, CalleeScript>();
  rig.fake.srf.uacScript = (uri) => uacScript(scripts.get(uri) ?? 'busy-486');
  let n = 0;
  return {
    telephony: rig.telephony,
    async callee(script) {
      const target = `sip:${script}-${++n}@pbx.test`;
      scripts.set(target, script);
      let dialog: FakeDialog | undefined;
      const far: FarEnd = {
        connected(leg) {
          dialog = dialogOf(leg);
          const d = dialog;
          likeFreeswitch(endpointOf(leg));
          const refer = REFER_SCRIPTS[script];
          d.responder = (req) => {
            if (req.method !== 'REFER' || !refer) return { status: 200 };
            setTimeout(() => {
              for (const [body, state] of refer.notify) d.remoteNotify(body, state);
            }, 5);
            return refer.reason ? { status: refer.status, reason: refer.reason } : { status: refer.status };
          };
        },
        async finished() {
          const call = rig.fake.srf.uacCalls.find((c) => c.uri === target);
          if (!call) throw new Error(`no INVITE to ${target}`);
          if (script === 'ring-forever' && !call.req.cancelled)
            throw new Error('the ringing far end got no CANCEL');
          if (uacScript(script).kind !== 'answer') return;
          byeSent(dialog);
          if (script === 'expect-info-dtmf-42') {
            const infos = dialog!.requests.filter((r) => r.method === 'INFO').map((r) => r.body ?? '');
            if (!/Signal=4/.test(infos[0] ?? '') || !/Signal=2/.test(infos[1] ?? '') || infos.length !== 2)
              throw new Error(`expected INFO Signal=4 then Signal=2, got ${JSON.stringify(infos)}`);
          }
        },
      };
      return { target, far };
    },
    async caller(script) {
      const { req, res } = rig.fake.srf.incoming({ uri: 'sip:+14155550100@callwright.test' });
      const call = await inbound.next();
      if (script === 'cancel-while-ringing') {
        void waitFor(() => res.sent.some((s) => s.status === 180), 5000).then(() => req.emit('cancel'));
      }
      let leg: CallLeg | undefined;
      const far: FarEnd = {
        connected(l) {
          leg = l;
          const dialog = dialogOf(l);
          const ep = endpointOf(l);
          likeFreeswitch(ep);
          const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
          if (script === 'hangs-up') void later(200).then(() => dialog.remoteBye());
          if (script === 'sends-info-dtmf')
            void later(50)
              .then(() => dialog.remoteInfo('Signal=5\r\nDuration=160\r\n'))
              .then(() => dialog.remoteInfo('7', 'application/dtmf'))
              .then(() => later(50))
              .then(() => dialog.remoteBye());
          if (script === 'sends-rfc2833-dtmf')
            void later(50)
              .then(() => ep.pressDigit('1', 'RTP'))
              .then(() => later(50))
              .then(() => dialog.remoteBye());
        },
        async finished() {
          if (script === 'expect-reject-486' && res.finalStatus !== 486)
            throw new Error(`the caller got ${res.finalStatus}, not 486`);
          if (script === 'expect-bye') byeSent(leg ? dialogOf(leg) : undefined);
        },
      };
      return { call, far };
    },
    recordPath: (name) => path.join(rig.settings.shared_dir.local, name),
    stop: () => rig.telephony.stop(),
  };
}

describePortContract('freeswitch backend, drachtio/fsmrf doubles', {
  rig: freeswitchRig,
  notApplicable: {
    'play-stream':
      'the doubles play every file in a fixed 50 ms whatever its length; stream timing runs against live FreeSWITCH (port-contract.live.ts)',
    'play-stream-stopped':
      'the doubles play every file in a fixed 50 ms whatever its length; stream timing runs against live FreeSWITCH (port-contract.live.ts)',
  },
});
