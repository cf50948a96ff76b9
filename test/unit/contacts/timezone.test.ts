import { describe, expect, it } from 'vitest';
import { isIanaTimeZone } from '../../../src/contacts/timezone.js';

describe('isIanaTimeZone', () => {
  it.each(['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(true);
  });
  it.each(['Mars/Base', 'Paris', '', ' UTC', 'GMT+25'])('refuses %j', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(false);
  });
});
