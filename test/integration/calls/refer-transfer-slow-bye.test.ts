/**
 * A transfer completed by REFER hangs up the caller's leg itself. On a real backend the hangup event
 * fires at once while the BYE still waits for its 200; the call's end (which kills running actions)
 * must not overtake the transfer run that caused it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HangupCause } from '../../../src/telephony/port.js';
import type { FakeLeg } from '../../helpers/fake-port.js';
import { callsFixture, until } from './calls-fixture.js';

let fx: ReturnType<typeof callsFixture>;
afterEach(() => fx?.cleanup());

/** The leg ends (event) at once, but hangup() resolves only when the BYE is answered, 100 ms later. */
function slowBye(leg: FakeLeg): void {
  const hangup = leg.hangup.bind(leg);
  leg.hangup = async (cause?: HangupCause) => {
    await hangup(cause);
    await new Promise((r) => setTimeout(r, 100));
  };
}

describe('a transfer completed by REFER while the BYE is still unanswered', () => {
  it('the attached cold-transfer run is recorded as succeeded, not cancelled by the call end', async () => {
    fx = callsFixture({ default_agent: 'xfer' });
    const agent = await fx.agent(
      'xfer',
      `
steps:
  - action: { name: to_desk, on_failure: failed }
  - id: failed
    hangup: { say: The transfer failed. }
`,
    );
    await fx.attach(agent.id, 'to_desk', 'cold-transfer', { target: 'sip:desk@127.0.0.1:5099' }, 'during', [
      { kind: 'tool' },
    ]);
    const { call } = fx.telephony.incoming('+14155550100', '100');
    slowBye(await call.answered);
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect(fx.runs(id)).toEqual([{ action_type: 'cold-transfer', stage: 'during', status: 'succeeded' }]);
    expect(await fx.store.calls.require(id)).toMatchObject({
      outcome: 'transferred',
      transfer: { kind: 'cold', method: 'refer', result: 'completed' },
    });
  });

  it("the script's transfer step reports the transfer as done (flow ok) and the call as handed off", async () => {
    fx = callsFixture({ default_agent: 'xfer' });
    await fx.agent(
      'xfer',
      `
steps:
  - transfer: { target: 'sip:desk@127.0.0.1:5099', on_failure: failed }
  - id: failed
    hangup: { say: The transfer failed. }
`,
    );
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    slowBye(leg);
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    const events = await fx.events(id);
    expect(events.find((e) => e.type === 'flow')?.data).toMatchObject({ type: 'cold-transfer', ok: true });
    expect(events.filter((e) => e.type === 'state').map((e) => e.data.to)).toEqual([
      'answered',
      'handed-off',
      'ended',
    ]);
    expect(leg.spoken).toEqual([]);
  });
});
