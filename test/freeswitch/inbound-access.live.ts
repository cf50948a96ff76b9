/**
 * Inbound access control on the freeswitch backend against live drachtio-server + FreeSWITCH: sipp
 * from 127.0.0.2 with a wrong digest password max_failures times is banned and then gets only
 * drachtio-server's 100 Trying (no final answer); 127.0.0.1 with the right password meanwhile gets its
 * call answered on FreeSWITCH as the digest user's trunk; with no trunk credentials, an address outside
 * sip.allow is refused with 403. Skipped, like the other live files, when DRACHTIO_* / FREESWITCH_*
 * are not set. Port block: 51400-51599 (sipp SIP and RTP).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipTrunkSettings } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/logger.js';
import { FreeswitchTelephony } from '../../src/telephony/freeswitch/freeswitch-telephony.js';
import type { InboundAccessSettings } from '../../src/telephony/freeswitch/inbound-access.js';
import { realDrachtio } from '../../src/telephony/freeswitch/real-drachtio.js';
import type { CallInfo } from '../../src/telephony/port.js';
import { runSipp, sippFailure, type SippOptions } from '../helpers/sipp.js';
import { liveEnv, liveSettings, type LiveEnv } from './live-env.js';
import { SCENARIO_DIR } from './live-rig.js';

const env = liveEnv();
const BASE = 51400;
const WRONG_PASSWORD = 'hunter2-not-it';
const BAN_S = 60;

const PBX: SipTrunkSettings = {
  name: 'pbx',
  // The trunk's host is never banned; 127.0.0.4 is not used by sipp here.
  host: '127.0.0.4',
  port: 5060,
  transport: 'udp',
  username: '',
  password: '',
  allow_refer: true,
  dtmf_method: 'rfc4733',
  caller_id: '',
  inbound_allow: [],
  inbound_username: 'pbx',
  inbound_password: 'secret',
};

interface LiveAccess {
  telephony: FreeswitchTelephony;
  calls: CallInfo[];
  lines: Array<Record<string, unknown>>;
  raw: string[];
}

async function startAccess(
  e: LiveEnv,
  trunks: SipTrunkSettings[],
  access: InboundAccessSettings,
): Promise<LiveAccess> {
  mkdirSync(e.sharedLocal, { recursive: true });
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const telephony = new FreeswitchTelephony({
    settings: liveSettings(e, 'access'),
    trunks,
    access,
    logger: createLogger({ level: 'info', redact_pii: true }, sink),
    drachtio: realDrachtio(),
  });
  const calls: CallInfo[] = [];
  telephony.onInbound(async (call) => {
    calls.push(call.info);
    const leg = await call.answer();
    await leg.ended;
  });
  await telephony.start();
  const r = telephony.readiness();
  if (!r.ready) throw new Error(`live daemons not ready: ${r.detail}`);
  return { telephony, calls, lines, raw };
}

/** drachtio-srf's per-connection map of INVITEs it passed up and that await a final response. */
function pendingInvites(telephony: FreeswitchTelephony): number {
  const srf = (telephony as unknown as { srf: { _app: { client: DrachtioAgentShape } } }).srf;
  let n = 0;
  for (const obj of srf._app.client.mapServer.values()) n += obj.pendingNetworkInvites.size;
  return n;
}
interface DrachtioAgentShape {
  mapServer: Map<unknown, { pendingNetworkInvites: Map<string, unknown> }>;
}

describe.skipIf(!env)('inbound access on the freeswitch backend (live drachtio-server + FreeSWITCH)', () => {
  const e = env!;
  const sipp = (options: Omit<SippOptions, 'remote' | 'scenario'> & { scenario: string }) =>
    runSipp({
      remote: e.drachtioSip,
      service: '1000',
      timeoutMs: 30_000,
      ...options,
      scenario: path.join(SCENARIO_DIR, options.scenario),
    });

  describe('digest and bans (a trunk with inbound credentials, sip.allow: [127.0.0.3/32])', () => {
    let rig: LiveAccess;
    beforeAll(async () => {
      rig = await startAccess(e, [PBX], {
        allow: ['127.0.0.3/32'],
        scanner_user_agents: ['friendly-scanner'],
        auth_bans: { max_failures: 3, window_s: 60, ban_s: BAN_S },
      });
    });
    afterAll(async () => {
      await rig?.telephony.stop();
    });
    const failures = () => rig.lines.filter((l) => l.msg === 'sip digest authentication failed');

    it('answers max_failures wrong passwords from 127.0.0.2 with 401 then 403, and bans it', async () => {
      const result = await sipp({
        scenario: 'uac-invite-wrong-password-expect-403.xml',
        localIp: '127.0.0.2',
        localPort: BASE + 10,
        calls: 3,
        rate: 5,
        extraArgs: ['-au', 'pbx', '-ap', WRONG_PASSWORD],
      });
      expect(result.code, sippFailure(result)).toBe(0);
      expect(rig.telephony.bans.stats()).toEqual({ banned: 1, failures: 3, bans: 1 });
      expect(rig.calls).toEqual([]);
    });

    it('logs each failure at warn with user, realm, address and reason, never the password', () => {
      expect(failures()).toHaveLength(3);
      for (const line of failures()) {
        expect(line).toMatchObject({
          level: 40,
          username: 'pbx',
          realm: 'callwright',
          sourceAddress: '127.0.0.2',
          sourcePort: BASE + 10,
          method: 'INVITE',
          reason: 'wrong-password',
        });
      }
      expect(rig.lines.filter((l) => l.msg === 'sip source banned after repeated digest failures')).toEqual([
        expect.objectContaining({ level: 40, source: '127.0.0.2', failures: 3, banS: BAN_S }),
      ]);
      expect(rig.raw.filter((l) => l.includes(WRONG_PASSWORD))).toEqual([]);
    });

    it("gives the banned address only drachtio-server's 100 Trying, and keeps no state for it", async () => {
      const dropped = rig.telephony.stats().droppedRequests ?? 0;
      const result = await sipp({
        scenario: 'uac-invite-banned-expect-100-only.xml',
        localIp: '127.0.0.2',
        localPort: BASE + 11,
      });
      expect(result.code, sippFailure(result)).toBe(0);
      expect((rig.telephony.stats().droppedRequests ?? 0) - dropped).toBeGreaterThanOrEqual(1);
      expect(pendingInvites(rig.telephony)).toBe(0);
      expect(rig.calls).toEqual([]);
    });

    it('still answers 127.0.0.1 with the right password, as the digest user’s trunk', async () => {
      const result = await sipp({
        scenario: 'uac-invite-digest-auth-expect-bye.xml',
        localIp: '127.0.0.1',
        localPort: BASE + 20,
        mediaPort: BASE + 22,
        extraArgs: ['-au', 'pbx', '-ap', 'secret'],
      });
      expect(result.code, sippFailure(result)).toBe(0);
      expect(rig.calls.map((c) => c.trunk)).toEqual(['pbx']);
      expect(rig.telephony.bans.stats()).toMatchObject({ banned: 1, failures: 3 });
    });
  });

  describe('refusal (no trunk credentials, sip.allow: [127.0.0.1/32])', () => {
    let rig: LiveAccess;
    beforeAll(async () => {
      rig = await startAccess(e, [{ ...PBX, inbound_username: '', inbound_password: '' }], {
        allow: ['127.0.0.1/32'],
        scanner_user_agents: [],
        auth_bans: { max_failures: 3, window_s: 60, ban_s: BAN_S },
      });
    });
    afterAll(async () => {
      await rig?.telephony.stop();
    });

    it('refuses 127.0.0.2 with 403 and no challenge; its call never reaches the handler', async () => {
      const result = await sipp({
        scenario: 'uac-invite-expect-403.xml',
        localIp: '127.0.0.2',
        localPort: BASE + 40,
      });
      expect(result.code, sippFailure(result)).toBe(0);
      expect(rig.calls).toEqual([]);
      expect(rig.telephony.bans.stats()).toEqual({ banned: 0, failures: 0, bans: 0 });
    });
  });
});
