import { describe, expect, it } from 'vitest';
import { referRefusal } from '../../../../src/telephony/sip/refer-permission.js';

describe('allow_refer (both backends)', () => {
  it.each([
    [undefined, undefined],
    [{ name: 'carrier', allow_refer: true }, undefined],
    [
      { name: 'carrier', allow_refer: false },
      { outcome: 'refused', reason: 'trunk-disallows-refer', trunk: 'carrier' },
    ],
  ])('trunk %j → %j', (trunk, expected) => {
    expect(referRefusal(trunk)).toEqual(expected);
  });
});
