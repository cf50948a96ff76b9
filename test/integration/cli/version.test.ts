import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import { cliHarness } from './cli-harness.js';

let h: ReturnType<typeof cliHarness>;
beforeEach(() => {
  h = cliHarness();
});
afterEach(() => h.cleanup());

describe('callwright --version', () => {
  it('prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const res = await h.run(flag);
      expect(res).toEqual({ code: 0, out: [version], err: [] });
    }
  });
});
