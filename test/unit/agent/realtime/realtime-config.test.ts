import { describe, expect, it } from 'vitest';
import { CallwrightError } from '../../../../src/errors.js';
import { parseRealtimeConfig, realtimeApiKey } from '../../../../src/agent/realtime/realtime-config.js';

const base = { model: 'gpt-realtime', instructions: 'Be brief.' };

function issue(config: unknown): { message: string; issues: unknown[] } {
  try {
    parseRealtimeConfig(config, 'agent.config');
  } catch (err) {
    expect(err).toBeInstanceOf(CallwrightError);
    return { message: (err as CallwrightError).message, issues: (err as CallwrightError).issues };
  }
  throw new Error('expected a validation error');
}

describe('realtime agent config', () => {
  it('accepts a minimal config and leaves defaults to the agent', () => {
    expect(parseRealtimeConfig(base)).toEqual(base);
  });

  it.each([
    [{ ...base, model: undefined }, 'agent.config.model'],
    [{ ...base, instructions: '' }, 'agent.config.instructions'],
    [{ ...base, audio_format: 'opus' }, 'agent.config.audio_format'],
    [{ ...base, url: 'https://api.openai.com/v1/realtime' }, 'agent.config.url'],
    [
      { ...base, turn_detection: { silence_duration_ms: 10 } },
      'agent.config.turn_detection.silence_duration_ms',
    ],
    [{ ...base, builtins: ['end_call', 'launch_rocket'] }, 'agent.config.builtins.1'],
    [{ ...base, connect_timeout_ms: 10 }, 'agent.config.connect_timeout_ms'],
    [{ ...base, max_call_s: 5 }, 'agent.config.max_call_s'],
    [{ ...base, fallback: { then: 'transfer' } }, 'agent.config.fallback.target'],
    [{ ...base, surprise: true }, 'agent.config.surprise'],
  ])('names the field of a bad value (%#)', (config, field) => {
    const { message } = issue(config);
    expect(message.startsWith(`${field}:`)).toBe(true);
  });

  it('says what is accepted for an unknown audio format', () => {
    expect(issue({ ...base, audio_format: 'opus' }).message).toContain('"opus"');
  });

  it('refuses a key in the config: keys stay in the environment', () => {
    const { message, issues } = issue({ ...base, api_key: 'sk-secret-value' });
    expect(message).toMatch(/^agent\.config\.api_key:/);
    expect(issues).toEqual([
      { field: 'agent.config.api_key', value: '[secret]', expected: 'no such field (unknown)' },
    ]);
    expect(JSON.stringify({ message, issues })).not.toContain('sk-secret-value');
    expect(issue({ ...base, api_key_env: 'not a name' }).message).toMatch(/^agent\.config\.api_key_env:/);
  });

  it('reads the key from the named environment variable (default OPENAI_API_KEY) when the call starts', () => {
    const c = parseRealtimeConfig({ ...base, api_key_env: 'RT_KEY' });
    expect(realtimeApiKey(c, { RT_KEY: 'sk-from-env' })).toBe('sk-from-env');
    expect(() => realtimeApiKey(c, {})).toThrow(
      /config\.api_key_env: environment variable RT_KEY is not set/,
    );
    expect(realtimeApiKey(parseRealtimeConfig(base), { OPENAI_API_KEY: 'sk-default' })).toBe('sk-default');
  });
});
