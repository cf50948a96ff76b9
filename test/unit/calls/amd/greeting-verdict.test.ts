import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MACHINE_PHRASES,
  DEFAULT_SCREENING_PHRASES,
} from '../../../../src/calls/amd/amd-classifier-settings.js';
import { classifyByPhrases, findPhrase, normaliseWords } from '../../../../src/calls/amd/greeting-verdict.js';

const classify = (text: string) =>
  classifyByPhrases(text, DEFAULT_MACHINE_PHRASES, DEFAULT_SCREENING_PHRASES);

describe('greeting phrases', () => {
  it('normalises case, punctuation and curly apostrophes into words', () => {
    expect(normaliseWords('Hi,  you\u2019ve REACHED Sam.')).toEqual(['hi', "you've", 'reached', 'sam']);
    expect(normaliseWords("  '...'  ")).toEqual([]);
  });

  it('matches whole words in order, not parts of words', () => {
    const words = normaliseWords('please leave a message');
    expect(findPhrase(words, ['leave a message'])).toBe('leave a message');
    expect(findPhrase(normaliseWords('you breached the rule'), ['reached'])).toBeUndefined();
    expect(findPhrase(normaliseWords('a message leave'), ['leave a message'])).toBeUndefined();
  });

  it.each([
    ["Hi, you've reached Sam.", 'machine', "you've reached"],
    ["hi it you've reached it i i'm who be", 'machine', "you've reached"],
    ['The person you are calling is not available.', 'machine', 'not available'],
    ["Hey, it's Chris. Leave a message.", 'machine', 'leave a message'],
    [
      "Hi, the person you're calling is using a screening service. Please state your name.",
      'screening',
      'screening service',
    ],
    ['Please say your name and why you are calling', 'screening', 'say your name'],
  ] as const)('%j is %s (%s)', (text, verdict, phrase) => {
    expect(classify(text)).toEqual({ verdict, phrase });
  });

  it.each(['Hello?', 'Yes, this is Sam speaking.', 'Hi, who is this?', 'Good morning, Sam speaking.', ''])(
    '%j is a person',
    (text) => {
      expect(classify(text)).toEqual({ verdict: 'human' });
    },
  );

  it('configured phrases replace the defaults', () => {
    expect(classifyByPhrases('Sam is out fishing', ['out fishing'], [])).toEqual({
      verdict: 'machine',
      phrase: 'out fishing',
    });
    expect(classifyByPhrases("you've reached Sam", [], [])).toEqual({ verdict: 'human' });
  });
});
