/**
 * Normalised phrase matching on final transcript lines: lower case, accents removed, punctuation
 * to spaces, whitespace collapsed; a phrase matches when its words appear consecutively as whole
 * words in the line (`"talk to a human"` matches `"Can I talk to a HUMAN, please?"`, not `"humane"`).
 */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/'/g, '')
    .trim()
    .replace(/\s+/g, ' ');
}

export type IntentMatch = 'contains' | 'exact' | 'tolerant';

/**
 * `contains`: the phrase's words in order as whole words of the line; `exact`: the whole line;
 * `tolerant`: like contains, but up to one word in four of the phrase may be misheard, missing or
 * extra (word-level edit distance against any stretch of the line), for recognised speech.
 */
export function phraseMatches(line: string, phrase: string, mode: IntentMatch = 'contains'): boolean {
  const l = normalisePhrase(line);
  const p = normalisePhrase(phrase);
  if (!p) return false;
  if (mode === 'exact') return l === p;
  if (` ${l} `.includes(` ${p} `)) return true;
  if (mode !== 'tolerant') return false;
  const want = p.split(' ');
  const allowed = Math.floor(want.length / 4);
  return allowed > 0 && bestWindowDistance(l.split(' '), want) <= allowed;
}

/** Smallest word edit distance between `want` and any contiguous stretch of `words`. */
function bestWindowDistance(words: string[], want: string[]): number {
  // Approximate substring matching (Sellers): row 0 is all zeros so a match may start anywhere.
  let prev = new Array<number>(words.length + 1).fill(0);
  for (let i = 1; i <= want.length; i++) {
    const cur = new Array<number>(words.length + 1);
    cur[0] = i;
    for (let j = 1; j <= words.length; j++) {
      const cost = want[i - 1] === words[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j - 1] as number) + cost, (prev[j] as number) + 1, (cur[j - 1] as number) + 1);
    }
    prev = cur;
  }
  return Math.min(...prev);
}

/** The first phrase that matches the line, or undefined. */
export function matchIntent(
  line: string,
  phrases: readonly string[],
  mode: IntentMatch = 'contains',
): string | undefined {
  return phrases.find((p) => phraseMatches(line, p, mode));
}
