/** What the greeting's words say about who answered. */
export type GreetingVerdictKind = 'human' | 'machine' | 'screening';

/** A classifier's answer: the verdict and what it rests on. */
export interface GreetingVerdict {
  verdict: GreetingVerdictKind;
  /** kind phrases: the phrase found (as configured). */
  phrase?: string;
  /** kind llm: the model that answered. */
  model?: string;
}

/**
 * Lower case words of letters, digits and apostrophes (curly ones made straight): "You've  reached
 * SAM." and "you've reached sam" match alike, and punctuation a recogniser adds or leaves out does not
 * matter.
 */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .split(/[^a-z0-9']+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 0);
}

/** The first of `phrases` whose words occur, in order and next to each other, in `words`. */
export function findPhrase(words: readonly string[], phrases: readonly string[]): string | undefined {
  const line = ` ${words.join(' ')} `;
  return phrases.find((p) => {
    const ws = normaliseWords(p);
    return ws.length > 0 && line.includes(` ${ws.join(' ')} `);
  });
}

/**
 * The phrases classifier: a screening phrase makes the answer a call-screening assistant, a machine
 * phrase a recording, anything else leaves it a person. Screening first: an assistant says "please
 * leave your name" too, and what it is matters more than what it asks.
 */
export function classifyByPhrases(
  transcript: string,
  machinePhrases: readonly string[],
  screeningPhrases: readonly string[],
): GreetingVerdict {
  const words = normaliseWords(transcript);
  const screening = findPhrase(words, screeningPhrases);
  if (screening) return { verdict: 'screening', phrase: screening };
  const machine = findPhrase(words, machinePhrases);
  if (machine) return { verdict: 'machine', phrase: machine };
  return { verdict: 'human' };
}
