/**
 * The sentence cutter in front of a streaming synthesiser: a reply is spoken sentence by sentence, so
 * the first one plays while the next is synthesised, and a sentence said on many calls ("Let me check
 * that for you.") is cached on its own.
 *
 * A sentence ends at `.`, `!`, `?` or `…` (with any closing quotes or brackets) followed by white space
 * or the end, and at a line break. Not at the dot of an abbreviation ("Dr. Smith", "e.g. this"), of an
 * initial ("J. R. Smith"), or of a list number at the start of a line ("1. Open the app"); a dot inside
 * a number (3.5, 10.30) or a name (example.com) is never followed by a space, so it never cuts. A
 * sentence longer than MAX_SENTENCE is cut after a comma, semicolon or colon, else at a space. No text
 * is ever dropped: the pieces joined with spaces give the text back, with its white space collapsed.
 */

/** Past this many characters a sentence is cut at a clause boundary: one long synthesis delays the reply. */
export const MAX_SENTENCE = 200;
/** A clause shorter than this is not cut off on its own (it would sound choppy). */
const MIN_CLAUSE = 40;

/** Abbreviations that are followed by more of the same sentence, whatever comes next. */
const ALWAYS_CONTINUES = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'sr', 'jr', 'rev', 'gen', 'capt', 'lt', 'sgt', 'hon', 'mt',
  'e.g', 'i.e', 'cf', 'vs', 'approx', 'ca', 'tel', 'ext', 'fig', 'vol', 'dept', 'ref',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
]); // prettier-ignore
/** Abbreviations that may also end a sentence: they continue only when a lower-case word follows. */
const MAY_END = new Set([
  'etc',
  'a.m',
  'p.m',
  'inc',
  'ltd',
  'co',
  'corp',
  'llc',
  'ave',
  'rd',
  'blvd',
  'min',
  'max',
]);

const CLOSERS = `"')]}»”’`;

export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n|\r/)) {
    for (const sentence of splitLine(line.replace(/\s+/g, ' ').trim())) out.push(...splitLong(sentence));
  }
  return out;
}

function splitLine(line: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (!'.!?…'.includes(c)) continue;
    let end = i + 1;
    while (end < line.length && '.!?…'.includes(line[end] ?? '')) end++;
    while (end < line.length && CLOSERS.includes(line[end] ?? '')) end++;
    if (end < line.length && line[end] !== ' ') {
      i = end - 1;
      continue;
    }
    const next = line.slice(end + 1);
    if (end - i === 1 && c === '.' && continuesAfterDot(line.slice(start, i), next, start)) continue;
    pieces.push(line.slice(start, end).trim());
    start = end + 1;
    i = end;
  }
  const rest = line.slice(start).trim();
  if (rest) pieces.push(rest);
  return pieces.filter((p) => p !== '');
}

/** Whether the single dot closing `before` belongs to an abbreviation, initial or list number. */
function continuesAfterDot(before: string, next: string, sentenceStart: number): boolean {
  const word = /(\S+)$/.exec(before)?.[1] ?? '';
  const bare = word.replace(/^[("'[{«“‘]+/, '');
  const lower = bare.toLowerCase();
  if (ALWAYS_CONTINUES.has(lower)) return true;
  if (MAY_END.has(lower)) return /^[a-z0-9]/.test(next);
  // "No. 5" is a number; "the answer is no. Then" ends a sentence.
  if (lower === 'no' || lower === 'nos') return /^\d/.test(next);
  // An initial (J. Smith, U.S. but not "I.") continues a name.
  if (/^\p{Lu}$/u.test(bare) && bare !== 'I') return true;
  if (/^(\p{L}\.)+\p{L}$/u.test(bare)) return /^[\p{Ll}\d]/u.test(next);
  // "1. Open the app": a list number alone at the start of a line.
  if (sentenceStart === 0 && before.trim() === word && /^\d{1,3}$/.test(word)) return true;
  return false;
}

/** A sentence past MAX_SENTENCE, cut after a clause mark (else at a space) into pieces that fit. */
function splitLong(sentence: string): string[] {
  const pieces: string[] = [];
  let rest = sentence;
  while (rest.length > MAX_SENTENCE) {
    const cut = clauseCut(rest) ?? spaceCut(rest);
    if (cut === undefined) break;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/** After the last `,` `;` `:` (followed by a space) that keeps the piece within MAX_SENTENCE. */
function clauseCut(text: string): number | undefined {
  let best: number | undefined;
  const marks = /[,;:](?= )/g;
  for (let m = marks.exec(text); m; m = marks.exec(text)) {
    const cut = m.index + 1;
    if (cut > MAX_SENTENCE) break;
    if (cut >= MIN_CLAUSE) best = cut;
  }
  if (best !== undefined) return best;
  // No clause mark early enough: the first one a little past the limit, so the piece stays a clause.
  marks.lastIndex = MAX_SENTENCE;
  const late = marks.exec(text);
  if (!late) return undefined;
  const cut = late.index + 1;
  return cut <= MAX_SENTENCE * 1.5 && cut < text.length - MIN_CLAUSE / 2 ? cut : undefined;
}

/** The last space within MAX_SENTENCE, for a run-on sentence with no clause marks at all. */
function spaceCut(text: string): number | undefined {
  const at = text.lastIndexOf(' ', MAX_SENTENCE);
  return at >= MIN_CLAUSE ? at : undefined;
}

/**
 * Cuts text that arrives in pieces (a model's token stream) into sentences, each given as soon as the
 * text after it shows it is complete; the rest is given when the pieces end. Joined with spaces, the
 * sentences give the text back (white space collapsed), as `splitSentences` does.
 */
export async function* cutSentences(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = '';
  for await (const piece of pieces) {
    buffer += piece;
    const parts = splitSentences(buffer);
    if (parts.length < 2) continue;
    // The last part may still grow; everything before it is complete.
    for (const part of parts.slice(0, -1)) yield part;
    const tail = parts[parts.length - 1] ?? '';
    buffer = /\s$/.test(buffer) ? `${tail} ` : tail;
  }
  yield* splitSentences(buffer);
}
