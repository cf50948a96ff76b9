import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipTrunkSettings } from '../../../../src/config/schema.js';
import { loadConfig } from '../../../../src/config/load.js';
import { createLogger } from '../../../../src/logging/logger.js';
import { FreeswitchTelephony } from '../../../../src/telephony/freeswitch/freeswitch-telephony.js';
import type { InboundAccessSettings } from '../../../../src/telephony/freeswitch/inbound-access.js';
import { createTelephony } from '../../../../src/telephony/index.js';
import type { InboundCall, Telephony } from '../../../../src/telephony/port.js';
import { answerChallenge, DigestVerifier } from '../../../../src/telephony/sip/digest-auth.js';
import { FakeDrachtio, FakeRequest, FakeResponse } from './drachtio-fakes.js';
import { settings, waitFor } from './harness.js';

// 192.0.2.0/24 is "the internet": challenged or refused. 198.51.100.0/24 is the carrier's inbound_allow,
// 10.1.1.0/24 is sip.allow, 203.0.113.20 is the PBX trunk's host (never banned).
const CARRIER: SipTrunkSettings = {
  name: 'carrier',
  host: '203.0.113.5',
  port: 5060,
  transport: 'udp',
  username: '',
  password: '',
  allow_refer: true,
  dtmf_method: 'info',
  caller_id: '',
  inbound_allow: ['198.51.100.0/24'],
  inbound_username: '',
  inbound_password: '',
};
const PBX: SipTrunkSettings = {
  ...CARRIER,
  name: 'pbx',
  host: '203.0.113.20',
  dtmf_method: 'rfc4733',
  inbound_allow: [],
  inbound_username: 'pbx',
  inbound_password: 'secret',
};
const ACCESS: InboundAccessSettings = {
  allow: ['10.1.1.0/24'],
  scanner_user_agents: ['friendly-scanner'],
  auth_bans: { max_failures: 3, window_s: 60, ban_s: 600 },
};

interface AccessRig {
  telephony: FreeswitchTelephony;
  fake: FakeDrachtio;
  calls: InboundCall[];
  lines: Array<Record<string, unknown>>;
}

let running: Telephony | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function startAccessRig(
  trunks: SipTrunkSettings[] = [CARRIER, PBX],
  /** null: built without access settings. */
  access: InboundAccessSettings | null = ACCESS,
): Promise<AccessRig> {
  const fake = new FakeDrachtio();
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const telephony = new FreeswitchTelephony({
    settings: settings(),
    trunks,
    ...(access ? { access } : {}),
    logger: createLogger({ level: 'info', redact_pii: true }, sink),
    drachtio: fake,
  });
  const calls: InboundCall[] = [];
  telephony.onInbound((call) => {
    calls.push(call);
  });
  await telephony.start();
  running = telephony;
  return { telephony, fake, calls, lines };
}

const URI = 'sip:+15550001111@callwright.test';

function invite(
  rig: AccessRig,
  source: string,
  extra: Record<string, string> = {},
): { req: FakeRequest; res: FakeResponse } {
  return rig.fake.srf.incoming({
    source,
    uri: URI,
    headers: {
      From: '"Alice" <sip:+14155550100@192.0.2.7>;tag=abc',
      To: `<${URI}>`,
      'Call-ID': `call-${Math.random().toString(36).slice(2)}`,
      ...extra,
    },
  });
}

/** The WWW-Authenticate value of a 401 the fake response recorded. */
function challengeOf(res: FakeResponse): string {
  const sent = res.sent.find((s) => s.status === 401);
  const value = (sent?.opts as { headers?: Record<string, string> } | undefined)?.headers?.[
    'WWW-Authenticate'
  ];
  if (!value) throw new Error(`no 401 challenge in ${JSON.stringify(res.sent)}`);
  return value;
}

/** Challenge, then the INVITE again with `password` answered to it. */
function authenticated(rig: AccessRig, source: string, password: string) {
  const first = invite(rig, source);
  const auth = answerChallenge(challengeOf(first.res), 'INVITE', URI, { username: 'pbx', password });
  if (!auth) throw new Error('could not answer the challenge');
  return invite(rig, source, { Authorization: auth });
}

describe('freeswitch backend: inbound access', () => {
  it('refuses a source outside sip.allow and every inbound_allow with 403 when no trunk has credentials', async () => {
    const rig = await startAccessRig([CARRIER]);
    const { res } = invite(rig, '192.0.2.7');
    expect(res.sent).toEqual([{ status: 403 }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(rig.calls).toHaveLength(0);
  });

  it('refuses before anything else: an unknown source gets 403 even with no inbound handler', async () => {
    const rig = await startAccessRig([CARRIER]);
    rig.telephony.onInbound(undefined as never);
    expect(invite(rig, '192.0.2.7').res.finalStatus).toBe(403);
    expect(invite(rig, '10.1.1.9').res.finalStatus).toBe(480);
  });

  it("admits a trunk's inbound_allow as that trunk, and sip.allow without a trunk", async () => {
    const rig = await startAccessRig();
    invite(rig, '198.51.100.44');
    invite(rig, '10.1.1.9');
    await waitFor(() => rig.calls.length === 2);
    expect(rig.calls[0]!.info.trunk).toBe('carrier');
    expect(rig.calls[1]!.info.trunk).toBeUndefined();
  });

  it("takes a trunk's own host admitted through sip.allow as that trunk", async () => {
    const rig = await startAccessRig([{ ...CARRIER, host: '10.1.1.5' }]);
    invite(rig, '10.1.1.5');
    await waitFor(() => rig.calls.length === 1);
    expect(rig.calls[0]!.info.trunk).toBe('carrier');
  });

  it('challenges an unknown source with 401 when a trunk has inbound credentials, as embedded does', async () => {
    const rig = await startAccessRig();
    const { res } = invite(rig, '192.0.2.7');
    expect(res.sent.map((s) => s.status)).toEqual([401]);
    expect(challengeOf(res)).toMatch(/^Digest realm="callwright", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    expect(rig.telephony.bans.stats()).toEqual({ banned: 0, failures: 0, bans: 0 });
  });

  it("admits the right password as the digest user's trunk", async () => {
    const rig = await startAccessRig();
    const { res } = authenticated(rig, '192.0.2.7', 'secret');
    await waitFor(() => rig.calls.length === 1);
    expect(rig.calls[0]!.info.trunk).toBe('pbx');
    expect(res.sent).toEqual([]);
  });

  it('answers a wrong password with 403 and logs the failure without the secret', async () => {
    const rig = await startAccessRig();
    const { res } = authenticated(rig, '192.0.2.7', 'hunter2-not-it');
    expect(res.sent).toEqual([{ status: 403 }]);
    const failures = rig.lines.filter((l) => l.msg === 'sip digest authentication failed');
    expect(failures).toEqual([
      expect.objectContaining({
        level: 40,
        username: 'pbx',
        realm: 'callwright',
        sourceAddress: '192.0.2.7',
        sourcePort: 5060,
        method: 'INVITE',
        reason: 'wrong-password',
        failuresInWindow: 1,
      }),
    ]);
    expect(JSON.stringify(rig.lines)).not.toMatch(/hunter2|response=/);
    await new Promise((r) => setTimeout(r, 20));
    expect(rig.calls).toHaveLength(0);
  });

  it('answers the right password over a stale nonce with 401 stale=TRUE, not a failure', async () => {
    const rig = await startAccessRig();
    // A nonce this process did not issue, as after a restart.
    const foreign = new DigestVerifier('callwright').challenge();
    const auth = answerChallenge(foreign, 'INVITE', URI, { username: 'pbx', password: 'secret' })!;
    const { res } = invite(rig, '192.0.2.7', { Authorization: auth });
    expect(res.sent.map((s) => s.status)).toEqual([401]);
    expect(challengeOf(res)).toMatch(/stale=TRUE$/);
    expect(rig.telephony.bans.stats().failures).toBe(0);
  });

  it('bans a source after max_failures wrong passwords and gives its requests no answer', async () => {
    const rig = await startAccessRig();
    for (let i = 0; i < 3; i++) expect(authenticated(rig, '192.0.2.7', 'wrong').res.finalStatus).toBe(403);
    expect(rig.telephony.bans.stats()).toEqual({ banned: 1, failures: 3, bans: 1 });
    expect(rig.lines.filter((l) => l.msg === 'sip source banned after repeated digest failures')).toEqual([
      expect.objectContaining({ level: 40, source: '192.0.2.7', failures: 3, banS: 600 }),
    ]);

    const dropped = rig.telephony.stats().droppedRequests ?? 0;
    // Not even the right password is heard while banned, nor a bare INVITE.
    const bare = invite(rig, '192.0.2.7');
    const withAuth = invite(rig, '192.0.2.7', {
      Authorization: answerChallenge(new DigestVerifier('callwright').challenge(), 'INVITE', URI, {
        username: 'pbx',
        password: 'secret',
      })!,
    });
    expect(bare.res.sent).toEqual([]);
    expect(withAuth.res.sent).toEqual([]);
    expect((rig.telephony.stats().droppedRequests ?? 0) - dropped).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(rig.calls).toHaveLength(0);

    // Other addresses are served meanwhile.
    authenticated(rig, '192.0.2.8', 'secret');
    await waitFor(() => rig.calls.length === 1);
  });

  it('applies the same rules to OPTIONS: sip.allow answered, others challenged, a banned source unanswered', async () => {
    const rig = await startAccessRig();
    expect(rig.fake.srf.probe('10.1.1.5').finalStatus).toBe(200);
    expect(rig.fake.srf.probe('198.51.100.7').finalStatus).toBe(200);
    expect(rig.fake.srf.probe('192.0.2.8').finalStatus).toBe(401);
    for (let i = 0; i < 3; i++) expect(authenticated(rig, '192.0.2.7', 'wrong').res.finalStatus).toBe(403);
    expect(rig.fake.srf.probe('192.0.2.7').sent).toEqual([]);
  });

  it("forgets a dropped INVITE in drachtio-srf's pending invites, so a flood cannot grow that map", async () => {
    const rig = await startAccessRig();
    for (let i = 0; i < 3; i++) authenticated(rig, '192.0.2.7', 'wrong');
    // drachtio-srf's Agent keeps {req, res} per Call-ID for every INVITE it passed up until a final
    // response (drachtio-agent.js, pendingNetworkInvites); the request carries its agent and socket.
    const socket = {};
    const pending = new Map<string, unknown>();
    const req = Object.assign(
      new FakeRequest({
        source: '192.0.2.7',
        headers: { 'Call-ID': 'flood-1', From: '<sip:x@192.0.2.7>;tag=1', To: `<${URI}>` },
      }),
      { agent: { mapServer: new Map([[socket, { pendingNetworkInvites: pending }]]) }, socket },
    );
    const res = new FakeResponse();
    pending.set('flood-1', { req, res });
    rig.fake.srf.inviteHandler!(req, res);
    expect(res.sent).toEqual([]);
    expect(pending.has('flood-1')).toBe(false);
  });

  it("never bans a trunk's host, however many wrong passwords it sends", async () => {
    const rig = await startAccessRig();
    for (let i = 0; i < 5; i++) expect(authenticated(rig, '203.0.113.20', 'wrong').res.finalStatus).toBe(403);
    expect(rig.telephony.bans.stats()).toEqual({ banned: 0, failures: 5, bans: 0 });
    authenticated(rig, '203.0.113.20', 'secret');
    await waitFor(() => rig.calls.length === 1);
  });

  it('gives a scanner User-Agent no answer', async () => {
    const rig = await startAccessRig();
    const { res } = invite(rig, '10.1.1.9', { 'User-Agent': 'friendly-scanner 1.0' });
    expect(res.sent).toEqual([]);
    expect(rig.telephony.stats().droppedRequests).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(rig.calls).toHaveLength(0);
  });

  it('names a bad inbound_allow entry at construction, as embedded does', async () => {
    await expect(startAccessRig([{ ...CARRIER, inbound_allow: ['198.51.100.0/33'] }])).rejects.toThrow(
      /sip\.trunks\[0\]\.inbound_allow\[0\]/,
    );
  });

  it('admits every source when built without access settings (rigs that drive the backend directly)', async () => {
    const rig = await startAccessRig([CARRIER], null);
    invite(rig, '192.0.2.7');
    await waitFor(() => rig.calls.length === 1);
    expect(rig.calls[0]!.info.trunk).toBeUndefined();
  });
});

describe('createTelephony: freeswitch access rules come from the sip section', () => {
  it('refuses a source outside sip.allow, and bans after sip.auth_bans.max_failures', async () => {
    const config = loadConfig({
      env: {
        CALLWRIGHT_TELEPHONY_BACKEND: 'freeswitch',
        CALLWRIGHT_FREESWITCH_DRACHTIO_SECRET: 'x',
        CALLWRIGHT_FREESWITCH_MEDIA_SERVERS: '[{"address":"fs","port":8021,"secret":"y"}]',
      },
      overrides: {
        sip: {
          allow: ['10.1.1.0/24'],
          trunks: [PBX],
          auth_bans: { max_failures: 2, window_s: 60, ban_s: 60 },
        },
      },
    });
    const fake = new FakeDrachtio();
    const t = createTelephony(config, {
      logger: createLogger({ level: 'silent', redact_pii: true }),
      drachtio: fake,
    }) as FreeswitchTelephony;
    running = t;
    const calls: InboundCall[] = [];
    t.onInbound((call) => {
      calls.push(call);
    });
    // Started, so a media server is up: admission refuses calls in while none is.
    await t.start();
    const rig: AccessRig = { telephony: t, fake, calls, lines: [] };
    expect(invite(rig, '192.0.2.7').res.finalStatus).toBe(401);
    authenticated(rig, '192.0.2.7', 'wrong');
    authenticated(rig, '192.0.2.7', 'wrong');
    expect(t.bans.stats()).toMatchObject({ banned: 1, bans: 1 });
    expect(invite(rig, '192.0.2.7').res.sent).toEqual([]);
    invite(rig, '10.1.1.9');
    await waitFor(() => calls.length === 1);
  });

  it('answers 404 for a Request-URI user outside sip.dids, as embedded does', async () => {
    const { fake, calls } = await startWithDids();
    const other = fake.srf.incoming({ source: '10.1.1.9', uri: 'sip:+14155550100@callwright.test' });
    expect(other.res.finalStatus).toBe(404);
    // Access first: an unknown source learns nothing about which numbers are served.
    expect(
      fake.srf.incoming({ source: '192.0.2.7', uri: 'sip:+14155550100@callwright.test' }).res.finalStatus,
    ).toBe(403);
    fake.srf.incoming({ source: '10.1.1.9', uri: URI });
    await waitFor(() => calls.length === 1);
  });

  it('admits a browser over ws/wss from any address, outside sip.dids, reporting the transport (the token decides)', async () => {
    const { fake, calls } = await startWithDids();
    const browserUri = 'sip:agt_1@callwright.test';
    // The same request over UDP from that address is refused by the address rules.
    expect(fake.srf.incoming({ source: '192.0.2.7', uri: browserUri }).res.finalStatus).toBe(403);
    fake.srf.incoming({
      source: '192.0.2.7',
      uri: browserUri,
      protocol: 'wss',
      headers: {
        From: '<sip:dashboard@x.invalid>;tag=b1',
        To: `<${browserUri}>`,
        'Call-ID': 'browser-1',
        'X-Callwright-Phone-Token': 'v1.token',
      },
    });
    await waitFor(() => calls.length === 1);
    expect(calls[0]?.info).toMatchObject({
      transport: 'wss',
      headers: { 'x-callwright-phone-token': 'v1.token' },
    });
    // Scanners stay dropped whatever the transport.
    const scanner = fake.srf.incoming({
      source: '192.0.2.8',
      uri: browserUri,
      protocol: 'ws',
      headers: { 'User-Agent': 'friendly-scanner', 'Call-ID': 'scan-1' },
    });
    expect(scanner.res.sent).toEqual([]);
  });
});

/** The freeswitch backend over the drachtio double with `sip.allow` 10.1.1.0/24 and `sip.dids` +1555000*. */
async function startWithDids(): Promise<{ fake: FakeDrachtio; calls: InboundCall[] }> {
  const config = loadConfig({
    env: {
      CALLWRIGHT_TELEPHONY_BACKEND: 'freeswitch',
      CALLWRIGHT_FREESWITCH_DRACHTIO_SECRET: 'x',
      CALLWRIGHT_FREESWITCH_MEDIA_SERVERS: '[{"address":"fs","port":8021,"secret":"y"}]',
    },
    overrides: { sip: { allow: ['10.1.1.0/24'], dids: ['+1555000*'] } },
  });
  const fake = new FakeDrachtio();
  const t = createTelephony(config, {
    logger: createLogger({ level: 'silent', redact_pii: true }),
    drachtio: fake,
  }) as FreeswitchTelephony;
  running = t;
  const calls: InboundCall[] = [];
  t.onInbound((call) => {
    calls.push(call);
  });
  await t.start();
  return { fake, calls };
}
