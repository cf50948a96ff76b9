import { describe, expect, it } from 'vitest';
import { evaluateCondition, parseCondition } from '../../../src/actions/triggers/condition-expression.js';
import { phraseMatches } from '../../../src/actions/triggers/intent-matcher.js';
import { dtmfMatches } from '../../../src/actions/triggers/dtmf-pattern.js';

const scope = {
  contact: { tags: ['VIP', 'beta'], plan: 'enterprise', lists: ['q4'], visits: 3, first_name: 'Ada' },
  call: { direction: 'inbound' },
  collected: {},
  data: {},
};

describe('condition expressions', () => {
  it.each([
    ['contact.tags has "vip" and contact.plan == "enterprise"', true],
    ['contact.tags has "gold"', false],
    ['contact.tags has "vip" and contact.plan == "starter"', false],
    ['contact.tags has "gold" or contact.visits >= 3', true],
    ['not contact.tags has "gold"', true],
    ['contact.plan in ["pro", "enterprise"]', true],
    ['contact.first_name contains "ad"', true],
    ['contact.missing == null', true],
    ['contact.missing > 1', false],
    ['contact.lists has "q4" and (call.direction == "outbound" or contact.visits < 5)', true],
    ['contact.first_name', true],
    ['collected.anything', false],
    ['contact.first_name matches "^a"', true],
  ])('%s → %s', (expr, expected) => {
    expect(evaluateCondition(expr, scope)).toBe(expected);
  });

  it.each([
    ['contact.tags has', /column 17: expected a value or a name, got "end of expression"/],
    ['contact.tags has "vip" and', /column 27/],
    ['contact.plan == "ent', /closing quote/],
    ['tags has "vip"', /a name starting with contact, call, collected, data/],
    ['contact.plan = "x"', /column 14: expected an operator, value or name, got "="/],
    ['(contact.plan == "x"', /expected "\)"/],
    ['contact.a contact.b', /expected "and", "or" or the end, got "contact.b"/],
  ])('refuses %s with a clear parse error', (expr, message) => {
    expect(() => parseCondition(expr)).toThrow(message);
  });
});

describe('intent phrases', () => {
  it.each([
    ['Can I talk to a HUMAN, please?', 'talk to a human', true],
    ['I want to speak with someone', 'talk to a human', false],
    ['That is humane', 'human', false],
    ['Ça va? Je voudrais parler à quelqu’un', 'parler a quelqu un', true],
    ["don't call me again", 'dont call me', true],
  ])('%s ~ %s → %s', (line, phrase, expected) => {
    expect(phraseMatches(line, phrase)).toBe(expected);
  });
});

describe('dtmf patterns', () => {
  it.each([
    ['1', { digits: '1' }, true],
    ['21', { digits: '1' }, true],
    ['12', { digits: '1' }, false],
    ['1234#', { pattern: 'XXXX#' }, true],
    ['123#', { pattern: 'XXXX#' }, false],
    ['5', { pattern: '[1-5]' }, true],
    ['7', { pattern: '[1-5]' }, false],
    ['*99', { pattern: '*.' }, true],
  ])('%s vs %o → %s', (buffer, trigger, expected) => {
    expect(dtmfMatches(buffer, trigger)).toBe(expected);
  });
});
