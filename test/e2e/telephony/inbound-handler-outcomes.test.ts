import { afterEach, describe, expect, it } from 'vitest';
import type { InboundCall } from '../../../src/telephony/port.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';
import { RawSipClient, request } from './raw-sip-client.js';

// Port block for this file: 24000-24499.
const BASE = 24000;
const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 24090 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

describe('what a caller hears when the inbound handler does not answer', () => {
  let fx: EmbeddedFixture | undefined;
  let client: RawSipClient | undefined;

  afterEach(async () => {
    client?.close();
    await fx?.stop();
  });

  async function invite(handler?: (call: InboundCall) => void | Promise<void>): Promise<number[]> {
    fx = await startEmbedded(BASE, { sip: { ring_timeout_ms: 1000 } });
    if (handler) fx.telephony.onInbound(handler);
    client = await RawSipClient.open('127.0.0.1', BASE + 1);
    const text = request('INVITE', `sip:1000@127.0.0.1:${fx.telephony.port}`, client, {
      body: SDP,
      headers: ['Content-Type: application/sdp', 'X-Lead-Id: 42'],
    });
    const replies = await client.send(text, { host: '127.0.0.1', port: fx.telephony.port }, 1500);
    return replies.map((r) => r.status);
  }

  it('CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, `cancelled` resolves', async () => {
    fx = await startEmbedded(BASE);
    let cancelled = false;
    fx.telephony.onInbound(async (call) => {
      await call.ring();
      await call.cancelled;
      cancelled = true;
    });
    const result = await runSipp({
      scenario: 'uac-invite-cancel-while-ringing.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 2,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(cancelled).toBe(true);
    const stats = await fx.drained();
    expect(stats).toMatchObject({ activeCalls: 0, activeDialogs: 0, transactions: 0, timers: 0 });
  });

  it('480 when no handler is installed', async () => {
    expect(await invite()).toContain(480);
  });

  it('480 when the handler neither answers nor rejects within the ring timeout', async () => {
    expect(await invite(() => undefined)).toContain(480);
    expect(fx?.telephony.stats().pendingInbound).toBe(0);
  });

  it('500 when the handler throws', async () => {
    expect(
      await invite(() => {
        throw new Error('boom');
      }),
    ).toContain(500);
  });

  it('the status the handler chooses, and the X- headers reach it', async () => {
    const seen: Record<string, string>[] = [];
    const statuses = await invite(async (call) => {
      seen.push(call.info.headers);
      await call.reject(486);
    });
    expect(statuses).toContain(486);
    expect(seen[0]).toMatchObject({ 'x-lead-id': '42', 'user-agent': 'raw-test' });
  });
});
