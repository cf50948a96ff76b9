/**
 * The port contract against the embedded backend: real SIP and RTP on loopback, sipp as every far end.
 * Port block for this file: 36000-37999 (ours: RTP 36100-36499; sipp: SIP 36001-36099, RTP 36500+).
 */
import path from 'node:path';
import { startSipp, sippFailure } from '../helpers/sipp.js';
import { tempDir } from '../helpers/temp.js';
import { startEmbedded } from '../e2e/telephony/embedded-fixture.js';
import { describePortContract, type PortRig } from './port-contract.js';
import {
  CALLEE_SCENARIOS,
  CALLER_SCENARIOS,
  InboundQueue,
  selfDrivenFarEnd,
  silentPeer,
} from './sipp-far-end.js';

const BASE = 36000;

async function embeddedRig(): Promise<PortRig> {
  const fx = await startEmbedded(BASE);
  const inbound = new InboundQueue();
  fx.telephony.onInbound(inbound.handler);
  const scratch = tempDir('cw-contract-');
  let slot = 0;
  const nextPorts = (): { sip: number; media: number } => {
    slot = (slot % 90) + 1;
    return { sip: BASE + slot, media: BASE + 500 + slot * 4 };
  };
  const sipp = (scenario: string, extra: Parameters<typeof startSipp>[0]) => {
    const peer = startSipp({ timeoutMs: 30_000, ...extra, scenario });
    return {
      ready: peer.ready,
      far: selfDrivenFarEnd(async () => {
        const result = await peer.done;
        if (result.code !== 0) throw new Error(`${scenario}: ${sippFailure(result)}`);
      }),
    };
  };
  return {
    telephony: fx.telephony,
    async callee(script) {
      const ports = nextPorts();
      if (script === 'silent') return silentPeer('127.0.0.1', ports.sip);
      const peer = sipp(CALLEE_SCENARIOS[script], {
        scenario: '',
        localPort: ports.sip,
        mediaPort: ports.media,
      });
      await peer.ready;
      return { target: `sip:service@127.0.0.1:${ports.sip}`, far: peer.far };
    },
    async caller(script) {
      const ports = nextPorts();
      const peer = sipp(CALLER_SCENARIOS[script], {
        scenario: '',
        remote: fx.target,
        service: '+14155550100',
        localPort: ports.sip,
        mediaPort: ports.media,
        extraArgs: ['-d', '1000'],
      });
      const call = await inbound.next();
      return { call, far: peer.far };
    },
    recordPath: (name) => path.join(scratch.dir, name),
    async stop() {
      await fx.stop();
      scratch.cleanup();
    },
  };
}

describePortContract('embedded backend, sipp peers', { rig: embeddedRig });
