/**
 * Acceptance flow, through the real server (startServer on a given backend, admin API, call session):
 * `POST /calls` places an outbound call through a trunk whose DTMF method is SIP INFO; the agent's
 * during-stage ivr-navigate action sends `1w2ww#`, and the sipp UAS checks 1, 2, # arrive in that
 * order; then the scripted agent speaks and hangs up. Run by outbound-ivr.test.ts (embedded) and
 * test/freeswitch/call-flows.live.ts (live daemons).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp, sippFailure } from '../../../helpers/sipp.js';
import { startAcceptanceServer, type AcceptanceServer, type FlowOptions } from './acceptance-server.js';

/** The outbound IVR acceptance test on `options.backend`, peers and API in the block at `options.base`. */
export function outboundIvrFlow(options: FlowOptions): void {
  const BASE = options.base;
  const TRUNK_PORT = BASE + 10;
  describe(`acceptance (${options.label}): outbound call with IVR navigation through the real server`, () => {
    let app: AcceptanceServer;

    beforeAll(async () => {
      app = await startAcceptanceServer(
        BASE,
        {
          sip: {
            trunks: [
              { name: 'carrier', host: '127.0.0.1', port: TRUNK_PORT, transport: 'udp', dtmf_method: 'info' },
            ],
          },
        },
        options.backend(),
      );
    });
    afterAll(async () => app?.stop());

    it('POST /calls dials through the trunk; the sipp UAS receives 1, 2, # by INFO in order; all stored', async () => {
      await app.setupAgent({
        name: 'collector',
        steps: [{ say: 'Hello {{ data.name }}, this is a test call. Goodbye.' }],
        actions: [{ name: 'menu', type: 'ivr-navigate', config: { sequence: '1w2ww#', tone_ms: 80 } }],
        attachments: [{ action: 'menu', stage: 'during' }],
      });
      const peer = startSipp({
        scenario: 'ivr-uas-expect-info-1-2-hash.xml',
        localPort: TRUNK_PORT,
        mediaPort: BASE + 50,
        timeoutMs: 40_000,
      });
      await peer.ready;
      const placed = await app.api('POST', '/calls', {
        agent: 'collector',
        to: '+14155550123',
        from: '+14155550100',
        trunk: 'carrier',
        variables: { name: 'Ada' },
      });
      expect(placed.status, JSON.stringify(placed.body)).toBe(202);
      const callId = String(placed.body.call_id);
      const result = await peer.done;
      expect(result.code, sippFailure(result)).toBe(0);
      const call = await app.callWhen(callId, (c) => c.state === 'ended');
      expect(call).toMatchObject({
        direction: 'outbound',
        to_number: '+14155550123',
        outcome: 'completed',
        hangup_by: 'agent',
        variables: { name: 'Ada' },
      });
      const runs = await app.runs(callId);
      expect(runs.map((r) => [r.action_type, r.status])).toEqual([['ivr-navigate', 'succeeded']]);
      expect(runs[0]?.outputs).toMatchObject({
        sequence: '1w2ww#',
        sent: '12#',
        method: 'info',
        status: 'completed',
      });
      const events = await app.events(callId);
      const ivr = events.findIndex((e) => e.type === 'ivr-navigation');
      const said = events.findIndex((e) => e.type === 'transcript' && e.data.speaker === 'agent');
      expect(events[ivr]?.data).toMatchObject({ sent: '12#', method: 'info' });
      expect(events[said]?.data.text).toBe('Hello Ada, this is a test call. Goodbye.');
      // The menu is navigated before the agent speaks.
      expect(ivr).toBeLessThan(said);
    }, 60_000);
  });
}
