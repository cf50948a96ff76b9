import { createSocket, type Socket } from 'node:dgram';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../helpers/temp.js';
import { chirp, writeWav } from '../../../../helpers/audio.js';
import { connectedPair, loopbackEngine, sleep } from './media-helpers.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';
import type { SpeechSynthesizer } from '../../../../../src/speech/speech-synthesizer.js';

/** A UDP socket that counts what it receives and can answer with RTP of its own. */
async function sink(): Promise<{ socket: Socket; port: number; count: () => number }> {
  const socket = createSocket('udp4');
  let n = 0;
  socket.on('message', () => n++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, count: () => n };
}

function offer(port: number, extra: string[] = [], address = '127.0.0.1'): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
  ]
    .concat(['a=rtpmap:101 telephone-event/8000', ...extra, ''])
    .join('\r\n');
}

/** One PCMU packet of silence. */
function rtpPacket(seq: number): Buffer {
  const b = Buffer.alloc(172, 0xff);
  b.writeUInt8(0x80, 0);
  b.writeUInt8(0, 1);
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234, 8);
  return b;
}

// RTP ports of this file: 25600-25699.
describe('media session behaviour', () => {
  let engine: RtpMediaEngine;
  const tmp = tempDir('callwright-session-');
  const prompt = path.join(tmp.dir, 'prompt.wav');
  const speech: SpeechSynthesizer = { provider: 'fake', synthesize: async () => prompt };
  beforeAll(() => {
    engine = loopbackEngine(25600, 25699, { timeoutMs: 300, speech });
    writeWav(prompt, chirp(8000, 0.6), { sampleRate: 8000 });
  });
  afterAll(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it.concurrent('latches onto the address packets come from (symmetric RTP)', async () => {
    const advertised = await sink();
    const actual = await sink();
    const s = await engine.createRtpSession();
    s.answerOffer(offer(advertised.port));
    await sleep(100);
    expect(advertised.count()).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) actual.socket.send(rtpPacket(i), s.localPort, '127.0.0.1');
    await sleep(50);
    const before = advertised.count();
    await sleep(150);
    s.close();
    expect(advertised.count() - before).toBeLessThanOrEqual(1);
    expect(actual.count()).toBeGreaterThan(3);
    advertised.socket.close();
    actual.socket.close();
  });

  it.concurrent('follows a re-offer to a new port, and stops sending while held with c=0.0.0.0', async () => {
    const first = await sink();
    const second = await sink();
    const s = await engine.createRtpSession();
    s.answerOffer(offer(first.port));
    await sleep(80);
    s.answerOffer(offer(second.port));
    await sleep(10);
    const firstCount = first.count();
    await sleep(100);
    expect(first.count()).toBe(firstCount);
    expect(second.count()).toBeGreaterThan(0);
    s.answerOffer(offer(second.port, [], '0.0.0.0'));
    expect(s.remoteHeld).toBe(true);
    await sleep(10);
    const held = second.count();
    await sleep(100);
    expect(second.count()).toBe(held);
    s.close();
    first.socket.close();
    second.socket.close();
  });

  it.concurrent('reports a media timeout when nothing arrives, but not while the peer holds', async () => {
    const peer = await sink();
    const s = await engine.createRtpSession();
    const held = await engine.createRtpSession();
    let timeouts = 0;
    let heldTimeouts = 0;
    s.on('timeout', () => timeouts++);
    held.on('timeout', () => heldTimeouts++);
    s.answerOffer(offer(peer.port));
    held.answerOffer(offer(peer.port, ['a=sendonly']));
    await sleep(500);
    s.close();
    held.close();
    peer.socket.close();
    expect(timeouts).toBe(1);
    expect(heldTimeouts).toBe(0);
  });

  it.concurrent('playback: interrupted by a digit, stopped, looped, ended by hangup', async () => {
    const [a, b] = await connectedPair(engine);
    let started!: () => void;
    const playing = new Promise<void>((r) => (started = r));
    const interruptible = b.play(
      { kind: 'speech', text: 'press a key' },
      { interruptOnDtmf: true, loop: true, onStarted: () => started() },
    );
    // The prompt is synthesised and decoded off the media thread first: the key must come while it
    // plays (a busy machine may take longer than any fixed wait).
    await playing;
    await a.sendDtmf('9', 60);
    const outcome = await interruptible;
    expect(outcome).toMatchObject({ status: 'interrupted', digit: '9' });

    const looped = b.play({ kind: 'file', path: prompt }, { loop: true });
    await sleep(1000);
    b.stopPlayback();
    expect((await looped).durationMs).toBeGreaterThan(600);

    const controller = new AbortController();
    const aborted = b.play({ kind: 'silence', durationMs: 5000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect((await aborted).status).toBe('interrupted');

    const cut = b.play({ kind: 'tone', frequencies: [350, 440], durationMs: 5000, onMs: 200, offMs: 200 });
    setTimeout(() => b.close(), 100);
    expect((await cut).status).toBe('hangup');
    expect(await b.play({ kind: 'silence', durationMs: 100 })).toEqual({ status: 'hangup', durationMs: 0 });
    a.close();
  });

  it.concurrent('a new play replaces the current one; silence plays for its duration', async () => {
    const [a, b] = await connectedPair(engine);
    const first = b.play({ kind: 'silence', durationMs: 5000 });
    await sleep(50);
    const second = b.play({ kind: 'silence', durationMs: 200 });
    expect((await first).status).toBe('interrupted');
    expect(await second).toEqual({ status: 'completed', durationMs: 200 });
    a.close();
    b.close();
  });

  it.concurrent('refuses sources it cannot play with a clear error', async () => {
    const s = await engine.createRtpSession();
    await expect(s.play({ kind: 'file', path: path.join(tmp.dir, 'missing.wav') })).rejects.toThrow(
      /cannot be read/,
    );
    await expect(s.play({ kind: 'tone', frequencies: [5000], durationMs: 100 })).rejects.toThrow(
      /0 and 4000 Hz/,
    );
    const notWav = path.join(tmp.dir, 'not.wav');
    (await import('node:fs')).writeFileSync(notWav, 'hello');
    await expect(s.play({ kind: 'file', path: notWav })).rejects.toThrow(/expected a WAV file/);
    s.close();
  });

  it('close releases the port and every session is counted', async () => {
    const before = engine.stats().sessions;
    const s = await engine.createRtpSession();
    expect(engine.stats().sessions).toBe(before + 1);
    s.close();
    s.close();
    expect(engine.stats().sessions).toBe(before);
  });
});
