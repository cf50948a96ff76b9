/**
 * Calls out: refused before dialling when no trunk can carry them, and the row's `hangup_by` agrees
 * with the `hangup` event's `by` for every way a dial can end (through the in-process fake port).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from './calls-fixture.js';
import { CallwrightError } from '../../../src/errors.js';
import type { DialOutcome } from '../../../src/telephony/port.js';

let fx: ReturnType<typeof callsFixture>;
afterEach(() => fx?.cleanup());

async function refusal(promise: Promise<unknown>): Promise<CallwrightError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CallwrightError);
  return err as CallwrightError;
}

describe('outbound calls need a route before anything is dialled', () => {
  it('an E.164 call with sip.trunks empty is refused naming sip.trunks and how to add one; no row, no dial', async () => {
    fx = callsFixture({}, undefined, { trunks: [] });
    await fx.agent('collector', 'steps: [{ say: hi }]');
    const err = await refusal(fx.manager.placeCall({ agent: 'collector', to: '+14155550123' }));
    expect(err.code).toBe('PRECONDITION');
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/E\.164 number and needs a SIP trunk, but sip\.trunks is empty/);
    expect(err.message).toMatch(
      /sip\.trunks: \[\{ name: carrier, host: .*sip:user@host.*nothing was dialled/,
    );
    expect(err.message).not.toContain('+14155550123');
    expect(err.issues[0]).toMatchObject({ field: 'sip.trunks', value: [] });
    expect(fx.telephony.dials).toEqual([]);
    expect(await fx.store.calls.all()).toEqual([]);
  });

  it('a call naming an unknown trunk is refused with the field, the value and the configured trunks', async () => {
    fx = callsFixture({}, undefined, { trunks: ['carrier', 'backup'] });
    await fx.agent('collector', 'steps: [{ say: hi }]');
    for (const to of ['+14155550123', 'sip:bob@127.0.0.1:5099']) {
      const err = await refusal(fx.manager.placeCall({ agent: 'collector', to, trunk: 'carier' }));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toBe(
        'trunk: got "carier", expected one of the configured trunks (sip.trunks): carrier, backup; nothing was dialled',
      );
      expect(err.issues).toEqual([
        {
          field: 'trunk',
          value: 'carier',
          expected: 'one of the configured trunks (sip.trunks): carrier, backup',
        },
      ]);
    }
    expect(fx.telephony.dials).toEqual([]);
    expect(await fx.store.calls.all()).toEqual([]);
  });

  it('a named trunk with sip.trunks empty is refused saying the list is empty and how to add one', async () => {
    fx = callsFixture({}, undefined, { trunks: [] });
    await fx.agent('collector', 'steps: [{ say: hi }]');
    const err = await refusal(
      fx.manager.placeCall({ agent: 'collector', to: 'sip:bob@127.0.0.1:5099', trunk: 'carrier' }),
    );
    expect(err.message).toMatch(
      /^trunk: got "carrier", expected a configured trunk, and sip\.trunks is empty: add one \(e\.g\. sip\.trunks: /,
    );
    expect(fx.telephony.dials).toEqual([]);
  });

  it('a SIP URI target needs no trunk: it is dialled with sip.trunks empty', async () => {
    fx = callsFixture({}, undefined, { trunks: [] });
    await fx.agent('collector', 'steps: [{ say: hi }]');
    const placed = await fx.manager.placeCall({ agent: 'collector', to: 'sip:bob@127.0.0.1:5099' });
    expect(placed.state).toBe('ringing');
    await until(() => fx.telephony.dialled.length === 1);
    expect(fx.telephony.dials[0]).toMatchObject({ target: 'sip:bob@127.0.0.1:5099' });
    expect(fx.telephony.dials[0]).not.toHaveProperty('trunk');
    await fx.telephony.dialled[0]!.ended;
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    expect((await fx.store.calls.require(placed.call_id)).outcome).toBe('completed');
  });

  it('an E.164 call with a trunk configured and none named is dialled (the first trunk is the default)', async () => {
    fx = callsFixture({}, undefined, { trunks: ['carrier'] });
    await fx.agent('collector', 'steps: [{ say: hi }]');
    await fx.manager.placeCall({ agent: 'collector', to: '+14155550123' });
    await until(() => fx.telephony.dialled.length === 1);
    await fx.telephony.dialled[0]!.ended;
  });
});

type Unanswered = Exclude<DialOutcome, { outcome: 'answered' }>;

describe("an unanswered call out: the row's hangup_by agrees with its hangup event", () => {
  it.each<[string, Unanswered, 'local' | 'remote', string, string]>([
    ['the callee is busy (486)', { outcome: 'busy', status: 486 }, 'remote', 'callee', 'busy'],
    ['the callee declines (603)', { outcome: 'rejected', status: 603 }, 'remote', 'callee', 'rejected'],
    [
      'the callee side says no answer (480)',
      { outcome: 'no-answer', status: 480 },
      'remote',
      'callee',
      'no-answer',
    ],
    [
      'our ring timer cancels the INVITE (487)',
      { outcome: 'no-answer', status: 487 },
      'local',
      'agent',
      'no-answer',
    ],
    ['our ring timer fires with no final answer', { outcome: 'no-answer' }, 'local', 'agent', 'no-answer'],
    ['no response at all (Timer B)', { outcome: 'timeout' }, 'local', 'agent', 'timeout'],
    ['the dial fails on our side', { outcome: 'failed', error: 'no route' }, 'local', 'agent', 'failed'],
  ])('%s', async (_name, dialOutcome, by, hangupBy, outcome) => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ say: hi }]');
    fx.telephony.dial = async (request) => {
      fx.telephony.dials.push({ ...request, at: Date.now() });
      return dialOutcome;
    };
    const placed = await fx.manager.placeCall({ agent: 'collector', to: '+14155550123' });
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    const hangup = (await fx.events(placed.call_id)).find((e) => e.type === 'hangup');
    expect(hangup?.data).toMatchObject({ by });
    expect(await fx.store.calls.require(placed.call_id)).toMatchObject({
      outcome,
      hangup_by: hangupBy,
      answered_at: null,
    });
  });
});

describe("an answered call out: the row's hangup_by agrees with its hangup event", () => {
  it('the callee hangs up: event by remote, hangup_by callee', async () => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ gather: { input: dtmf, timeout_ms: 5000 } }]');
    const placed = await fx.manager.placeCall({ agent: 'collector', to: '+14155550123' });
    await until(() => fx.telephony.dialled.length === 1);
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'answered');
    fx.telephony.dialled[0]!.remoteHangup();
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    const hangup = (await fx.events(placed.call_id)).find((e) => e.type === 'hangup');
    expect(hangup?.data).toMatchObject({ by: 'remote' });
    expect(await fx.store.calls.require(placed.call_id)).toMatchObject({
      outcome: 'completed',
      hangup_by: 'callee',
    });
  });

  it('the agent hangs up: event by local, hangup_by agent', async () => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ say: bye }]');
    const placed = await fx.manager.placeCall({ agent: 'collector', to: '+14155550123' });
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    const hangup = (await fx.events(placed.call_id)).find((e) => e.type === 'hangup');
    expect(hangup?.data).toMatchObject({ by: 'local' });
    expect(await fx.store.calls.require(placed.call_id)).toMatchObject({
      outcome: 'completed',
      hangup_by: 'agent',
    });
  });
});
