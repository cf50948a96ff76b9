import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../helpers/temp.js';
import { readWav8kMono, rms } from '../../../../helpers/audio.js';
import { connectedPair, loopbackEngine } from './media-helpers.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';

// RTP ports of this file: 25500-25599.
describe.concurrent('recording ends', () => {
  let engine: RtpMediaEngine;
  const tmp = tempDir('callwright-record-');
  beforeAll(() => {
    engine = loopbackEngine(25500, 25599);
  });
  afterAll(async () => {
    await engine.close();
    tmp.cleanup();
  });
  const file = (name: string): string => path.join(tmp.dir, `${name}.wav`);

  it('on silence after the caller stops talking', async () => {
    const [a, b] = await connectedPair(engine);
    const rec = b.record({ path: file('silence'), maxDurationMs: 10_000, silenceTimeoutMs: 600 });
    await a.play({ kind: 'tone', frequencies: [440], durationMs: 1000 });
    const outcome = await rec;
    a.close();
    b.close();
    expect(outcome.reason).toBe('silence');
    // 1 s of tone (plus the jitter delay), then 600 ms of silence.
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1600);
    expect(outcome.durationMs).toBeLessThan(2400);
    const pcm = readWav8kMono(outcome.path);
    expect(pcm.length).toBe(outcome.durationMs * 8);
    expect(rms(pcm, 0, 8000)).toBeGreaterThan(1000);
  });

  it('on a DTMF digit from the set (RFC 4733), reporting it as an event too', async () => {
    const [a, b] = await connectedPair(engine);
    const heard: string[] = [];
    b.on('dtmf', (e) => heard.push(e.digit));
    const rec = b.record({ path: file('dtmf'), maxDurationMs: 10_000, endOnDtmf: '#' });
    await a.sendDtmf('1#', 80);
    const outcome = await rec;
    a.close();
    b.close();
    expect(outcome).toMatchObject({ reason: 'dtmf', digit: '#' });
    expect(heard).toEqual(['1', '#']);
  });

  it('on a digit that came by SIP INFO (notifyDtmf)', async () => {
    const [a, b] = await connectedPair(engine);
    const rec = b.record({ path: file('info'), maxDurationMs: 10_000, endOnDtmf: true });
    setTimeout(() => b.notifyDtmf('5'), 300);
    expect(await rec).toMatchObject({ reason: 'dtmf', digit: '5' });
    a.close();
    b.close();
  });

  it('at the maximum length, after a beep the caller hears', async () => {
    const [a, b] = await connectedPair(engine);
    const callerHears = a.record({ path: file('beep-heard'), maxDurationMs: 800 });
    const outcome = await b.record({ path: file('max'), maxDurationMs: 500, beep: true });
    expect(outcome).toMatchObject({ reason: 'max-duration', durationMs: 500 });
    expect(readWav8kMono(outcome.path).length).toBe(4000);
    const heard = readWav8kMono((await callerHears).path);
    expect(rms(heard)).toBeGreaterThan(1000); // the 1 kHz beep
    a.close();
    b.close();
  });

  it('on hangup and on abort, still writing the file', async () => {
    const [a, b] = await connectedPair(engine);
    const hung = b.record({ path: file('hangup'), maxDurationMs: 10_000 });
    setTimeout(() => b.close(), 300);
    const outcome = await hung;
    expect(outcome.reason).toBe('hangup');
    expect(readWav8kMono(outcome.path).length).toBe(outcome.durationMs * 8);
    const controller = new AbortController();
    const stopped = a.record({ path: file('abort'), maxDurationMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect((await stopped).reason).toBe('stopped');
    a.close();
  });

  it('refuses a non-positive maximum length', async () => {
    const [a, b] = await connectedPair(engine);
    await expect(b.record({ path: file('bad'), maxDurationMs: 0 })).rejects.toThrow(/maxDurationMs/);
    a.close();
    b.close();
  });
});
