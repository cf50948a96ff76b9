import { describe, expect, it } from 'vitest';
import { AMD_CONFIG_DEFAULTS } from '../../../../src/calls/amd/amd-settings.js';
import {
  amdOverrideIssues,
  planCallAmd,
  type AmdServerSettings,
} from '../../../../src/calls/amd/amd-call-settings.js';
import { CallwrightError } from '../../../../src/errors.js';
import {
  AMD_CLASSIFIER_DEFAULTS,
  DEFAULT_SCREENING_PHRASES,
} from '../../../../src/calls/amd/amd-classifier-settings.js';
import { testConfig } from '../../../helpers/temp.js';

const server: AmdServerSettings = {
  ...AMD_CONFIG_DEFAULTS,
  enabled: false,
  greeting_delay_ms: 0,
  timeout_ms: 30000,
  on_fax: 'hangup',
  on_silence: 'hangup',
  on_uncertain: 'agent',
};

describe('planCallAmd: server, then agent, then call', () => {
  it.each([
    ['server off, nothing else', false, undefined, undefined, false],
    ['server on', true, undefined, undefined, true],
    ['the agent turns it on', false, { enabled: true }, undefined, true],
    ['the agent turns it off', true, { enabled: false }, undefined, false],
    ['the call turns it on', false, { enabled: false }, true, true],
    ['the call turns it off', true, { enabled: true }, false, false],
    ['call overrides turn it on', false, undefined, { greeting_ms: 1500 }, true],
  ] as const)('%s', (_name, serverOn, agent, call, on) => {
    const plan = planCallAmd({ ...server, enabled: serverOn }, agent, call);
    expect(plan !== undefined).toBe(on);
  });

  it('the call overrides the agent, which overrides the server', () => {
    const plan = planCallAmd(
      { ...server, enabled: true, greeting_ms: 2500, initial_silence_ms: 3000 },
      { greeting_ms: 1800, on_silence: 'agent', voicemail_drop: 'Hi {{ data.name }}' },
      { greeting_ms: 1200 },
    )!;
    expect(plan.detector).toMatchObject({ greetingMs: 1200, initialSilenceMs: 3000 });
    expect(plan).toMatchObject({ onSilence: 'agent', onFax: 'hangup', voicemailDrop: 'Hi {{ data.name }}' });
  });

  it('a merge that breaks a rule between fields is a VALIDATION error naming the field', () => {
    expect(() => planCallAmd(server, { enabled: true }, { beep_min_hz: 2500 })).toThrow(CallwrightError);
    expect(() => planCallAmd(server, { enabled: true }, { beep_min_hz: 2500 })).toThrow(/amd\.beep_max_hz/);
  });

  it('override issues name the prefixed field, the value and what is accepted', () => {
    expect(amdOverrideIssues({ total_analysis_ms: 2200 }, 'amd')).toEqual([
      { field: 'amd.total_analysis_ms', value: 2200, expected: 'more than initial_silence_ms (2500)' },
    ]);
    expect(amdOverrideIssues({ enabled: true, voicemail_drop: 'x' }, 'amd')).toEqual([]);
  });
});

describe('planCallAmd: the greeting classifier', () => {
  it('is off by default, and off when the server section has none', () => {
    expect(planCallAmd({ ...server, enabled: true }, undefined, undefined)!.classifier).toBeUndefined();
    const withDefaults = { ...server, enabled: true, classifier: { ...AMD_CLASSIFIER_DEFAULTS } };
    expect(planCallAmd(withDefaults, undefined, true)!.classifier).toBeUndefined();
  });

  it('merges field by field: server, then agent, then call', () => {
    const s = { ...server, enabled: true, classifier: { ...AMD_CLASSIFIER_DEFAULTS, timeout_ms: 3000 } };
    const plan = planCallAmd(
      s,
      { classifier: { kind: 'phrases', machine_phrases: ['out fishing'] } },
      { classifier: { timeout_ms: 1500 } },
    )!;
    expect(plan.classifier).toEqual({
      kind: 'phrases',
      recognizer: 'pocketsphinx',
      timeoutMs: 1500,
      machinePhrases: ['out fishing'],
      screeningPhrases: DEFAULT_SCREENING_PHRASES,
      llmModel: '',
    });
    expect(planCallAmd(s, { classifier: { kind: 'llm' } }, { classifier: { kind: 'off' } })!.classifier).toBe(
      undefined,
    );
  });

  it.each([
    [{ kind: 'whisper' }, 'amd.classifier.kind: got "whisper", expected one of "off", "phrases", "llm"'],
    [{ timeout_ms: 50 }, 'amd.classifier.timeout_ms: got 50, expected a number >= 200'],
    [
      { recognizer: 'deepgram' },
      'amd.classifier.recognizer: got "deepgram", expected one of "pocketsphinx", "agent"',
    ],
    [{ machine_phrases: 'voicemail' }, 'amd.classifier.machine_phrases: got "voicemail", expected array'],
  ])('a bad server section (%j) is refused at start, naming the field', (classifier, message) => {
    expect(() => testConfig('/tmp/callwright-unused', { amd: { classifier } })).toThrow(message);
  });
});
