import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallInfo } from '../../../src/telephony/port.js';
import { answerChallenge } from '../../../src/telephony/sip/digest-auth.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';
import { RawSipClient, request } from './raw-sip-client.js';

// Port block for this file: 22000-22499. 127.0.0.2 is "the internet": not in sip.allow.
const BASE = 22000;

describe('inbound access control', () => {
  let fx: EmbeddedFixture;
  let allowed: RawSipClient;
  let stranger: RawSipClient;
  const calls: CallInfo[] = [];
  let target: { host: string; port: number };

  beforeAll(async () => {
    fx = await startEmbedded(BASE, {
      sip: {
        allow: ['127.0.0.1/32'],
        dids: ['1000', '+1415555*'],
        trunks: [
          { name: 'pbx', host: '127.0.0.2', port: 5099, inbound_username: 'pbx', inbound_password: 'secret' },
        ],
      },
    });
    fx.telephony.onInbound(async (call) => {
      calls.push(call.info);
      const leg = await call.answer();
      await leg.ended;
    });
    allowed = await RawSipClient.open('127.0.0.1', BASE + 1);
    stranger = await RawSipClient.open('127.0.0.2', BASE + 2);
    target = { host: '127.0.0.1', port: fx.telephony.port };
  });
  afterAll(async () => {
    allowed?.close();
    stranger?.close();
    await fx?.stop();
  });

  const ruri = (user: string): string => `sip:${user}@127.0.0.1:${fx.telephony.port}`;
  const status = async (client: RawSipClient, text: string): Promise<number | undefined> =>
    (await client.send(text, target))[0]?.status;

  it('challenges an unknown address the same way whether or not the called user exists', async () => {
    const known = await client401(stranger, ruri('1000'));
    const unknown = await client401(stranger, ruri('5555'));
    expect([known.status, unknown.status]).toEqual([401, 401]);
    expect(known.realm).toBe(unknown.realm);
  });

  async function client401(c: RawSipClient, uri: string): Promise<{ status?: number; realm?: string }> {
    const replies = await c.send(request('INVITE', uri, c), target);
    const r = replies[0];
    return { status: r?.status, realm: /realm="([^"]*)"/.exec(r?.text ?? '')?.[1] };
  }

  it('refuses wrong passwords and unknown users with the same 403', async () => {
    const challenge = await stranger.send(request('OPTIONS', ruri('1000'), stranger), target);
    const wwwAuth = /WWW-Authenticate: (.*)\r\n/.exec(challenge[0]?.text ?? '')?.[1] ?? '';
    const wrong =
      answerChallenge(wwwAuth, 'OPTIONS', ruri('1000'), { username: 'pbx', password: 'nope' }) ?? '';
    const nobody =
      answerChallenge(wwwAuth, 'OPTIONS', ruri('1000'), { username: 'ghost', password: 'secret' }) ?? '';
    const right =
      answerChallenge(wwwAuth, 'OPTIONS', ruri('1000'), { username: 'pbx', password: 'secret' }) ?? '';
    expect(
      await status(
        stranger,
        request('OPTIONS', ruri('1000'), stranger, { headers: [`Authorization: ${wrong}`] }),
      ),
    ).toBe(403);
    expect(
      await status(
        stranger,
        request('OPTIONS', ruri('1000'), stranger, { headers: [`Authorization: ${nobody}`] }),
      ),
    ).toBe(403);
    expect(
      await status(
        stranger,
        request('OPTIONS', ruri('1000'), stranger, { headers: [`Authorization: ${right}`] }),
      ),
    ).toBe(200);
  });

  it('drops known scanner user agents without any answer', async () => {
    const replies = await allowed.send(
      request('OPTIONS', ruri('1000'), allowed, { userAgent: 'friendly-scanner' }),
      target,
    );
    expect(replies).toEqual([]);
    expect(fx.telephony.stats().droppedRequests).toBeGreaterThanOrEqual(1);
  });

  it('routes DIDs: a listed user is served, an unlisted one gets 404', async () => {
    expect(await status(allowed, request('OPTIONS', ruri('1000'), allowed))).toBe(200);
    expect(await status(allowed, request('INVITE', ruri('2000'), allowed))).toBe(404);
  });

  it('accepts a call from an unlisted address that authenticates as the trunk (sipp digest)', async () => {
    calls.length = 0;
    const result = await runSipp({
      scenario: 'uac-invite-digest-auth.xml',
      remote: fx.target,
      service: '+14155550123',
      localIp: '127.0.0.2',
      localPort: BASE + 3,
      mediaPort: BASE + 30,
      extraArgs: ['-au', 'pbx', '-ap', 'secret'],
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(calls.map((c) => [c.to.user, c.trunk])).toEqual([['+14155550123', 'pbx']]);
  });

  it('accepts an allowed address without credentials (sipp)', async () => {
    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 4,
      mediaPort: BASE + 40,
      extraArgs: ['-d', '200'],
    });
    expect(result.code, sippFailure(result)).toBe(0);
  });
});
