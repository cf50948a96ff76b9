import { describe, expect, it } from 'vitest';
import { MAX_SENTENCE, cutSentences, splitSentences } from '../../../src/speech/synthesis/sentences.js';

describe('splitSentences', () => {
  it.each<[string, string, string[]]>([
    ['plain sentences', 'Hello there. How are you? Great!', ['Hello there.', 'How are you?', 'Great!']],
    [
      'a title abbreviation',
      'Dr. Smith will see you now. Please wait.',
      ['Dr. Smith will see you now.', 'Please wait.'],
    ],
    [
      'e.g. and i.e.',
      'Bring an ID, e.g. a passport. That is, i.e. Photo ID.',
      ['Bring an ID, e.g. a passport.', 'That is, i.e. Photo ID.'],
    ],
    [
      'decimal numbers',
      'The fee is 3.5 percent. It was 2.75 before.',
      ['The fee is 3.5 percent.', 'It was 2.75 before.'],
    ],
    ['times with a dot', 'Come at 10.30 tomorrow. Or at 14.45.', ['Come at 10.30 tomorrow.', 'Or at 14.45.']],
    [
      'a number ends a sentence',
      'The total is 42. Shall I book it?',
      ['The total is 42.', 'Shall I book it?'],
    ],
    [
      'p.m. before a capital ends the sentence',
      'We close at 5 p.m. Call back tomorrow.',
      ['We close at 5 p.m.', 'Call back tomorrow.'],
    ],
    ['p.m. before lower case does not', 'We close at 5 p.m. on Fridays.', ['We close at 5 p.m. on Fridays.']],
    ['initials', 'Ask for J. R. Smith at the desk. Thanks.', ['Ask for J. R. Smith at the desk.', 'Thanks.']],
    ['U.S. mid-sentence', 'Ship it to the U.S. office today.', ['Ship it to the U.S. office today.']],
    [
      '"No." before a number',
      'Take exit No. 5 and turn left. The answer is no. Sorry.',
      ['Take exit No. 5 and turn left.', 'The answer is no.', 'Sorry.'],
    ],
    [
      'closing quotes stay with their sentence',
      'He said "stop." Then he left.',
      ['He said "stop."', 'Then he left.'],
    ],
    ['ellipsis', 'Well... I think so.', ['Well...', 'I think so.']],
    ['repeated marks', 'Really?! Yes.', ['Really?!', 'Yes.']],
    [
      'web addresses and emails',
      'Visit example.com or mail a.b@example.org today.',
      ['Visit example.com or mail a.b@example.org today.'],
    ],
    [
      'a list, one item per line',
      '1. Open the app\n2. Tap Settings.\n3. Choose Voice.',
      ['1. Open the app', '2. Tap Settings.', '3. Choose Voice.'],
    ],
    ['line breaks end a sentence', 'First line\nSecond line', ['First line', 'Second line']],
    ['text without a final mark', 'Your code is ready', ['Your code is ready']],
    ['white space only', '  \n ', []],
  ])('%s', (_name, text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });

  it('cuts a very long sentence after a comma or semicolon, each piece within the limit', () => {
    const clause = 'we can move your appointment to another day of the week';
    const text = `${Array.from({ length: 8 }, () => clause).join(', ')}; or cancel it.`;
    const pieces = splitSentences(text);
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_SENTENCE);
    for (const piece of pieces.slice(0, -1)) expect(piece).toMatch(/[,;]$/);
  });

  it('cuts a long sentence without clause marks at a space, never inside a word', () => {
    const text = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const pieces = splitSentences(text);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(MAX_SENTENCE);
      expect(piece).toMatch(/^word\d+( word\d+)*$/);
    }
  });

  it('does not cut at the comma of a number', () => {
    const text = `The balance of ${'one hundred and '.repeat(14)}1,250,000 dollars is due`;
    expect(splitSentences(text).join(' ')).toContain('1,250,000');
    for (const piece of splitSentences(text)) expect(piece).not.toMatch(/^\d|,\d*$/);
  });

  it.each([
    'Hello there.   How are you?\n\nFine, thanks! Dr. Who arrived at 10.30 a.m. sharp.',
    'A ... B ?! C. "Quoted." (Parenthesised.) Last',
    `${'Long clause without end, '.repeat(20)}final words. ${'x'.repeat(450)} tail.`,
    'Mr. and Mrs. Smith, e.g., etc. and so on... 3.14 is pi. No. 7. ok',
  ])('never drops text: the pieces joined give the text back (%#)', (text) => {
    expect(splitSentences(text).join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
  });
});

describe('cutSentences (text arriving in pieces)', () => {
  async function* pieces(...parts: string[]): AsyncGenerator<string> {
    for (const p of parts) yield p;
  }
  async function cut(...parts: string[]): Promise<Array<{ sentence: string; after: number }>> {
    const out: Array<{ sentence: string; after: number }> = [];
    let consumed = 0;
    async function* counting(): AsyncGenerator<string> {
      for await (const p of pieces(...parts)) {
        consumed++;
        yield p;
      }
    }
    for await (const sentence of cutSentences(counting())) out.push({ sentence, after: consumed });
    return out;
  }

  it('gives each sentence as soon as the text after it shows it is complete', async () => {
    const out = await cut('Your or', 'der has', ' shipped.', ' It arr', 'ives Mon', 'day.');
    expect(out).toEqual([
      { sentence: 'Your order has shipped.', after: 4 },
      { sentence: 'It arrives Monday.', after: 6 },
    ]);
  });

  it('keeps words apart across pieces and does not cut at an abbreviation or a decimal', async () => {
    const out = await cut('Dr.', ' Smith costs 3.', '5 dollars', ' today. ', 'Bye');
    expect(out.map((o) => o.sentence)).toEqual(['Dr. Smith costs 3.5 dollars today.', 'Bye']);
  });

  it('gives nothing for no text, and the whole text when it has no end mark', async () => {
    expect(await cut()).toEqual([]);
    expect((await cut('hello', ' there')).map((o) => o.sentence)).toEqual(['hello there']);
  });
});
