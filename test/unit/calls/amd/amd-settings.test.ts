import { describe, expect, it } from 'vitest';
import { CallwrightError } from '../../../../src/errors.js';
import {
  AMD_CONFIG_DEFAULTS,
  DEFAULT_AMD_SETTINGS,
  parseAmdSettings,
} from '../../../../src/calls/amd/amd-settings.js';

function error(value: unknown): CallwrightError {
  try {
    parseAmdSettings(value);
  } catch (err) {
    expect(err).toBeInstanceOf(CallwrightError);
    return err as CallwrightError;
  }
  throw new Error('expected a validation error');
}

describe('amd settings', () => {
  it('an empty section is every default, in camelCase', () => {
    expect(parseAmdSettings({})).toEqual(DEFAULT_AMD_SETTINGS);
    expect(DEFAULT_AMD_SETTINGS.greetingMs).toBe(AMD_CONFIG_DEFAULTS.greeting_ms);
    expect(DEFAULT_AMD_SETTINGS.beepMinHz).toBe(AMD_CONFIG_DEFAULTS.beep_min_hz);
  });

  it('given fields override the defaults, the others stay', () => {
    const s = parseAmdSettings({ greeting_ms: 1500, fax: false });
    expect(s.greetingMs).toBe(1500);
    expect(s.fax).toBe(false);
    expect(s.initialSilenceMs).toBe(DEFAULT_AMD_SETTINGS.initialSilenceMs);
  });

  it.each([
    [{ greeting_ms: 50 }, 'amd.greeting_ms', 50, 'a number >= 200'],
    [{ tone_dominance: 1.5 }, 'amd.tone_dominance', 1.5, 'a number <= 1'],
    [{ max_words: 2.5 }, 'amd.max_words', 2.5, 'integer'],
    [{ initial_silence_ms: '2s' }, 'amd.initial_silence_ms', '2s', 'integer'],
    [{ greting_ms: 1000 }, 'amd.greting_ms', 1000, 'no such field (unknown)'],
  ])('%j is refused, naming the field, the value and what is accepted', (value, field, got, expected) => {
    const err = error(value);
    expect(err.code).toBe('VALIDATION');
    expect(err.issues[0]).toMatchObject({ field, value: got, expected });
    expect(err.message).toContain(field);
    expect(err.message).toContain(JSON.stringify(got));
  });

  it('the beep band must be a band', () => {
    const err = error({ beep_min_hz: 1500, beep_max_hz: 1000 });
    expect(err.issues[0]).toMatchObject({ field: 'amd.beep_max_hz', value: 1000 });
    expect(err.message).toMatch(
      /amd\.beep_max_hz: got 1000, expected a frequency above beep_min_hz \(1500\)/,
    );
  });

  it('the analysis must outlast the greeting and the initial silence', () => {
    const err = error({ total_analysis_ms: 2400, greeting_ms: 3000 });
    expect(err.issues).toEqual([
      { field: 'amd.total_analysis_ms', value: 2400, expected: 'more than initial_silence_ms (2500)' },
      { field: 'amd.total_analysis_ms', value: 2400, expected: 'more than greeting_ms (3000)' },
    ]);
    expect(err.message).toBe('amd.total_analysis_ms: got 2400, expected more than initial_silence_ms (2500)');
  });

  it('a section that is not an object is refused', () => {
    expect(error('on').message).toMatch(/^amd: got "on", expected object/);
  });
});
