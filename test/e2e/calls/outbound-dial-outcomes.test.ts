/**
 * Calls out end to end on the embedded backend, one sipp UAS per dial outcome behind its own trunk:
 * for each way the dial ends, the call row's `hangup_by` and the `hangup` event's `by` name the same
 * party (the callee for its busy/decline, our side for our ring timeout, Timer B and the agent's BYE).
 * Port block: 39000-39499 (sipp 39001-39089 with media at +40, admin API 39090, server RTP 39100-39499).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp, sippFailure } from '../../helpers/sipp.js';
import { startAcceptanceServer, type AcceptanceServer } from './acceptance/acceptance-server.js';

const BASE = 39000;
const PEERS = { busy: BASE + 1, decline: BASE + 2, ringing: BASE + 3, answer: BASE + 4 } as const;
const SILENT_PORT = BASE + 89;

let app: AcceptanceServer;

beforeAll(async () => {
  app = await startAcceptanceServer(BASE, {
    sip: {
      trunks: [
        ...Object.entries(PEERS).map(([name, port]) => ({ name, host: '127.0.0.1', port })),
        { name: 'silent', host: '127.0.0.1', port: SILENT_PORT },
      ],
    },
  });
  await app.setupAgent({ name: 'collector', steps: [{ say: 'Hello, this is a test.' }] });
}, 60_000);

afterAll(async () => app?.stop());

/** Places a call through `trunk`, waits for its end, and returns the row and its hangup event. */
async function callThrough(trunk: string, extra: Record<string, unknown> = {}) {
  const placed = await app.api('POST', '/calls', { agent: 'collector', to: '+14155550100', trunk, ...extra });
  expect(placed.status).toBe(202);
  const callId = String(placed.body.call_id);
  const call = await app.callWhen(callId, (c) => c.state === 'ended');
  const events = await app.events(callId);
  return {
    call,
    hangup: events.find((e) => e.type === 'hangup')?.data,
    dial: events.find((e) => e.type === 'dial')?.data,
  };
}

describe("calls out against sipp: the row's hangup_by agrees with the hangup event", () => {
  it.each([
    ['busy', 'uas-busy-486.xml', 'busy', 'remote', 'callee'],
    ['decline', 'uas-decline-603.xml', 'rejected', 'remote', 'callee'],
    ['ringing', 'uas-ring-no-answer.xml', 'no-answer', 'local', 'agent'],
    ['answer', 'uas-answer-wait-bye.xml', 'completed', 'local', 'agent'],
  ] as const)(
    'through trunk %s (%s): outcome %s, by %s, hangup_by %s',
    async (trunk, scenario, outcome, by, hangupBy) => {
      const port = PEERS[trunk];
      const peer = startSipp({ scenario, localPort: port, mediaPort: port + 40, timeoutMs: 30_000 });
      await peer.ready;
      const { call, hangup } = await callThrough(trunk, { ring_timeout_ms: 1000 });
      const result = await peer.done;
      expect(result.code, sippFailure(result)).toBe(0);
      expect(hangup).toMatchObject({ by });
      expect(call).toMatchObject({ direction: 'outbound', outcome, hangup_by: hangupBy });
    },
    60_000,
  );

  it('a trunk that never responds (Timer B): outcome timeout, by local, hangup_by agent', async () => {
    const { call, hangup, dial } = await callThrough('silent');
    expect(dial).toEqual({ outcome: 'timeout' });
    expect(hangup).toMatchObject({ by: 'local' });
    expect(call).toMatchObject({ outcome: 'timeout', hangup_by: 'agent', answered_at: null });
  }, 60_000);
});
