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

export function phraseMatches(
  line: string,
  phrase: string,
  mode: 'contains' | 'exact' = 'contains',
): boolean {
  const l = normalisePhrase(line);
  const p = normalisePhrase(phrase);
  if (!p) return false;
  if (mode === 'exact') return l === p;
  return ` ${l} `.includes(` ${p} `);
}

/** The first phrase that matches the line, or undefined. */
export function matchIntent(
  line: string,
  phrases: readonly string[],
  mode: 'contains' | 'exact' = 'contains',
): string | undefined {
  return phrases.find((p) => phraseMatches(line, p, mode));
}
