import { describe, expect, it } from 'vitest';
import { PlayoutBuffer } from '../../../../../src/telephony/embedded/media/playout-buffer.js';

/** A "codec" whose code i decodes to sample i, so frames show which packet they came from. */
const IDENTITY = Int16Array.from({ length: 256 }, (_, i) => i);

function packet(value: number, samples = 160): Uint8Array {
  return new Uint8Array(samples).fill(value);
}

function drain(buffer: PlayoutBuffer, frames: number): number[] {
  const out = new Int16Array(160);
  const seen: number[] = [];
  for (let i = 0; i < frames; i++) {
    buffer.read(out);
    seen.push(out[0] as number);
  }
  return seen;
}

describe('playout buffer', () => {
  it('plays frames in timestamp order after the 40 ms playout delay', () => {
    const b = new PlayoutBuffer();
    for (let i = 1; i <= 4; i++) b.write(1000 + (i - 1) * 160, IDENTITY, packet(i), 0, 160);
    expect(drain(b, 6)).toEqual([0, 0, 1, 2, 3, 4]);
  });

  it('puts a reordered packet back in its place', () => {
    const b = new PlayoutBuffer();
    b.write(1000, IDENTITY, packet(1), 0, 160);
    b.write(1320, IDENTITY, packet(3), 0, 160);
    b.write(1160, IDENTITY, packet(2), 0, 160);
    expect(drain(b, 5)).toEqual([0, 0, 1, 2, 3]);
  });

  it('drops a packet that arrives after its slot was played, and leaves a gap for a lost one', () => {
    const b = new PlayoutBuffer();
    b.write(1000, IDENTITY, packet(1), 0, 160);
    b.write(1320, IDENTITY, packet(3), 0, 160);
    expect(drain(b, 4)).toEqual([0, 0, 1, 0]);
    b.write(1160, IDENTITY, packet(2), 0, 160);
    expect(b.late).toBe(1);
    expect(drain(b, 1)).toEqual([3]);
  });

  it('takes 30 ms packets and hands out 20 ms frames', () => {
    const b = new PlayoutBuffer();
    for (let i = 0; i < 4; i++) b.write(5000 + i * 240, IDENTITY, packet(i + 1, 240), 0, 240);
    const out = new Int16Array(160);
    const samples: number[] = [];
    drain(b, 2);
    for (let i = 0; i < 6; i++) {
      b.read(out);
      samples.push(...out);
    }
    expect(samples.slice(0, 960)).toEqual([
      ...packet(1, 240),
      ...packet(2, 240),
      ...packet(3, 240),
      ...packet(4, 240),
    ]);
  });

  it('resynchronises when the stream jumps (new talkspurt after a long gap)', () => {
    const b = new PlayoutBuffer();
    b.write(1000, IDENTITY, packet(1), 0, 160);
    drain(b, 8); // starved long enough to count as stopped
    b.write(900_000, IDENTITY, packet(7), 0, 160);
    expect(drain(b, 3)).toEqual([0, 0, 7]);
  });

  /** Writes packet n (value n % 200) at its timestamp. */
  function writeNth(b: PlayoutBuffer, n: number, samples = 160): void {
    b.write(1000 + n * samples, IDENTITY, packet(n % 200, samples), 0, samples);
  }

  /** Reads one frame; how many 20 ms packets behind the newest written (`written` so far) it is. */
  function lag(b: PlayoutBuffer, written: number): number {
    const out = new Int16Array(160);
    b.read(out);
    return (((written - 1 - (out[0] as number)) % 200) + 200) % 200;
  }

  it('after a stall the delay drifts back to the 40 ms playout delay instead of staying for the rest of the call', () => {
    const b = new PlayoutBuffer();
    let n = 0;
    const lags: number[] = [];
    for (let t = 0; t < 50; t++) {
      writeNth(b, n++);
      lags.push(lag(b, n));
    }
    expect(lags.at(-1)).toBe(2);
    // The sender stalls for 100 ms, then its five late packets arrive at once.
    for (let t = 0; t < 5; t++) lag(b, n);
    for (let t = 0; t < 5; t++) writeNth(b, n++);
    const after: number[] = [];
    for (let t = 0; t < 200; t++) {
      writeNth(b, n++);
      after.push(lag(b, n));
    }
    // Two frames of the gap's silence, then the stream 140 ms behind: the stall's 100 ms on top.
    expect(after[2]).toBe(7);
    // One frame per 500 ms comes off: back to 40 ms within 3 s, then it stays there.
    expect(after.slice(150)).toEqual(Array.from({ length: 50 }, () => 2));
  });

  it('a steady stream loses no frame to the drain (20 ms and 30 ms packets)', () => {
    for (const samples of [160, 240]) {
      const b = new PlayoutBuffer();
      const out = new Int16Array(160);
      const heard: number[] = [];
      let written = 0;
      // 10 s: a packet whenever its time has come, a frame read every 20 ms.
      for (let tick = 0; tick < 500; tick++) {
        while (written * samples <= tick * 160) {
          b.write(1000 + written * samples, IDENTITY, packet(written % 200, samples), 0, samples);
          written++;
        }
        b.read(out);
        heard.push(...out);
      }
      const expected: number[] = [];
      for (let p = 0; expected.length < heard.length; p++)
        for (let i = 0; i < samples; i++) expected.push(p % 200);
      // After the 40 ms delay the samples come out exactly as sent, none skipped.
      expect(heard.slice(320)).toEqual(expected.slice(0, heard.length - 320));
    }
  });
});
