import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { CallwrightError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function localFile(yaml: string): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const file = path.join(t.dir, 'local.yaml');
  writeFileSync(file, yaml);
  return file;
}

function loadError(fn: () => unknown): CallwrightError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallwrightError) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('config loading', () => {
  it('loads the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.api.port).toBe(8080);
    expect(config.data.dir).toBe('./data');
    expect(config.telephony.backend).toBe('embedded');
  });

  it('merges a local file over the defaults', () => {
    const config = loadConfig({ env: {}, file: localFile('api:\n  port: 9999\n') });
    expect(config.api.port).toBe(9999);
    expect(config.api.host).toBe('127.0.0.1');
  });

  it('applies environment overrides named after the key path, typed by the schema', () => {
    const config = loadConfig({
      env: {
        CALLWRIGHT_API_PORT: '18080',
        CALLWRIGHT_DATA_DIR: '/tmp/x',
        CALLWRIGHT_LOG_REDACT_PII: 'false',
      },
    });
    expect(config.api.port).toBe(18080);
    expect(config.data.dir).toBe('/tmp/x');
    expect(config.log.redact_pii).toBe(false);
  });

  it('refuses an unknown key, naming it', () => {
    const err = loadError(() => loadConfig({ env: {}, file: localFile('api:\n  prot: 9999\n') }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toContainEqual(expect.objectContaining({ field: 'api.prot', value: 9999 }));
    expect(err.message).toContain('api.prot');
  });

  it('refuses a wrong type, naming the key, the value and what is accepted', () => {
    const err = loadError(() => loadConfig({ env: {}, file: localFile('api:\n  port: eighty\n') }));
    expect(err.issues).toContainEqual({ field: 'api.port', value: 'eighty', expected: 'integer' });
    expect(err.message).toMatch(/api\.port: got "eighty", expected integer/);
  });

  it('refuses an out-of-range value and a value outside an enum', () => {
    const err = loadError(() =>
      loadConfig({ env: { CALLWRIGHT_API_PORT: '70000', CALLWRIGHT_TELEPHONY_BACKEND: 'asterisk' } }),
    );
    expect(err.issues).toContainEqual({ field: 'api.port', value: 70000, expected: 'a number <= 65535' });
    expect(err.issues.find((i) => i.field === 'telephony.backend')?.value).toBe('asterisk');
  });

  it('leaves CALLWRIGHT_API_KEY (read by `callwright call`) and CALLWRIGHT_CONFIG to their commands', () => {
    expect(() => loadConfig({ env: { CALLWRIGHT_API_KEY: 'cwk_x' } })).not.toThrow();
  });

  it('refuses an unknown CALLWRIGHT_ environment variable', () => {
    const err = loadError(() => loadConfig({ env: { CALLWRIGHT_API_PROT: '1' } }));
    expect(err.issues[0]?.field).toBe('CALLWRIGHT_API_PROT');
  });

  it('refuses a local file that does not exist or is not a mapping', () => {
    expect(loadError(() => loadConfig({ env: {}, file: '/nonexistent/x.yaml' })).message).toContain(
      'does not exist',
    );
    expect(loadError(() => loadConfig({ env: {}, file: localFile('- a\n- b\n') })).message).toContain(
      'mapping',
    );
  });

  it('takes an object section from the environment as JSON, merged over the defaults', () => {
    const config = loadConfig({
      env: { CALLWRIGHT_CALLS_CALLING_HOURS: '{"start":"08:30","end":"18:00"}' },
    });
    expect(config.calls.calling_hours).toEqual({
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '08:30',
      end: '18:00',
    });
    const both = loadConfig({
      env: {
        CALLWRIGHT_CALLS_CALLING_HOURS_END: '19:00',
        CALLWRIGHT_CALLS_CALLING_HOURS: '{"days":["sat","sun"],"end":"12:00"}',
      },
    });
    expect(both.calls.calling_hours).toEqual({ days: ['sat', 'sun'], start: '09:00', end: '19:00' });
  });

  it('names the key of a JSON object section that holds a wrong value', () => {
    const err = loadError(() => loadConfig({ env: { CALLWRIGHT_CALLS_CALLING_HOURS: '{"start":"9am"}' } }));
    expect(err.issues).toContainEqual(
      expect.objectContaining({ field: 'calls.calling_hours.start', value: '9am' }),
    );
  });

  it('refuses a list or object variable that is not JSON, naming the variable, the value and what is accepted', () => {
    const err = loadError(() =>
      loadConfig({
        env: {
          CALLWRIGHT_SIP_TRANSPORTS: '[udp, tcp]',
          CALLWRIGHT_SIP_ALLOW: '10.0.0.0/8,127.0.0.1',
          CALLWRIGHT_CALLS_CALLING_HOURS: '{start: 09:00}',
        },
      }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues.map((i) => [i.field, i.value])).toEqual([
      ['CALLWRIGHT_SIP_TRANSPORTS', '[udp, tcp]'],
      ['CALLWRIGHT_SIP_ALLOW', '10.0.0.0/8,127.0.0.1'],
      ['CALLWRIGHT_CALLS_CALLING_HOURS', '{start: 09:00}'],
    ]);
    expect(err.issues[0]?.expected).toMatch(/^a JSON list such as \["a","b"\] for sip\.transports/);
    expect(err.issues[2]?.expected).toMatch(/^a JSON object such as .* for calls\.calling_hours/);
    expect(err.message).toContain('CALLWRIGHT_SIP_ALLOW: got "10.0.0.0/8,127.0.0.1", expected a JSON list');
  });
});
