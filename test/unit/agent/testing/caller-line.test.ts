import { describe, expect, it } from 'vitest';
import { callerPrompt, parseCallerLine } from '../../../../src/agent/testing/caller-simulator.js';

describe("the simulated caller's line out of the model's text", () => {
  it.each([
    ['Hi, I would like a table.', { text: 'Hi, I would like a table.', hangup: false }],
    ['  Caller: Hello there  ', { text: 'Hello there', hangup: false }],
    ['"Is anyone there?"', { text: 'Is anyone there?', hangup: false }],
    ['“Quoted the other way.”', { text: 'Quoted the other way.', hangup: false }],
    ['Thanks, goodbye! [hangup]', { text: 'Thanks, goodbye!', hangup: true }],
    ['[HANGUP]', { text: '', hangup: true }],
    ['Bye. [hangup] (hangs up)', { text: 'Bye.', hangup: true }],
    ['(silence)', { text: '', hangup: false }],
    ['', { text: '', hangup: false }],
  ])('%j', (content, turn) => {
    expect(parseCallerLine(content)).toEqual(turn);
  });

  it('the system prompt holds the persona, the goal and the hang-up word', () => {
    const prompt = callerPrompt({ persona: ' Maria, brief. ', goal: 'A table for two.' });
    expect(prompt).toContain('Who you are and how you talk: Maria, brief.');
    expect(prompt).toContain('What you want from this call: A table for two.');
    expect(prompt).toContain('say exactly [hangup]');
  });
});
