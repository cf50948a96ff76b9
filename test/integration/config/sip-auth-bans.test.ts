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

function loadMessage(options: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(options);
  } catch (err) {
    if (err instanceof CallwrightError) return err.message;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('sip.auth_bans config', () => {
  it('defaults to 10 failures in 60 s banning for 600 s', () => {
    expect(loadConfig({ env: {} }).sip.auth_bans).toEqual({ max_failures: 10, window_s: 60, ban_s: 600 });
  });

  it('fills the keys a local file leaves out', () => {
    const config = loadConfig({ env: {}, file: localFile('sip:\n  auth_bans:\n    ban_s: 5\n') });
    expect(config.sip.auth_bans).toEqual({ max_failures: 10, window_s: 60, ban_s: 5 });
  });

  it('takes each key from the environment', () => {
    const config = loadConfig({
      env: { CALLWRIGHT_SIP_AUTH_BANS_MAX_FAILURES: '0', CALLWRIGHT_SIP_AUTH_BANS_WINDOW_S: '30' },
    });
    expect(config.sip.auth_bans).toMatchObject({ max_failures: 0, window_s: 30 });
  });

  it.each([
    ['max_failures: -1', 'sip.auth_bans.max_failures: got -1, expected a number >= 0'],
    ['window_s: 0', 'sip.auth_bans.window_s: got 0, expected a number >= 1'],
    ['ban_s: 604801', 'sip.auth_bans.ban_s: got 604801, expected a number <= 604800'],
    ['ban_s: 1.5', 'sip.auth_bans.ban_s: got 1.5, expected integer'],
    ['bantime: 5', 'sip.auth_bans.bantime: got 5, expected no such field'],
  ])('refuses %s naming the key, the value and the range', (line, expected) => {
    expect(loadMessage({ env: {}, file: localFile(`sip:\n  auth_bans:\n    ${line}\n`) })).toContain(
      expected,
    );
  });
});
