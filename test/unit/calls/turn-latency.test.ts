import { describe, expect, it } from 'vitest';
import { TurnLatency } from '../../../src/calls/turn-latency.js';
import type { CallRecorder } from '../../../src/calls/call-recorder.js';

function clocked() {
  let now = 1000;
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  const recorder = {
    event: (type: string, data: Record<string, unknown>) => {
      events.push({ type, data });
      return { id: events.length, type, data };
    },
  } as unknown as CallRecorder;
  const turns = new TurnLatency(
    recorder,
    () => 5000,
    () => now,
  );
  return { turns, events, advance: (ms: number) => (now += ms) };
}

describe('turn latency', () => {
  it('records each moment once, in ms after the end of speech, when the first packet goes out', () => {
    const { turns, events, advance } = clocked();
    turns.speechEnded();
    advance(200);
    turns.finalTranscript();
    advance(300);
    turns.mark('first_token');
    advance(50);
    turns.mark('first_sentence');
    turns.mark('first_token');
    advance(100);
    turns.firstAudio();
    advance(20);
    turns.firstPacket();
    expect(events).toEqual([
      {
        type: 'turn',
        data: {
          at_ms: 5000,
          final_transcript: 200,
          first_token: 500,
          first_sentence: 550,
          first_audio: 650,
          first_packet: 670,
        },
      },
    ]);
    // The next packet of the same answer starts no turn.
    turns.firstPacket();
    expect(events).toHaveLength(1);
  });

  it('noise with no words is no turn; a line sent as text is timed from its arrival', () => {
    const { turns, events, advance } = clocked();
    turns.speechEnded();
    advance(500);
    turns.mark('first_token');
    turns.speechEnded();
    turns.flush();
    expect(events).toEqual([]);
    turns.finalTranscript();
    advance(40);
    turns.firstPacket();
    expect(events).toEqual([
      { type: 'turn', data: { at_ms: 5000, text_only: true, final_transcript: 0, first_packet: 40 } },
    ]);
  });

  it('an answer that never played is recorded with what happened when the next turn starts', () => {
    const { turns, events, advance } = clocked();
    turns.speechEnded();
    advance(100);
    turns.finalTranscript();
    advance(100);
    turns.mark('first_token');
    turns.speechEnded();
    expect(events).toEqual([
      { type: 'turn', data: { at_ms: 5000, final_transcript: 100, first_token: 200 } },
    ]);
  });
});
