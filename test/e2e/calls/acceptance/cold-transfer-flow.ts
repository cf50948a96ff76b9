/**
 * Acceptance flow, through the real server (startServer on a given backend, admin API, scripted agent,
 * call session): cold transfer by REFER to a sipp UAS, REFER declined (603) → bridged fallback, and a
 * sequential ring group whose first member rings out. Run by cold-transfer.test.ts (embedded) and
 * test/freeswitch/call-flows.live.ts (live daemons).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../../helpers/baresip.js';
import { startSipp, sippFailure } from '../../../helpers/sipp.js';
import { startAcceptanceServer, type AcceptanceServer, type FlowOptions } from './acceptance-server.js';

/** The scripted agent of these tests: menu, key 1 → "transferring" reply, then the transfer action. */
function transferAgent(name: string, number: string, desk: string, transfer: Record<string, unknown>) {
  return {
    name,
    number,
    targets: { desk: { type: 'sip', uri: desk } },
    steps: [
      { say: 'Welcome.' },
      { id: 'menu', gather: { input: 'dtmf', max_digits: 1, timeout_ms: 15000, into: 'choice' } },
      { branch: [{ dtmf: '1', goto: 'transfer' }] },
      { hangup: { say: 'Goodbye.' } },
      { id: 'transfer', action: `${name}_say` },
      { action: { name: `${name}_transfer`, on_failure: 'failed' } },
      { hangup: true },
      { id: 'failed', hangup: { say: 'The transfer failed.' } },
    ],
    actions: [
      { name: `${name}_say`, type: 'custom-reply', config: { text: 'Transferring you now.' } },
      { name: `${name}_transfer`, type: 'cold-transfer', config: transfer },
    ],
    attachments: [
      { action: `${name}_say`, stage: 'during', triggers: [{ kind: 'tool' }] },
      { action: `${name}_transfer`, stage: 'during', triggers: [{ kind: 'tool' }] },
    ],
  };
}

/** The cold-transfer acceptance tests on `options.backend`, peers and API in the block at `options.base`. */
export function coldTransferFlow(options: FlowOptions): void {
  const BASE = options.base;
  const DESK = `sip:desk@127.0.0.1:${BASE + 20}`;
  describe(`acceptance (${options.label}): cold transfers through the real server`, () => {
    let app: AcceptanceServer;

    beforeAll(async () => {
      app = await startAcceptanceServer(BASE, {}, options.backend());
    });
    afterAll(async () => app?.stop());

    it('caller presses 1 → REFER to the sipp target; the call row has the disposition, the transfer and the runs in order', async () => {
      await app.setupAgent(
        transferAgent('refer', '+14155550101', DESK, { target: 'desk', disposition: 'transferred-to-desk' }),
      );
      const caller = startSipp({
        scenario: 'transfer-uac-press-1-accept-refer.xml',
        remote: app.sipTarget,
        service: '+14155550101',
        localPort: BASE + 1,
        mediaPort: BASE + 30,
        timeoutMs: 40_000,
      });
      const result = await caller.done;
      expect(result.code, sippFailure(result)).toBe(0);
      const { id } = await app.callTo('+14155550101');
      const call = await app.callWhen(id, (c) => c.state === 'ended');
      expect(call).toMatchObject({
        direction: 'inbound',
        outcome: 'transferred',
        end_reason: 'transferred',
        call_disposition: 'transferred-to-desk',
        collected: { choice: '1' },
        transfer: {
          kind: 'cold',
          method: 'refer',
          refer: { outcome: 'completed', status: 200 },
          result: 'completed',
        },
      });
      const runs = await app.runs(id);
      expect(runs.map((r) => [r.action_type, r.status])).toEqual([
        ['custom-reply', 'succeeded'],
        ['cold-transfer', 'succeeded'],
      ]);
      const events = (await app.events(id)).map((e) => e.type);
      expect(events.filter((t) => t === 'state')).toHaveLength(3); // answered, handed-off, ended
      expect(events).toContain('handed-off');
    }, 60_000);

    it("the script's own transfer step (no attached definition) runs the cold-transfer type the same way", async () => {
      await app.setupAgent({
        name: 'step',
        number: '+14155550104',
        targets: { desk: { type: 'sip', uri: DESK } },
        steps: [
          { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 15000 } },
          { transfer: { target: 'desk', options: { disposition: 'by-step' }, on_failure: 'failed' } },
          { hangup: true },
          { id: 'failed', hangup: { say: 'The transfer failed.' } },
        ],
      });
      const caller = startSipp({
        scenario: 'transfer-uac-press-1-accept-refer.xml',
        remote: app.sipTarget,
        service: '+14155550104',
        localPort: BASE + 3,
        mediaPort: BASE + 50,
        timeoutMs: 40_000,
      });
      const result = await caller.done;
      expect(result.code, sippFailure(result)).toBe(0);
      const { id } = await app.callTo('+14155550104');
      const call = await app.callWhen(id, (c) => c.state === 'ended');
      expect(call).toMatchObject({
        outcome: 'transferred',
        call_disposition: 'by-step',
        transfer: { kind: 'cold', method: 'refer', result: 'completed' },
      });
      const flow = (await app.events(id)).find((e) => e.type === 'flow');
      expect(flow?.data).toMatchObject({ type: 'cold-transfer', ok: true });
    }, 60_000);

    it('REFER declined with 603 → the target is dialled and bridged; the outcome says both', async () => {
      await app.setupAgent(
        transferAgent('bridge', '+14155550102', DESK, { target: 'desk', ring_timeout_ms: 10000 }),
      );
      const target = startSipp({
        scenario: 'uas-answer-wait-bye.xml',
        localPort: BASE + 20,
        mediaPort: BASE + 34,
        timeoutMs: 40_000,
      });
      await target.ready;
      const caller = startSipp({
        scenario: 'transfer-uac-press-1-reject-refer-603.xml',
        remote: app.sipTarget,
        service: '+14155550102',
        localPort: BASE + 2,
        mediaPort: BASE + 38,
        timeoutMs: 40_000,
      });
      const [callerResult, targetResult] = await Promise.all([caller.done, target.done]);
      expect(callerResult.code, sippFailure(callerResult)).toBe(0);
      expect(targetResult.code, sippFailure(targetResult)).toBe(0);
      const { id } = await app.callTo('+14155550102');
      const call = await app.callWhen(id, (c) => c.state === 'ended');
      expect(call).toMatchObject({
        outcome: 'transferred',
        hangup_by: 'caller',
        transfer: {
          kind: 'cold',
          method: 'bridge',
          refer: { outcome: 'failed', stage: 'refer', status: 603 },
          target: `desk (${DESK})`,
          bridge: { outcome: 'answered', member: DESK },
          result: 'connected',
        },
      });
      expect((await app.runs(id)).map((r) => [r.action_type, r.status])).toEqual([
        ['custom-reply', 'succeeded'],
        ['cold-transfer', 'succeeded'],
      ]);
    }, 60_000);

    it('ring group in order: the first member rings out its own timeout (CANCEL), the second answers and is bridged', async () => {
      const first = startSipp({
        scenario: 'uas-ring-no-answer.xml',
        localPort: BASE + 21,
        mediaPort: BASE + 42,
        timeoutMs: 40_000,
      });
      const second = startSipp({
        scenario: 'uas-answer-wait-bye.xml',
        localPort: BASE + 22,
        mediaPort: BASE + 46,
        timeoutMs: 40_000,
      });
      await Promise.all([first.ready, second.ready]);
      const ann = await app.api('POST', '/users', { name: 'ann', sip_uri: `sip:ann@127.0.0.1:${BASE + 21}` });
      const ben = await app.api('POST', '/users', { name: 'ben', sip_uri: `sip:ben@127.0.0.1:${BASE + 22}` });
      const group = await app.api('POST', '/ring-groups', {
        name: 'support',
        strategy: 'sequential',
        member_timeout_secs: 20,
        members: [{ user_id: ann.body.id, timeout_secs: 2 }, { user_id: ben.body.id }],
      });
      expect(group.status, JSON.stringify(group.body)).toBe(201);
      await app.setupAgent({
        ...transferAgent('group', '+14155550103', DESK, {
          target: 'ring_group:support',
          ring_timeout_ms: 20000,
        }),
        targets: {},
      });
      const caller = new Baresip({ sipPort: BASE + 50, user: 'caller' });
      try {
        await caller.start();
        caller.command('dial', `sip:+14155550103@${app.sipTarget}`);
        await caller.waitFor('CALL_ESTABLISHED', 15_000);
        const { id } = await app.callTo('+14155550103');
        caller.command('sndcode', '1');
        const call = await app.callWhen(id, (c) => c.state === 'handed-off', 40_000);
        expect(call.transfer).toMatchObject({
          kind: 'cold',
          method: 'bridge',
          refer: { outcome: 'skipped', reason: 'ring-group' },
          bridge: {
            outcome: 'answered',
            attempts: [
              { member: 'user ann', outcome: 'no-answer', status: 487 },
              { member: 'user ben', outcome: 'answered' },
            ],
          },
          result: 'connected',
        });
        caller.command('hangup');
        await caller.waitFor('CALL_CLOSED');
        // The bridged legs end together: ben gets a BYE, so both sipp scenarios complete.
        for (const peer of [first, second]) {
          const result = await peer.done;
          expect(result.code, sippFailure(result)).toBe(0);
        }
        await app.callWhen(id, (c) => c.state === 'ended' && c.outcome === 'transferred');
      } finally {
        await caller.stop();
      }
    }, 60_000);
  });
}
