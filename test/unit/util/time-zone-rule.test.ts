import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { isTimeZone } from '../../../src/util/zoned-time.js';
import { check } from '../../../src/util/validate.js';

describe('isTimeZone', () => {
  it.each(['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(isTimeZone(tz)).toBe(true);
  });
  it.each(['Mars/Base', 'Paris', '', ' UTC', 'GMT+25'])('refuses %j', (tz) => {
    expect(isTimeZone(tz)).toBe(false);
  });
});

describe('the time-zone schema format applies the same rule', () => {
  const Schema = Type.Object({ timezone: Type.String({ format: 'time-zone' }) });
  it.each([
    ['Europe/Paris', true],
    ['Mars/Base', false],
    [' UTC', false],
  ])('%j → %s', (timezone, valid) => {
    expect(check(Schema, { timezone }).length === 0).toBe(valid);
    expect(isTimeZone(timezone)).toBe(valid);
  });

  it('a refused zone names the field, the value and what is accepted', () => {
    expect(check(Schema, { timezone: 'Mars/Base' }, 'body')).toEqual([
      {
        field: 'body.timezone',
        value: 'Mars/Base',
        expected: 'an IANA time zone such as Europe/Paris, America/New_York or UTC',
      },
    ]);
  });
});
