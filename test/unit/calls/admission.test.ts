import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../../src/calls/admission.js';
import { EventLoopOverload } from '../../../src/calls/admission-overload.js';
import { TokenBucket } from '../../../src/calls/admission-token-bucket.js';
import type { AdmissionDecision } from '../../../src/telephony/port.js';

const SETTINGS = { max_concurrent_calls: 0, max_calls_per_second: 0, retry_after_s: 5, auto: false };
let controls: AdmissionControl[] = [];
afterEach(() => {
  controls.forEach((c) => c.close());
  controls = [];
});

function control(
  settings: Partial<typeof SETTINGS> = {},
  deps: ConstructorParameters<typeof AdmissionControl>[1] = {},
): AdmissionControl {
  const c = new AdmissionControl({ ...SETTINGS, ...settings }, deps);
  controls.push(c);
  return c;
}

function admitted(d: AdmissionDecision): () => void {
  if (!d.admitted) throw new Error(`refused: ${d.refusal.message}`);
  return d.release;
}

describe('TokenBucket', () => {
  it('holds one second of tokens and refills at the rate', () => {
    const b = new TokenBucket(2, 0);
    expect(b.take(0)).toBe(true);
    expect(b.take(0)).toBe(true);
    expect(b.take(0)).toBe(false);
    expect(b.msUntilToken(0)).toBe(500);
    expect(b.take(499)).toBe(false);
    expect(b.take(500)).toBe(true);
    // A long quiet spell does not bank more than one second's worth.
    expect([b.take(60_000), b.take(60_000), b.take(60_000)]).toEqual([true, true, false]);
  });

  it('lets a rate under one per second through once per period', () => {
    const b = new TokenBucket(0.5, 0);
    expect(b.take(0)).toBe(true);
    expect(b.take(1000)).toBe(false);
    expect(b.take(2000)).toBe(true);
  });
});

describe('AdmissionControl', () => {
  it('admits everything with no limits, counting calls in progress', () => {
    const a = control();
    const r = [1, 2, 3].map(() => admitted(a.admit({ direction: 'inbound' })));
    expect(a.stats()).toMatchObject({ active: 3, draining: false });
    r.forEach((release) => release());
    r[0]!(); // idempotent
    expect(a.stats().active).toBe(0);
  });

  it('refuses over max_concurrent_calls naming the limit, and admits again once a call ends', () => {
    const a = control({ max_concurrent_calls: 2, retry_after_s: 9 });
    const first = admitted(a.admit({ direction: 'inbound' }));
    admitted(a.admit({ direction: 'outbound' }));
    const refused = a.admit({ direction: 'inbound' });
    expect(refused).toEqual({
      admitted: false,
      refusal: {
        reason: 'concurrency',
        limit: 'admission.max_concurrent_calls',
        retryAfterS: 9,
        message: 'admission.max_concurrent_calls (2) reached: 2 calls in progress',
      },
    });
    first();
    admitted(a.admit({ direction: 'inbound' }));
    expect(a.stats().refusals).toMatchObject({ concurrency: 1 });
  });

  it('applies per-trunk limits besides the totals, without charging the total for a refusal', () => {
    let now = 0;
    const a = control(
      { max_concurrent_calls: 10, max_calls_per_second: 100 },
      {
        now: () => now,
        trunks: [
          { name: 'carrier', max_concurrent_calls: 1 },
          { name: 'pbx', max_calls_per_second: 1 },
        ],
      },
    );
    admitted(a.admit({ direction: 'inbound', trunk: 'carrier' }));
    const refused = a.admit({ direction: 'inbound', trunk: 'carrier' });
    expect(refused.admitted === false && refused.refusal.limit).toBe(
      'sip.trunks[carrier].max_concurrent_calls',
    );
    admitted(a.admit({ direction: 'inbound', trunk: 'pbx' }));
    const fast = a.admit({ direction: 'outbound', trunk: 'pbx' });
    expect(fast.admitted === false && fast.refusal).toMatchObject({
      reason: 'rate',
      limit: 'sip.trunks[pbx].max_calls_per_second',
    });
    // Calls of no trunk, or another trunk, are not held back by a trunk's limit.
    admitted(a.admit({ direction: 'inbound' }));
    expect(a.stats().active).toBe(3);
    now = 1000;
    admitted(a.admit({ direction: 'inbound', trunk: 'pbx' }));
  });

  it('rate-limits new calls with a token bucket of one second', () => {
    let now = 0;
    const a = control({ max_calls_per_second: 3 }, { now: () => now });
    const results = Array.from({ length: 5 }, () => a.admit({ direction: 'inbound' }).admitted);
    expect(results).toEqual([true, true, true, false, false]);
    now = 334;
    expect(a.admit({ direction: 'inbound' }).admitted).toBe(true);
    expect(a.stats().refusals.rate).toBe(2);
  });

  it('outlook tells what a new call would meet, with the recent admits per rate limit, taking and counting nothing', () => {
    let now = 0;
    const a = control(
      { max_calls_per_second: 10 },
      { now: () => now, trunks: [{ name: 'carrier', max_concurrent_calls: 2, max_calls_per_second: 2 }] },
    );
    const call = { direction: 'outbound' as const, trunk: 'carrier' };
    expect(a.outlook(call)).toEqual({
      rates: [
        { limit: 'admission.max_calls_per_second', ratePerS: 10, admittedAt: [] },
        { limit: 'sip.trunks[carrier].max_calls_per_second', ratePerS: 2, admittedAt: [] },
      ],
      now: 0,
    });
    admitted(a.admit(call));
    now = 500;
    admitted(a.admit({ direction: 'inbound', trunk: 'carrier' }));
    now = 600;
    const full = a.outlook(call);
    expect(full.refusal).toMatchObject({
      reason: 'concurrency',
      limit: 'sip.trunks[carrier].max_concurrent_calls',
    });
    expect(full.rates[1]!.admittedAt).toEqual([0, 500]);
    // Calls of another trunk see only the totals.
    expect(a.outlook({ direction: 'outbound' }).refusal).toBeUndefined();
    expect(a.stats()).toMatchObject({ active: 2, refusals: { concurrency: 0, rate: 0 } });
    // Admits older than two seconds are forgotten.
    now = 2600;
    expect(a.outlook(call).rates[1]!.admittedAt).toEqual([]);
  });

  it('while draining refuses every new call and OPTIONS probe, and is not ready', () => {
    const a = control();
    expect(a.probe()).toBeUndefined();
    expect(a.readiness().ready).toBe(true);
    a.startDrain();
    const d = a.admit({ direction: 'inbound' });
    expect(d.admitted === false && d.refusal.reason).toBe('draining');
    expect(a.probe()?.reason).toBe('draining');
    expect(a.readiness()).toMatchObject({ ready: false });
    expect(a.stats()).toMatchObject({ draining: true, refusals: { draining: 1 } });
  });

  it('reports full to OPTIONS only while the total concurrency is reached', () => {
    const a = control({ max_concurrent_calls: 1 });
    const release = admitted(a.admit({ direction: 'inbound' }));
    expect(a.probe()).toMatchObject({ reason: 'concurrency', retryAfterS: 5 });
    release();
    expect(a.probe()).toBeUndefined();
    // A probe is not a refused call.
    expect(a.stats().refusals.concurrency).toBe(0);
  });

  it('counts refusals the backend decides (no RTP port)', () => {
    const a = control({ retry_after_s: 3 });
    expect(a.refuse('rtp-ports', 'no free RTP port')).toMatchObject({ reason: 'rtp-ports', retryAfterS: 3 });
    expect(a.stats().refusals['rtp-ports']).toBe(1);
  });

  it('queues a call out until a place frees, within the timeout', async () => {
    const a = control({ max_concurrent_calls: 1 });
    const release = admitted(a.admit({ direction: 'outbound' }));
    const waiting = a.admitWithin({ direction: 'outbound' }, 5000);
    setTimeout(release, 50);
    const d = await waiting;
    expect(d.admitted).toBe(true);
    const timedOut = await a.admitWithin({ direction: 'outbound' }, 100);
    expect(timedOut.admitted === false && timedOut.refusal.reason).toBe('concurrency');
  });

  it('does not queue through a drain', async () => {
    const a = control({ max_concurrent_calls: 1 });
    admitted(a.admit({ direction: 'outbound' }));
    const waiting = a.admitWithin({ direction: 'outbound' }, 5000);
    a.startDrain();
    const d = await waiting;
    expect(d.admitted === false && d.refusal.reason).toBe('draining');
  });

  it('refuses with reason overload while the overload signal is on', () => {
    const overload = new EventLoopOverload(undefined, { sampleMeanMs: () => 0, close: () => undefined });
    const a = control({ auto: true }, { overload });
    overload.observe(80);
    expect(a.admit({ direction: 'inbound' }).admitted).toBe(true);
    overload.observe(80);
    const d = a.admit({ direction: 'inbound' });
    expect(d.admitted === false && d.refusal).toMatchObject({ reason: 'overload', limit: 'admission.auto' });
    expect(a.probe()?.reason).toBe('overload');
    overload.observe(10);
    expect(a.admit({ direction: 'inbound' }).admitted).toBe(true);
  });
});

describe('EventLoopOverload', () => {
  it('needs two windows at 50 ms or more to turn on, and one under 25 ms to turn off', () => {
    const o = new EventLoopOverload(undefined, { sampleMeanMs: () => 0, close: () => undefined });
    o.observe(49);
    o.observe(49);
    expect(o.overloaded).toBe(false);
    o.observe(300); // one slow window (a GC pause, a big synchronous write) is not overload
    o.observe(10);
    expect(o.overloaded).toBe(false);
    o.observe(60);
    o.observe(55);
    expect(o.overloaded).toBe(true);
    o.observe(30);
    expect(o.overloaded).toBe(true);
    o.observe(20);
    expect(o.overloaded).toBe(false);
  });

  it('turns on for a real event loop kept busy, and stays off for an idle one', async () => {
    const o = new EventLoopOverload({ windowMs: 300, enterMeanMs: 50, enterWindows: 2, leaveMeanMs: 25 });
    o.start();
    try {
      await new Promise((r) => setTimeout(r, 700));
      expect(o.overloaded).toBe(false);
      // Block the loop 150 ms out of every ~155 ms for over a second.
      const end = Date.now() + 1500;
      while (Date.now() < end && !o.overloaded) {
        const busy = Date.now() + 150;
        while (Date.now() < busy) {
          /* spin */
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(o.overloaded).toBe(true);
      expect(o.lastMeanMs).toBeGreaterThanOrEqual(50);
    } finally {
      o.stop();
    }
  });
});
