import { describe, expect, it } from 'vitest';
import { redactPii } from '../../../src/actions/pii-redaction.js';

describe('execution-history redaction', () => {
  it.each([
    ['a number under a PII key', { to: '+14155550100' }, { to: '[redacted]' }],
    ['a message body', { body: 'my card is 4111' }, { body: '[redacted]' }],
    ['a number inside free text', { note: 'call me on +1 415 555 0100' }, { note: 'call me on [number]' }],
    ['an email inside free text', { note: 'mail ann@example.com' }, { note: 'mail [email]' }],
    [
      'a bearer token',
      { auth: { type: 'bearer', token: 'sk-live-123' } },
      { auth: { type: 'bearer', token: '[secret]' } },
    ],
    ['a webhook secret', { secret: 'whsec_abc' }, { secret: '[secret]' }],
    [
      'a password',
      { auth: { username: 'u', password: 'p' } },
      { auth: { username: 'u', password: '[secret]' } },
    ],
    [
      'an Authorization header',
      { headers: { Authorization: 'Basic eA==' } },
      { headers: { Authorization: '[secret]' } },
    ],
    ['an API key header', { headers: { 'X-Api-Key': 'k1' } }, { headers: { 'X-Api-Key': '[secret]' } }],
  ])('redacts %s', (_name, input, expected) => {
    expect(redactPii(input)).toEqual(expected);
  });

  it('keeps what is neither PII nor a credential', () => {
    expect(redactPii({ method: 'POST', url: 'https://crm.example.com/x', attempts: 2, token: '' })).toEqual({
      method: 'POST',
      url: 'https://crm.example.com/x',
      attempts: 2,
      token: '',
    });
  });
});
