#!/usr/bin/env node
// Exit 0 when node_modules already holds exactly what package-lock.json pins, else print why and
// exit 1 (then `npm ci` is needed). npm keeps a copy of the tree it installed in
// node_modules/.package-lock.json (the "hidden lockfile"); compared entry by entry with
// package-lock.json it tells whether the lock changed since the last install.
// Usage: node .ci/deps-current.mjs [project root]
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));

function stale(reason) {
  console.log(`npm dependencies need installing: ${reason}`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const lock = readJson(path.join(root, 'package-lock.json'));
if (!lock?.packages) stale('package-lock.json is missing or unreadable');
const installed = readJson(path.join(root, 'node_modules', '.package-lock.json'));
if (!installed?.packages) stale('node_modules has no record of an install (fresh clone)');

const same = (a, b) => a.version === b.version && (a.integrity ?? a.resolved) === (b.integrity ?? b.resolved);

for (const [where, entry] of Object.entries(lock.packages)) {
  if (where === '') continue;
  const have = installed.packages[where];
  // Optional packages for other platforms (esbuild's per-OS binaries) are never installed here.
  if (!have) {
    if (entry.optional || entry.devOptional) continue;
    stale(`${where} is in package-lock.json but was not installed`);
  }
  if (!same(entry, have)) stale(`${where} is locked at ${entry.version}, installed ${have.version}`);
  if (!existsSync(path.join(root, where, 'package.json'))) stale(`${where} is missing from disk`);
}
for (const where of Object.keys(installed.packages)) {
  if (!(where in lock.packages)) stale(`${where} is installed but no longer in package-lock.json`);
}

// A native addon built for another Node version (after a Node upgrade) needs a rebuild by npm ci.
if (lock.packages['node_modules/better-sqlite3']) {
  try {
    const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3');
    new Database(':memory:').close();
  } catch (err) {
    stale(`better-sqlite3 does not load on Node ${process.version} (${err.message.split('\n')[0]})`);
  }
}
console.log('npm dependencies match package-lock.json; npm ci skipped');
