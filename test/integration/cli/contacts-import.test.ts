import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHarness } from './cli-harness.js';
import { main } from '../../../src/cli/main.js';

const mixed = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/contacts/mixed.csv');

let h: ReturnType<typeof cliHarness>;
beforeEach(() => {
  h = cliHarness();
});
afterEach(() => h.cleanup());

describe('callwright contacts import', () => {
  it('imports, prints a summary with each rejected row, and a second run changes nothing', async () => {
    const first = await h.run('contacts', 'import', mixed);
    expect(first.code).toBe(1);
    expect(first.out[0]).toBe('imported 3, updated 0, unchanged 0, rejected 5');
    expect(first.out).toContain('  line 5: email: got "not-an-email", expected an email address');
    expect(
      first.out.some((l) =>
        l.startsWith('  line 4: phone: got "4155550101", expected + and country code, e.g. +14155550123'),
      ),
    ).toBe(true);
    expect(first.out).toContain('  line 9: row: got "4 fields", expected 9 fields as in the header');
    expect(first.err.at(-1)).toContain('5 row(s) rejected and not written');
    // Without a terminal, progress comes as plain lines ending at 100%.
    expect(first.err.filter((l) => l.startsWith('progress: ')).at(-1)).toMatch(/^progress: 100% \(8 rows\)$/);

    const second = await h.run('contacts', 'import', mixed);
    expect(second.out[0]).toBe('imported 0, updated 0, unchanged 3, rejected 5');

    const store = h.openStore();
    expect((await store.contacts.list()).total).toBe(3);
    await store.close();
  });

  it('exits 0 when every row is accepted, and uses --calling-code for national numbers', async () => {
    const file = path.join(h.dir, 'uk.csv');
    writeFileSync(file, 'phone,first_name\n020 7183 8750,Ada\n+44 161 496 0000,Bo\n');
    const res = await h.run('contacts', 'import', file, '--calling-code', '44');
    expect(res).toMatchObject({ code: 0, out: ['imported 2, updated 0, unchanged 0, rejected 0'] });
    const bad = await h.run('contacts', 'import', file, '--calling-code', '+44');
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toContain('--calling-code: got "+44", expected 1-3 digits');
  });

  it('reads national numbers of --country, and refuses a --country that is not ISO 3166-1 alpha-2', async () => {
    const file = path.join(h.dir, 'uk.csv');
    writeFileSync(file, 'phone,first_name\n020 7183 8750,Ada\n0161 496 0000,Bo\n');
    const res = await h.run('contacts', 'import', file, '--country', 'GB');
    expect(res).toMatchObject({ code: 0, out: ['imported 2, updated 0, unchanged 0, rejected 0'] });
    const store = h.openStore();
    expect((await store.contacts.findByPhone('+442071838750'))?.first_name).toBe('Ada');
    await store.close();
    const bad = await h.run('contacts', 'import', file, '--country', 'UK');
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toContain(
      '--country: got "UK", expected an ISO 3166-1 alpha-2 country code such as US, GB or FR',
    );
  });

  it('fails clearly for a missing file or a file without a phone column', async () => {
    const missing = await h.run('contacts', 'import', path.join(h.dir, 'nope.csv'));
    expect(missing.code).toBe(1);
    expect(missing.err.join('\n')).toMatch(/cannot read .*nope\.csv/);
    const file = path.join(h.dir, 'nophone.csv');
    writeFileSync(file, 'name\nAda\n');
    const res = await h.run('contacts', 'import', file);
    expect(res.code).toBe(1);
    expect(res.err.join('\n')).toContain('bad CSV header: a phone column');
  });
});

describe('callwright contacts import progress', () => {
  it('counts the rows done in its percentage (not the header) and says "1 row"', async () => {
    const file = path.join(h.dir, 'two.csv');
    // A long header and two rows of equal length: half the rows done is 50%.
    writeFileSync(
      file,
      'phone,first_name,last_name,email,timezone,tags,lists\n+14155550100,Ada,,,,,\n+14155550101,Bob,,,,,\n',
    );
    const res = await h.run('contacts', 'import', file);
    expect(res.code).toBe(0);
    expect(res.err.filter((l) => l.startsWith('progress: '))).toEqual([
      'progress: 50% (1 row)',
      'progress: 100% (2 rows)',
    ]);
  });
});

describe('callwright contacts import on a terminal', () => {
  it('draws a progress bar (cli-progress on stderr) instead of plain progress lines', async () => {
    const file = path.join(h.dir, 'one.csv');
    writeFileSync(file, 'phone\n+14155550100\n');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: true };
    const code = await main(['node', 'callwright', '--config', h.configFile, 'contacts', 'import', file], io);
    expect(code).toBe(0);
    expect(out).toEqual(['imported 1, updated 0, unchanged 0, rejected 0']);
    expect(err.filter((l) => l.startsWith('progress: '))).toEqual([]);
  });
});
