import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { hasSipScheme, isSipUri } from '../../../src/util/sip-uri-rule.js';
import { check } from '../../../src/util/validate.js';
import { classifyTarget } from '../../../src/telephony/port.js';
import { lineTargetIssues } from '../../../src/api/routes/field-checks.js';

const ACCEPTED = [
  'sip:alice@pbx.example.com',
  'SIP:Alice@PBX.example.com',
  'sips:carol@h',
  'sip:pbx.example.com',
  'sip:10.0.0.1',
  'sip:desk@127.0.0.1:5099',
  'sip:+14155550100@10.0.0.1:5062;user=phone',
  'sips:+1415@[2001:db8::1]:5061;transport=tcp',
  'sip:a%20b:secret@h?subject=hi&priority=urgent',
  'sip:alice@pbx.example.com;transport=tcp;lr',
];

const REFUSED: Array<[string, string]> = [
  ['sip:', 'no host'],
  ['sip:alice@', 'no host after @'],
  ['sip:alice@pbx example.com', 'a space'],
  ['sip:<alice@pbx.example.com>', 'name-addr brackets belong to headers, not URIs'],
  ['sip:a@h:99999', 'port out of range'],
  ['sip:a@h:0', 'port 0'],
  ['sip:@pbx.example.com', 'empty user'],
  ['sip:alice@-pbx.example.com', 'a label starting with -'],
  ['tel:+14155550100', 'another scheme'],
  ['sip:alice@pbx.example.com;', 'an empty parameter'],
  [' sip:alice@pbx.example.com', 'leading space'],
];

describe('the SIP-URI rule (RFC 3261 §25.1)', () => {
  it.each(ACCEPTED)('accepts %s', (uri) => {
    expect(isSipUri(uri)).toBe(true);
  });

  it.each(REFUSED)('refuses %j (%s)', (uri) => {
    expect(isSipUri(uri)).toBe(false);
  });

  it('tells a meant-as-SIP reference by its scheme alone', () => {
    expect(hasSipScheme('SIPS:x')).toBe(true);
    expect(hasSipScheme('user:alice')).toBe(false);
  });
});

describe('the schema format, dial targets and line targets apply the same SIP-URI rule', () => {
  const Schema = Type.Object({ uri: Type.String({ format: 'sip-uri' }) });
  it.each([
    ...ACCEPTED.map((u): [string, boolean] => [u, true]),
    ...REFUSED.map(([u]): [string, boolean] => [u, false]),
  ])('%j → %s everywhere', (uri, valid) => {
    expect(check(Schema, { uri }).length === 0).toBe(valid);
    expect(lineTargetIssues({ target: uri }).length === 0).toBe(valid);
    // classifyTarget trims, so a leading space is a formatting slip there, not a different URI.
    if (uri.trim() === uri) {
      if (valid) expect(classifyTarget(uri)).toEqual({ kind: 'sip', uri });
      else expect(() => classifyTarget(uri)).toThrow(/or a SIP URI/);
    }
  });

  it('a dial target with a space in its host, which "anything after sip:" let through, is refused', () => {
    expect(() => classifyTarget('sip:alice@pbx example.com')).toThrow(/or a SIP URI/);
  });

  it('a refused URI names the field, the value and what is accepted', () => {
    expect(check(Schema, { uri: 'sip:a@h:99999' }, 'body')).toEqual([
      {
        field: 'body.uri',
        value: 'sip:a@h:99999',
        expected: 'a SIP URI such as sip:alice@pbx.example.com (RFC 3261 §19.1)',
      },
    ]);
  });
});
