import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync } from 'node:fs';
import { cliHarness } from './cli-harness.js';

let h: ReturnType<typeof cliHarness> | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

describe('callwright start with a bad configuration', () => {
  it('refuses a bad sip.allow entry before creating the database or printing an API key', async () => {
    h = cliHarness();
    appendFileSync(h.configFile, 'sip:\n  allow: [127.0.0.0/8, "not-an-ip"]\n  port: 0\napi:\n  port: 0\n');
    const run = await h.run('start');
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toContain(
      'sip.allow.1: got "not-an-ip", expected an IP address or CIDR such as 203.0.113.0/24',
    );
    expect(run.out.join('\n')).not.toContain('API key');
    expect(existsSync(h.database)).toBe(false);
  });

  it('prints each problem once when there are several', async () => {
    h = cliHarness();
    appendFileSync(h.configFile, 'api:\n  port: eighty\n  prot: 1\n');
    const run = await h.run('start');
    expect(run.code).toBe(1);
    const text = run.err.join('\n');
    expect(text.split('api.port: got "eighty", expected integer')).toHaveLength(2);
    expect(text.split('api.prot: got 1, expected no such field (unknown)')).toHaveLength(2);
  });
});
