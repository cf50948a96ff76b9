import { CallwrightError } from '../../errors.js';

/**
 * DTMF patterns in the dial-plan style PBX admins know: `X` any digit 0-9, `Z` 1-9, `N` 2-9,
 * `[1-5]` or `[147]` a set, `.` one or more further keys, `!` zero or more; `*`, `#`, A-D and digits
 * stand for themselves. Patterns match the end of the keys pressed since the last match.
 */
export function compileDtmfPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = (pattern[i] as string).toUpperCase();
    if (ch === 'X') re += '[0-9]';
    else if (ch === 'Z') re += '[1-9]';
    else if (ch === 'N') re += '[2-9]';
    else if (ch === '.') re += '[0-9*#A-D]+';
    else if (ch === '!') re += '[0-9*#A-D]*';
    else if (ch === '*' || ch === '#') re += '\\' + ch;
    else if (/[0-9A-D]/.test(ch)) re += ch;
    else if (ch === '[') {
      const end = pattern.indexOf(']', i);
      const body = end > i ? pattern.slice(i + 1, end) : '';
      if (!/^[0-9](-[0-9])?([0-9](-[0-9])?)*$/.test(body)) throw patternError(pattern, i + 1);
      re += `[${body}]`;
      i = end;
    } else throw patternError(pattern, i + 1);
  }
  return new RegExp(`(?:${re})$`, 'i');
}

function patternError(pattern: string, col: number): CallwrightError {
  return new CallwrightError(
    'VALIDATION',
    `dtmf pattern ${JSON.stringify(pattern)}: bad character at ${col}`,
    [
      {
        field: 'pattern',
        value: pattern,
        expected: 'digits, * # A-D, X (0-9), Z (1-9), N (2-9), [1-5] sets, . (one or more), ! (zero or more)',
      },
    ],
  );
}

/** Whether the keys pressed so far (`buffer`) end with the trigger's digits or pattern. */
export function dtmfMatches(buffer: string, trigger: { digits?: string; pattern?: string }): boolean {
  if (trigger.digits) return buffer.toUpperCase().endsWith(trigger.digits.toUpperCase());
  if (trigger.pattern) return compileDtmfPattern(trigger.pattern).test(buffer);
  return false;
}
