import { describe, expect, it } from 'vitest';
import { phraseMatches } from '../../../src/actions/triggers/intent-matcher.js';

describe('intent phrases: tolerant matching for recognised speech', () => {
  it.each([
    ['i would like to speak to a human please', 'speak to a human', true],
    ['i would like to speak to the human please', 'speak to a human', true],
    ['i would like to speak a human please', 'speak to a human', true],
    ['i would like to see a human', 'speak to a human', false],
    ['cancel my appointment', 'cancel my appointment', true],
    ['cancel the appointment', 'cancel my appointment', false],
    ['yeah', 'yes', false],
  ])('%j ~ %j → %s', (line, phrase, want) => {
    expect(phraseMatches(line, phrase, 'tolerant')).toBe(want);
  });

  it('contains stays strict', () => {
    expect(phraseMatches('i would like to speak to the human', 'speak to a human', 'contains')).toBe(false);
  });
});
