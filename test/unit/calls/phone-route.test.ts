import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routePhoneCall } from '../../../src/calls/inbound-router.js';
import { PhoneTokens } from '../../../src/calls/phone-token.js';
import type { CallInfo } from '../../../src/telephony/port.js';
import { tempStore } from '../../helpers/temp.js';

let t: ReturnType<typeof tempStore>;
const tokens = new PhoneTokens('k'.repeat(32), 60);

beforeEach(() => {
  t = tempStore();
});
afterEach(() => t.cleanup());

function info(transport: CallInfo['transport'], headers: Record<string, string> = {}): CallInfo {
  return {
    id: 'leg-1',
    sipCallId: 'c1',
    direction: 'inbound',
    from: { uri: 'sip:dashboard@x.invalid', user: 'dashboard' },
    to: { uri: 'sip:agt@127.0.0.1', user: 'agt' },
    requestUri: 'sip:agt@127.0.0.1',
    remoteAddress: '127.0.0.1:5555',
    headers,
    ...(transport ? { transport } : {}),
  };
}

describe('routePhoneCall', () => {
  it('leaves calls without a token and not over a WebSocket to number routing', async () => {
    expect(await routePhoneCall(t.store, tokens, info('udp'))).toBeUndefined();
    expect(await routePhoneCall(t.store, tokens, info(undefined))).toBeUndefined();
  });

  it.each(['ws', 'wss'] as const)('refuses a call over %s without a token', async (transport) => {
    expect(await routePhoneCall(t.store, tokens, info(transport))).toMatchObject({
      ok: false,
      status: 403,
      reason: 'Phone Token Required',
    });
  });

  it('refuses any token when the server checks none', async () => {
    const token = tokens.issue('x').token;
    expect(
      await routePhoneCall(t.store, undefined, info('ws', { 'x-callwright-phone-token': token })),
    ).toMatchObject({ status: 403, reason: 'Phone Token Required' });
  });

  it('routes a valid token to its agent, over any transport; a deleted agent is 404', async () => {
    const agent = await t.store.agents.create({ name: 'a', kind: 'scripted', config: { steps: [] } });
    const token = tokens.issue(agent.id).token;
    const routed = await routePhoneCall(t.store, tokens, info('udp', { 'x-callwright-phone-token': token }));
    expect(routed).toMatchObject({ ok: true, via: 'phone', record: 'agent' });
    expect(routed?.ok && routed.agent.id).toBe(agent.id);
    await t.store.agents.delete(agent.id);
    expect(
      await routePhoneCall(t.store, tokens, info('ws', { 'x-callwright-phone-token': token })),
    ).toMatchObject({
      ok: false,
      status: 404,
    });
  });

  it('passes the token problem on as the reason', async () => {
    const other = new PhoneTokens('z'.repeat(32), 60).issue('agt').token;
    expect(
      await routePhoneCall(t.store, tokens, info('wss', { 'x-callwright-phone-token': other })),
    ).toMatchObject({ status: 403, reason: 'Phone Token Invalid' });
  });
});
