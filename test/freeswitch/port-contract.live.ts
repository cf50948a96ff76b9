/**
 * The port contract (test/contract/port-contract.ts) against the freeswitch backend on live
 * drachtio-server + FreeSWITCH, with sipp as every far end: the same cases and typed outcomes as the
 * embedded backend and the doubles. Run with `npm run test:freeswitch`; skipped when DRACHTIO_* /
 * FREESWITCH_* are not set. sipp ports come from live-rig's ports() (32100-33599).
 */
import path from 'node:path';
import { describePortContract, type PortRig } from '../contract/port-contract.js';
import {
  CALLEE_SCENARIOS,
  CALLER_SCENARIOS,
  InboundQueue,
  selfDrivenFarEnd,
  silentPeer,
} from '../contract/sipp-far-end.js';
import { startSipp, sippFailure } from '../helpers/sipp.js';
import { liveEnv, type LiveEnv } from './live-env.js';
import { ports, startLive } from './live-rig.js';

const env = liveEnv();

async function liveRig(e: LiveEnv): Promise<PortRig> {
  const live = await startLive(e);
  const inbound = new InboundQueue();
  let n = 0;
  const sipp = (scenario: string, extra: Omit<Parameters<typeof startSipp>[0], 'scenario' | 'localPort'>) => {
    const p = ports();
    const peer = startSipp({
      timeoutMs: 60_000,
      localIp: e.sippAddress,
      ...extra,
      scenario,
      localPort: p.sip,
      mediaPort: p.media,
    });
    return {
      port: p.sip,
      ready: peer.ready,
      far: selfDrivenFarEnd(async () => {
        const result = await peer.done;
        if (result.code !== 0) throw new Error(`${scenario}: ${sippFailure(result)}`);
      }),
    };
  };
  return {
    telephony: live.telephony,
    async callee(script) {
      // A peer that swallows the INVITE: drachtio-server's Timer B answers it with its own 408.
      if (script === 'silent') return silentPeer(e.sippAddress, ports().sip);
      const peer = sipp(CALLEE_SCENARIOS[script], {});
      await peer.ready;
      return { target: `sip:service@${e.sippAddress}:${peer.port}`, far: peer.far };
    },
    async caller(script) {
      const user = `contract${++n}`;
      live.routes.set(user, async (call) => inbound.handler(call));
      const peer = sipp(CALLER_SCENARIOS[script], {
        remote: e.drachtioSip,
        service: user,
        extraArgs: ['-d', '1000'],
      });
      const call = await inbound.next(20_000);
      return { call, far: peer.far };
    },
    recordPath: (name) => path.resolve(e.sharedLocal, `contract-${process.pid}-${name}`),
    stop: () => live.telephony.stop(),
  };
}

describePortContract('freeswitch backend, live drachtio-server + FreeSWITCH, sipp peers', {
  rig: () => liveRig(env!),
  ...(env ? {} : { unavailable: 'DRACHTIO_* / FREESWITCH_* are not set' }),
});
