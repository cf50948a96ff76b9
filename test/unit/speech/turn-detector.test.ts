import { describe, expect, it } from 'vitest';
import { TurnDetector } from '../../../src/speech/vad/turn-detector.js';

const SETTINGS = { endOfTurnMs: 200, minSpeechMs: 100, maxUtteranceMs: 1000, bargeInMinSpeechMs: 60 };

/** Feeds a pattern of 20 ms frames ('x' voiced, '.' not) and returns the events in order. */
function run(pattern: string, settings = SETTINGS): string[] {
  const events: string[] = [];
  const d = new TurnDetector(settings, {
    bargeIn: (onset, at) => events.push(`barge ${onset}@${at}`),
    speechStarted: (onset, at) => events.push(`start ${onset}@${at}`),
    speechEnded: (end, at, reason) => events.push(`end ${end}@${at} ${reason}`),
  });
  for (const c of pattern) d.frame(c === 'x');
  return events;
}

describe('turn detector', () => {
  it('barge-in, then a turn, then its end after the end-of-turn silence', () => {
    expect(run('..xxxxxx..........')).toEqual(['barge 40@100', 'start 40@140', 'end 160@360 silence']);
  });

  it('a click shorter than the minimum speech is not a turn, and a long gap restarts the onset', () => {
    expect(run('.xx.......xx.......')).toEqual([]);
  });

  it('short pauses inside speech do not end the turn', () => {
    expect(run('xxxxx..xxx..xxx..........')).toEqual(['barge 0@60', 'start 0@100', 'end 300@500 silence']);
  });

  it('a turn is cut at the maximum utterance length while the caller keeps talking', () => {
    const events = run('x'.repeat(60));
    expect(events.slice(0, 3)).toEqual(['barge 0@60', 'start 0@100', 'end 1000@1000 max-length']);
  });
});
