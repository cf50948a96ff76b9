import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SipTrunkSettings } from '../../../../src/config/schema.js';
import { createLogger } from '../../../../src/logging/logger.js';
import type { FreeswitchSettings } from '../../../../src/telephony/freeswitch/config.js';
import { FreeswitchTelephony } from '../../../../src/telephony/freeswitch/freeswitch-telephony.js';
import type { SpeechSynthesizer } from '../../../../src/speech/speech-synthesizer.js';
import type { CallLeg, InboundCall } from '../../../../src/telephony/port.js';
import {
  FakeDrachtio,
  type FakeDialog,
  type FakeEndpoint,
  type FakeMediaServer,
  type FakeRequest,
  type FakeResponse,
} from './drachtio-fakes.js';

export function settings(overrides: Partial<FreeswitchSettings> = {}): FreeswitchSettings {
  const shared = mkdtempSync(path.join(tmpdir(), 'cw-fs-'));
  return {
    drachtio: {
      host: 'drachtio.test',
      port: 9022,
      secret: 's3cret',
      connect_timeout_ms: 200,
      max_retry_delay_ms: 1000,
    },
    media_servers: [{ name: 'fs1', address: '10.0.0.11', port: 8021, secret: 'pw' }],
    shared_dir: { local: shared, remote: '/fs/shared' },
    max_retry_delay_ms: 200,
    operation_timeout_ms: 500,
    audio_fork_address: '127.0.0.1',
    audio_fork_port: 0,
    audio_fork_url: '',
    ...overrides,
  };
}

/** Two media servers, fs1 (10.0.0.11) and fs2 (10.0.0.12), for placement and failover tests. */
export function twoServerSettings(): FreeswitchSettings {
  return settings({
    media_servers: [
      { name: 'fs1', address: '10.0.0.11', port: 8021, secret: 'a' },
      { name: 'fs2', address: '10.0.0.12', port: 8021, secret: 'b' },
    ],
  });
}

/** The fake SIP dialog behind a leg (a private field of FreeswitchCallLeg). */
export const dialogOf = (leg: CallLeg): FakeDialog => (leg as unknown as { dialog: FakeDialog }).dialog;

export const TRUNKS: SipTrunkSettings[] = [
  {
    name: 'carrier',
    host: '203.0.113.5',
    port: 5060,
    transport: 'udp',
    username: 'u',
    password: 'p',
    allow_refer: true,
    dtmf_method: 'rfc4733',
    caller_id: '+15550009999',
    inbound_allow: ['198.51.100.0/24'],
    inbound_username: '',
    inbound_password: '',
  },
];

export interface Rig {
  telephony: FreeswitchTelephony;
  fake: FakeDrachtio;
  settings: FreeswitchSettings;
  calls: InboundCall[];
}

export async function startRig(
  opts: {
    settings?: FreeswitchSettings;
    trunks?: SipTrunkSettings[];
    speech?: SpeechSynthesizer;
    prepare?: (f: FakeDrachtio) => void;
  } = {},
): Promise<Rig> {
  const fake = new FakeDrachtio();
  opts.prepare?.(fake);
  const s = opts.settings ?? settings();
  const telephony = new FreeswitchTelephony({
    settings: s,
    trunks: opts.trunks ?? TRUNKS,
    logger: createLogger({ level: 'silent', redact_pii: true }),
    drachtio: fake,
    ...(opts.speech ? { speech: opts.speech } : {}),
  });
  const calls: InboundCall[] = [];
  telephony.onInbound((call) => {
    calls.push(call);
  });
  await telephony.start();
  return { telephony, fake, settings: s, calls };
}

/** An INVITE arrives and the handler answers it. */
export async function answeredCall(
  rig: Rig,
): Promise<{ leg: CallLeg; req: FakeRequest; res: FakeResponse; ep: FakeEndpoint; ms: FakeMediaServer }> {
  const { req, res } = rig.fake.srf.incoming();
  await waitFor(() => rig.calls.length > 0);
  const call = rig.calls.shift() as InboundCall;
  const leg = await call.answer();
  const eps = rig.fake.mrf.servers.flatMap((m) => [...m.endpoints]).filter((e) => e.remote.sdp === req.body);
  const ep = eps[eps.length - 1];
  if (!ep) throw new Error('no endpoint was created for the caller');
  return { leg, req, res, ep, ms: ep.server };
}

export async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
