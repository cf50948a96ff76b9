import { describe, expect, it } from 'vitest';
import { coldTransfer } from '../../../../src/calls/transfer/cold-transfer.js';
import { warmTransfer } from '../../../../src/calls/transfer/warm-transfer.js';
import { templateSummary } from '../../../../src/calls/transfer/whisper-summary.js';
import type { ResolvedTarget } from '../../../../src/calls/targets/target-resolver.js';
import { FakeLeg, FakeTelephony } from '../../../helpers/fake-port.js';

const DESK: ResolvedTarget = {
  kind: 'single',
  label: 'desk',
  member: { label: 'desk', dial: 'sip:desk@pbx.example' },
};

function cold(leg: FakeLeg, tel: FakeTelephony, extra: Partial<Parameters<typeof coldTransfer>[0]> = {}) {
  const log: string[] = [];
  return {
    log,
    run: coldTransfer({
      leg,
      target: DESK,
      telephony: tel,
      referTo: 'sip:desk@pbx.example',
      allowRefer: true,
      referNotifyTimeoutMs: 1000,
      ringTimeoutMs: 500,
      handoff: {
        apply: async () => void log.push('apply'),
        undo: async () => void log.push('undo'),
      },
      ...extra,
    }),
  };
}

describe('cold transfer', () => {
  it('REFER completed: the caller leg is hung up as transferred, nothing dialled', async () => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony();
    const { run, log } = cold(leg, tel, { referredBy: '<sip:agent@callwright.example>' });
    expect(await run).toEqual({
      target: 'desk',
      method: 'refer',
      refer: { outcome: 'completed', status: 200 },
      result: 'completed',
    });
    expect(leg.ops).toEqual(['refer:sip:desk@pbx.example', 'hangup:transferred']);
    expect(leg.referOptions[0]).toEqual({
      notifyTimeoutMs: 1000,
      referredBy: '<sip:agent@callwright.example>',
    });
    expect(log).toEqual(['apply']);
    expect(tel.dials).toHaveLength(0);
  });

  it.each([
    ['rejected 603', { outcome: 'failed', stage: 'refer', status: 603 } as const],
    ['NOTIFY 486', { outcome: 'failed', stage: 'notify', status: 486 } as const],
    ['no final NOTIFY', { outcome: 'timeout', stage: 'notify' } as const],
  ])('REFER %s → bridged fallback, the outcome says both', async (_name, referOutcome) => {
    const leg = new FakeLeg({ referOutcome });
    const tel = new FakeTelephony().script('sip:desk@pbx.example', { answerAfterMs: 5 });
    const outcome = await cold(leg, tel).run;
    expect(outcome).toEqual({
      target: 'desk',
      method: 'bridge',
      refer: referOutcome,
      bridge: { outcome: 'answered', member: 'desk', attempts: [{ member: 'desk', outcome: 'answered' }] },
      result: 'connected',
    });
    const target = tel.answered[0] as FakeLeg;
    expect(leg.bridgedTo).toBe(target);
    // Bridged legs end together once the agent has left.
    target.remoteHangup();
    await leg.ended;
    expect(leg.active).toBe(false);
  });

  it('trunk without REFER: no REFER is sent, straight to the bridge', async () => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:desk@pbx.example', {});
    const outcome = await cold(leg, tel, { allowRefer: false }).run;
    expect(outcome).toMatchObject({
      method: 'bridge',
      refer: { outcome: 'skipped', reason: 'trunk-disallows-refer' },
      result: 'connected',
    });
    expect(leg.ops.some((o) => o.startsWith('refer'))).toBe(false);
  });

  it('a backend that refuses REFER (throws) falls back too', async () => {
    const leg = new FakeLeg();
    leg.refer = () => Promise.reject(new Error('REFER is not allowed on trunk carrier'));
    const tel = new FakeTelephony().script('sip:desk@pbx.example', {});
    const outcome = await cold(leg, tel).run;
    expect(outcome).toMatchObject({
      method: 'bridge',
      refer: { outcome: 'error', message: /not allowed/ },
      result: 'connected',
    });
  });

  it('REFER and bridge both fail: the caller stays, the disposition is put back', async () => {
    const leg = new FakeLeg({ referOutcome: { outcome: 'failed', stage: 'refer', status: 603 } });
    const tel = new FakeTelephony().script('sip:desk@pbx.example', {
      fail: { outcome: 'busy', status: 486 },
    });
    const { run, log } = cold(leg, tel);
    expect(await run).toEqual({
      target: 'desk',
      method: 'bridge',
      refer: { outcome: 'failed', stage: 'refer', status: 603 },
      bridge: {
        outcome: 'failed',
        reason: 'busy',
        status: 486,
        attempts: [{ member: 'desk', outcome: 'busy', status: 486 }],
      },
      result: 'failed',
      reason: 'busy',
    });
    expect(log).toEqual(['apply', 'undo']);
    expect(leg.active).toBe(true);
  });

  it('the caller hanging up while the target rings cancels the dial', async () => {
    const leg = new FakeLeg({ referOutcome: { outcome: 'failed', stage: 'refer', status: 603 } });
    const tel = new FakeTelephony().script('sip:desk@pbx.example', { neverAnswer: true });
    const { run } = cold(leg, tel, { ringTimeoutMs: 10_000 });
    setTimeout(() => leg.remoteHangup(), 30);
    expect(await run).toMatchObject({ result: 'failed', reason: 'caller-hung-up' });
    expect(tel.dials[0]?.outcome).toBe('cancelled');
  });
});

describe('warm transfer', () => {
  function warm(leg: FakeLeg, tel: FakeTelephony, extra: Partial<Parameters<typeof warmTransfer>[0]> = {}) {
    return warmTransfer({
      leg,
      target: DESK,
      telephony: tel,
      ringTimeoutMs: 300,
      whisper: 'Caller Ada about billing',
      holdMusic: { kind: 'file', path: '/music.wav' },
      ...extra,
    });
  }

  it('holds the caller, whispers to the target only, then bridges', async () => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:desk@pbx.example', { answerAfterMs: 5 });
    const outcome = await warm(leg, tel);
    expect(outcome).toEqual({
      target: 'desk',
      member: 'desk',
      result: 'connected',
      attempts: [{ member: 'desk', outcome: 'answered' }],
      whisper: { played: true, text: 'Caller Ada about billing' },
    });
    const target = tel.answered[0] as FakeLeg;
    expect(target.ops).toEqual(['play:speech:Caller Ada about billing']);
    expect(leg.ops).toEqual(['hold:/music.wav', 'unhold', `bridge:${target.info.id}`]);
    expect(leg.ops.some((o) => o.startsWith('play'))).toBe(false);
  });

  it('the target presses 1: accepted and bridged', async () => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:desk@pbx.example', {
      leg: { playMs: 50 },
      onAnswer: (l) => setTimeout(() => l.press('1'), 80),
    });
    const outcome = await warm(leg, tel, { confirm: { prompt: 'Press 1 or 2', timeoutMs: 2000 } });
    expect(outcome).toMatchObject({ result: 'connected', confirmed: true });
    expect((tel.answered[0] as FakeLeg).ops.slice(0, 2)).toEqual([
      'play:speech:Caller Ada about billing',
      'play:speech:Press 1 or 2',
    ]);
  });

  it.each([
    ['declines with 2', (l: FakeLeg) => setTimeout(() => l.press('2'), 20), 'declined'],
    ['hangs up', (l: FakeLeg) => setTimeout(() => l.remoteHangup(), 20), 'target-hung-up'],
    ['does nothing', () => undefined, 'no-confirmation'],
  ])('the target %s: the caller comes off hold, back with the agent', async (_n, onAnswer, reason) => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:desk@pbx.example', { onAnswer });
    const outcome = await warm(leg, tel, { confirm: { prompt: 'Press 1 or 2', timeoutMs: 300 } });
    expect(outcome).toMatchObject({ result: 'failed', reason, confirmed: false });
    expect(leg.ops).toEqual(['hold:/music.wav', 'unhold']);
    expect(leg.active).toBe(true);
    expect((tel.answered[0] as FakeLeg).active).toBe(false);
  });

  it.each([
    ['no answer', { neverAnswer: true }, 'no-answer'],
    ['busy', { fail: { outcome: 'busy', status: 486 } as const }, 'busy'],
    ['failure', { fail: { outcome: 'failed', error: 'boom' } as const }, 'failed'],
  ])('%s: the caller returns to the agent with the reason', async (_n, behaviour, reason) => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:desk@pbx.example', behaviour);
    const outcome = await warm(leg, tel);
    expect(outcome).toMatchObject({ result: 'failed', reason, whisper: { played: false } });
    expect(leg.ops).toEqual(['hold:/music.wav', 'unhold']);
  });
});

describe('template summary', () => {
  it('names the caller, the collected fields and the last caller lines', () => {
    expect(
      templateSummary({
        caller: '+14155550100',
        collected: { first_name: 'Ada', reason: 'billing', empty: '' },
        transcript: [
          { speaker: 'caller', text: 'Hi.' },
          { speaker: 'agent', text: 'How can I help?' },
          { speaker: 'caller', text: 'My invoice is wrong.' },
        ],
      }),
    ).toBe(
      'Transferred call from +14155550100. first name: Ada; reason: billing. The caller said: Hi. My invoice is wrong.',
    );
  });
});
