import { describe, expect, it } from 'vitest';
import { parseDtmfSequence } from '../../../../src/calls/ivr/dtmf-sequence.js';
import { navigateIvr } from '../../../../src/calls/ivr/ivr-navigator.js';
import { CallwrightError } from '../../../../src/errors.js';
import { FakeLeg } from '../../../helpers/fake-port.js';

describe('DTMF sequences', () => {
  it.each([
    ['1w2ww#', [{ digits: '1' }, { waitMs: 500 }, { digits: '2' }, { waitMs: 1000 }, { digits: '#' }]],
    ['W123*', [{ waitMs: 1000 }, { digits: '123*' }]],
    ['12 34-5.6', [{ digits: '123456' }]],
    ['wWa', [{ waitMs: 1500 }, { digits: 'A' }]],
  ])('%j parses into runs and pauses', (seq, steps) => {
    expect(parseDtmfSequence(seq)).toEqual(steps);
  });

  it.each([['12x'], ['www'], ['']])('%j is refused naming the field and what is accepted', (seq) => {
    let err: unknown;
    try {
      parseDtmfSequence(seq, 'config.sequence');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CallwrightError);
    expect((err as CallwrightError).message).toMatch(/^config\.sequence: got/);
    expect((err as CallwrightError).issues[0]?.expected).toMatch(/w \(500 ms\) or W \(1 s\)/);
  });
});

describe('navigateIvr', () => {
  it('sends the runs with the method, waiting between them, and reports what it sent', async () => {
    const leg = new FakeLeg({ direction: 'outbound' });
    const report = await navigateIvr(leg, '1w2ww#', { method: 'info', toneMs: 80 });
    expect(report).toMatchObject({ sequence: '1w2ww#', sent: '12#', method: 'info', status: 'completed' });
    expect(leg.ops).toEqual(['dtmf:1:info', 'dtmf:2:info', 'dtmf:#:info']);
    const [a, b, c] = leg.dtmfSent.map((d) => d.at);
    // Pauses are at least as long as asked (timers never fire early).
    expect((b as number) - (a as number)).toBeGreaterThanOrEqual(495);
    expect((c as number) - (b as number)).toBeGreaterThanOrEqual(995);
    expect(report.steps.map((s) => s.digits)).toEqual(['1', '2', '#']);
  });

  it('stops at a hang-up and says how far it got', async () => {
    const leg = new FakeLeg({ direction: 'outbound' });
    setTimeout(() => leg.remoteHangup(), 200);
    const report = await navigateIvr(leg, '1w2', { method: 'rfc4733' });
    expect(report).toMatchObject({ sent: '1', status: 'hangup' });
  });
});
