import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

interface LockEntry {
  version: string;
  integrity: string;
  optional?: boolean;
}

/** A project root holding the .ci install scripts, a lock, and a fake `npm` that records its calls. */
function project(locked: Record<string, LockEntry>) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  mkdirSync(path.join(t.dir, '.ci'));
  for (const f of ['install-npm-deps.sh', 'deps-current.mjs']) {
    copyFileSync(path.join(PROJECT_ROOT, '.ci', f), path.join(t.dir, '.ci', f));
  }
  const lock = (packages: Record<string, LockEntry>) => ({
    name: 'p',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: Object.fromEntries(Object.entries(packages).map(([n, e]) => [`node_modules/${n}`, e])),
  });
  writeFileSync(
    path.join(t.dir, 'package-lock.json'),
    JSON.stringify({ ...lock(locked), packages: { '': { name: 'p' }, ...lock(locked).packages } }),
  );
  const bin = path.join(t.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$@" >> "${path.join(t.dir, 'npm-calls')}"\n`);
  chmodSync(path.join(bin, 'npm'), 0o755);
  return {
    root: t.dir,
    /** What `npm ci` would leave: the hidden lockfile and each package's folder. */
    install(packages: Record<string, LockEntry>) {
      for (const [name, e] of Object.entries(packages)) {
        mkdirSync(path.join(t.dir, 'node_modules', name), { recursive: true });
        writeFileSync(path.join(t.dir, 'node_modules', name, 'package.json'), JSON.stringify(e));
      }
      writeFileSync(path.join(t.dir, 'node_modules', '.package-lock.json'), JSON.stringify(lock(packages)));
    },
    /** Runs the setup step; returns its output and the npm commands it ran. */
    setup() {
      const run = spawnSync('sh', [path.join(t.dir, '.ci', 'install-npm-deps.sh')], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        encoding: 'utf8',
      });
      const callsFile = path.join(t.dir, 'npm-calls');
      const calls = existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n') : [];
      return { status: run.status, output: run.stdout + run.stderr, calls };
    },
  };
}

const A = { version: '1.0.0', integrity: 'sha512-a' };
const B = { version: '2.0.0', integrity: 'sha512-b' };
const OTHER_OS = { version: '0.1.0', integrity: 'sha512-o', optional: true };

describe('dependency install of the setup scripts', () => {
  it('runs npm ci on a fresh clone', () => {
    const p = project({ a: A, b: B });
    const r = p.setup();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['ci --no-audit --no-fund']);
    expect(r.output).toContain('fresh clone');
  });

  it('skips npm ci when node_modules holds what the lock pins, other-platform optional packages aside', () => {
    const p = project({ a: A, b: B, 'esbuild-other-os': OTHER_OS });
    p.install({ a: A, b: B });
    const r = p.setup();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.output).toContain('npm ci skipped');
  });

  it('runs npm ci when the lock changed since the last install', () => {
    const p = project({ a: A, b: { ...B, version: '2.1.0', integrity: 'sha512-b2' } });
    p.install({ a: A, b: B });
    const r = p.setup();
    expect(r.calls).toEqual(['ci --no-audit --no-fund']);
    expect(r.output).toContain('node_modules/b is locked at 2.1.0, installed 2.0.0');
  });

  it('runs npm ci when a package was added to or removed from the lock, or is missing from disk', () => {
    const added = project({ a: A, b: B });
    added.install({ a: A });
    expect(added.setup().calls).toEqual(['ci --no-audit --no-fund']);
    const removed = project({ a: A });
    removed.install({ a: A, b: B });
    expect(removed.setup().calls).toEqual(['ci --no-audit --no-fund']);
    const deleted = project({ a: A, b: B });
    deleted.install({ a: A, b: B });
    rmSync(path.join(deleted.root, 'node_modules', 'b'), { recursive: true });
    const r = deleted.setup();
    expect(r.calls).toEqual(['ci --no-audit --no-fund']);
    expect(r.output).toContain('node_modules/b is missing from disk');
  });

  it('finds this checkout installed, and setup and setup:test use the script instead of a bare npm ci', () => {
    const run = spawnSync('node', [path.join(PROJECT_ROOT, '.ci', 'deps-current.mjs')], { encoding: 'utf8' });
    expect(run.stdout).toContain('npm ci skipped');
    expect(run.status).toBe(0);
    const scripts = (
      JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const name of ['setup', 'setup:test']) {
      expect(scripts[name]).toContain('sh .ci/install-npm-deps.sh');
      expect(scripts[name]).not.toContain('npm ci');
    }
  });
});
