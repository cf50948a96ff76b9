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
});
