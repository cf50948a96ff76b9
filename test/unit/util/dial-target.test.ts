import { describe, expect, it } from 'vitest';
import { isDialTarget, isTransferTargetText } from '../../../src/util/dial-target.js';
import { parseScript } from '../../../src/agent/scripted/script-schema.js';
import { parseWebhookConfig } from '../../../src/agent/webhook/webhook-agent.js';
import type { CallwrightError } from '../../../src/errors.js';

const SECRET = 'whsec_' + Buffer.from('a-very-secret-signing-key-123456').toString('base64');

function issuesOf(fn: () => unknown): Array<{ field: string; value?: unknown }> {
  try {
    fn();
    return [];
  } catch (err) {
    return (err as CallwrightError).issues.map(({ field, value }) => ({ field, value }));
  }
}

describe('dial and transfer targets combine the phone and SIP-URI rules', () => {
  it.each([
    ['+14155550123', true],
    ['sip:desk@pbx.example.com', true],
    ['+1234', false],
    ['sip:desk@pbx example.com', false],
    ['sales', false],
  ])('isDialTarget(%j) → %s', (text, ok) => {
    expect(isDialTarget(text)).toBe(ok);
  });

  it.each([
    ['sales', true],
    ['user:alice', true],
    ['{{ contact.properties.desk }}', true],
    ['+1 (415) 555-0123', true],
    ['sip:desk@pbx.example.com', true],
    ['+1234', false],
    ['+15555550100', false],
    ['sip:desk@', false],
  ])('isTransferTargetText(%j) → %s', (text, ok) => {
    expect(isTransferTargetText(text)).toBe(ok);
  });

  it('a scripted agent with a transfer to a number outside its plan is refused on save, naming the step', () => {
    expect(issuesOf(() => parseScript({ steps: [{ transfer: { target: '+15555550100' } }] }))).toEqual([
      { field: 'config.steps.0.transfer.target', value: '+15555550100' },
    ]);
    expect(issuesOf(() => parseScript({ steps: [{ transfer: { target: 'sales' } }] }))).toEqual([]);
  });

  it('a webhook agent whose fallback transfers to a malformed SIP URI is refused on save', () => {
    const config = {
      url: 'https://agent.example.com/hook',
      secret: SECRET,
      fallback: { then: 'transfer', target: 'sip:desk@pbx example.com' },
    };
    expect(issuesOf(() => parseWebhookConfig(config))).toEqual([
      { field: 'config.fallback.target', value: 'sip:desk@pbx example.com' },
    ]);
  });
});
