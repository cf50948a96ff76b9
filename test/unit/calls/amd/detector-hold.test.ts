import { describe, expect, it } from 'vitest';
import type { AmdClassifierEvidence, AmdDecision } from '../../../../src/calls/amd/amd-decision.js';
import { DEFAULT_AMD_SETTINGS } from '../../../../src/calls/amd/amd-settings.js';
import { AnsweringMachineDetector } from '../../../../src/calls/amd/answering-machine-detector.js';

const FRAME = 160;
const QUIET = new Int16Array(FRAME);

function toneFrame(hz: number, index: number): Int16Array {
  const f = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) {
    f[i] = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * hz * (index * FRAME + i)) / 8000));
  }
  return f;
}

/** 'x' voiced, '.' silent, 'b' a 1 kHz tone frame (flagged voiced, as a VAD would). */
function feed(detector: AnsweringMachineDetector, pattern: string): AmdDecision[] {
  const out: AmdDecision[] = [];
  [...pattern].forEach((c, i) => {
    const d = c === 'b' ? detector.push(toneFrame(1000, i), true) : detector.push(QUIET, c === 'x');
    if (d) out.push(d);
  });
  return out;
}

const frames = (ms: number, c: string): string => c.repeat(ms / 20);
const evidence = (verdict: AmdClassifierEvidence['verdict']): AmdClassifierEvidence => ({
  kind: 'phrases',
  transcript: "hi you've reached sam",
  verdict,
  ...(verdict === 'machine' ? { phrase: "you've reached" } : {}),
  waitedMs: 0,
});
/** A short greeting then silence: the rules say human at 500 + 1400 + 800 ms. */
const SHORT_GREETING = frames(500, '.') + frames(1400, 'x') + frames(800, '.');
const HUMAN_AT = 500 + 1400 + DEFAULT_AMD_SETTINGS.afterGreetingSilenceMs;

describe('answering-machine detector: a human decision held for the greeting classifier', () => {
  it('held, frames are heard but nothing is decided; release gives human with the wait in decisionMs', () => {
    const d = new AnsweringMachineDetector();
    expect(feed(d, SHORT_GREETING)).toMatchObject([{ outcome: 'human', evidence: { decisionMs: HUMAN_AT } }]);
    d.hold();
    expect(d.held).toBe(true);
    expect(feed(d, frames(600, '.'))).toEqual([]);
    const released = d.release(evidence('human'));
    expect(released).toMatchObject({ outcome: 'human', reason: 'after-greeting-silence' });
    expect(released.evidence.decisionMs).toBe(HUMAN_AT + 600);
    expect(released.evidence.classifier).toMatchObject({ verdict: 'human' });
    expect(d.done).toBe(true);
    expect(feed(d, frames(3000, '.'))).toEqual([]);
  });

  it('overruled: machine (transcript) now, machine-ready when the greeting has been silent long enough', () => {
    const d = new AnsweringMachineDetector();
    feed(d, SHORT_GREETING);
    d.hold();
    feed(d, frames(200, '.'));
    const machine = d.overrule('transcript', evidence('machine'));
    expect(machine).toMatchObject({ outcome: 'machine', reason: 'transcript' });
    expect(machine.evidence.decisionMs).toBe(HUMAN_AT + 200);
    expect(machine.evidence.classifier).toMatchObject({ phrase: "you've reached" });
    const [ready, more] = feed(d, frames(2000, '.'));
    expect(more).toBeUndefined();
    // The greeting ended at 1900: greeting_end_silence_ms later it is ready.
    expect(ready).toMatchObject({ outcome: 'machine-ready', reason: 'greeting-ended' });
    expect(ready!.evidence.decisionMs).toBe(1900 + DEFAULT_AMD_SETTINGS.greetingEndSilenceMs);
  });

  it('a beep heard while held makes machine-ready right after the overrule, with the beep', () => {
    const d = new AnsweringMachineDetector();
    feed(d, SHORT_GREETING);
    d.hold();
    feed(d, frames(100, '.') + frames(400, 'b') + frames(100, '.'));
    expect(d.held).toBe(true);
    d.overrule('call-screening', evidence('screening'));
    const [ready] = feed(d, frames(20, '.'));
    expect(ready).toMatchObject({ outcome: 'machine-ready', reason: 'beep' });
    expect(ready!.evidence.beep).toMatchObject({ hz: 1000, durationMs: 400 });
    expect(d.done).toBe(true);
  });

  it('expire while held releases the person (the hard timeout: the heuristic stands)', () => {
    const d = new AnsweringMachineDetector();
    feed(d, SHORT_GREETING);
    d.hold();
    expect(d.expire()).toMatchObject({ outcome: 'human' });
    expect(d.done).toBe(true);
  });

  it('hold follows a human decision only; release and overrule need a hold', () => {
    const d = new AnsweringMachineDetector();
    expect(() => d.hold()).toThrow(/human decision/);
    expect(() => d.release()).toThrow(/not held/);
    feed(d, SHORT_GREETING);
    expect(() => d.overrule('transcript', evidence('machine'))).toThrow(/not held/);
  });
});
